//! How facts read on a page: dates, names, roles, and links to the official sources.
//!
//! Wording stays neutral: a meeting is "a meeting with", never a sign of influence.

use lobbyscope_domain::{Institution, Provenance, SourceKind, SourceRef, When};
use lobbyscope_store::{HostView, MeetingView, OrgKey, PersonKey};

/// A piece of a sentence, linked or not. Templates escape the text and the link.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    pub text: String,
    pub href: Option<String>,
}

impl Segment {
    pub fn text(text: impl Into<String>) -> Segment {
        Segment { text: text.into(), href: None }
    }
    pub fn link(text: impl Into<String>, href: impl Into<String>) -> Segment {
        Segment { text: text.into(), href: Some(href.into()) }
    }
}

/// "1 meeting", "3 meetings".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub use lobbyscope_domain::thousands;

/// `30 Jun 2022`.
pub fn day(d: impl Into<When>) -> String {
    d.into().day().format("%-d %b %Y").to_string()
}

/// `29 Nov 2026, 12:00 UTC`: a moment as pages show times of this site's own work (imports,
/// syncs).
pub fn moment(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// How long before `now` a moment was: "less than a minute ago", "5 minutes ago", "3 hours
/// ago", "2 days ago" (hours up to two days). A moment after `now` (another server's clock
/// ahead of this one's) reads "just now".
pub fn ago(then: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    let past = now.signed_duration_since(then);
    let (minutes, hours, days) = (past.num_minutes(), past.num_hours(), past.num_days());
    if past < chrono::TimeDelta::zero() {
        "just now".to_owned()
    } else if minutes < 1 {
        "less than a minute ago".to_owned()
    } else if hours < 1 {
        format!("{} ago", count(minutes as u64, "minute", "minutes"))
    } else if days < 2 {
        format!("{} ago", count(hours as u64, "hour", "hours"))
    } else {
        format!("{} ago", count(days as u64, "day", "days"))
    }
}

/// An amount of data: "812 bytes", "4.6 kB", "12.3 MB", "2.1 GB" (decimal units).
pub fn bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "kB")];
    match UNITS.iter().find(|(size, _)| n >= *size) {
        Some((size, unit)) => format!("{:.1} {unit}", n as f64 / *size as f64),
        None => count(n, "byte", "bytes"),
    }
}

/// A time taken: "850 ms", "12.3 s", "4 min 5 s", "2 h 3 min".
pub fn took(ms: u64) -> String {
    let s = ms / 1000;
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        60_000..3_600_000 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s / 60 % 60),
    }
}

/// A length of time in whole days when it is one ("8 days"), else in hours ("36 hours").
pub fn span(d: chrono::TimeDelta) -> String {
    let hours = d.num_hours().max(0) as u64;
    if hours > 0 && hours.is_multiple_of(24) { count(hours / 24, "day", "days") } else { count(hours, "hour", "hours") }
}

/// The EP writes "SURNAME Given" (`BREYER Patrick`, `VON DER LEYEN Ursula`); pages say
/// "Given Surname". Names without an upper-case surname part are left as they are.
pub fn mep_name(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let is_surname = |w: &&&str| w.chars().any(char::is_alphabetic) && !w.chars().any(char::is_lowercase);
    let surname_len = words.iter().take_while(is_surname).count();
    if surname_len == 0 || surname_len == words.len() {
        return words.join(" ");
    }
    let last = surname_len - 1;
    let surname: Vec<String> = words[..surname_len]
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let lower = w.to_lowercase();
            if i < last && PARTICLES.contains(&lower.as_str()) { lower } else { title_case(w) }
        })
        .collect();
    format!("{} {}", words[surname_len..].join(" "), surname.join(" "))
}

/// Name particles written in lower case inside a surname ("Ursula von der Leyen").
const PARTICLES: &[&str] = &["da", "de", "del", "della", "der", "des", "di", "du", "la", "le", "van", "von", "zu"];

/// `AGIUS SALIBA` → `Agius Saliba`, `MÜLLER-ROSENTRITT` → `Müller-Rosentritt`, `O'SULLIVAN` →
/// `O'Sullivan`.
fn title_case(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut start = true;
    for c in word.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = matches!(c, '-' | '\'' | '’');
    }
    out
}

/// Where a person's page is: `/mep/{EP id}` or `/official/{slug}`; an MEP the source gave no id
/// for has none. [`crate::people`] reads these addresses back.
pub fn person_href(key: &PersonKey) -> Option<String> {
    match key {
        PersonKey::Mep(id) => Some(format!("/mep/{id}")),
        PersonKey::Commission(name) if !name.is_empty() => Some(format!("/official/{}", name.slug())),
        PersonKey::Commission(_) | PersonKey::MepByName(_) => None,
    }
}

pub fn org_href(key: &OrgKey) -> String {
    format!("/org/{}", key.url_segment())
}

/// A host as the timeline names them: "Christiane Canenbley (Cabinet of Executive
/// Vice-President Margrethe Vestager)", "Patrick Breyer (Member of the European Parliament,
/// Shadow rapporteur)", "Andrus Ansip (Vice-President)".
pub fn host_segments(meeting: &MeetingView, host: &HostView) -> Vec<Segment> {
    let (name, detail) = match meeting.institution {
        Institution::Parliament => {
            let capacity = host.role.as_deref().filter(|r| !r.eq_ignore_ascii_case("member"));
            let detail = match capacity {
                Some(c) => format!("Member of the European Parliament, {c}"),
                None => "Member of the European Parliament".to_owned(),
            };
            (mep_name(&host.name), detail)
        }
        Institution::Commission => {
            let cabinet_member = host.role.as_deref().is_some_and(|r| r.eq_ignore_ascii_case("cabinet member"));
            let detail = match (&meeting.cabinet, &meeting.dg, host.role.as_deref()) {
                (Some(cabinet), _, _) if cabinet_member => cabinet.clone(),
                (_, Some(dg), Some(role)) => format!("{role}, {dg}"),
                (_, Some(dg), None) => dg.clone(),
                (_, _, Some(role)) => role.to_owned(),
                (Some(cabinet), _, None) => cabinet.clone(),
                (None, None, None) => "European Commission".to_owned(),
            };
            (host.name.clone(), detail)
        }
    };
    let name = match person_href(&host.person_key) {
        Some(href) => Segment::link(name, href),
        None => Segment::text(name),
    };
    vec![name, Segment::text(format!(" ({detail})"))]
}

/// "Meeting with A (…), B (…)" and, when others were present than `subject_org`, " and X and Y".
pub fn meeting_title(meeting: &MeetingView, subject_org: Option<&OrgKey>) -> Vec<Segment> {
    let mut out = vec![Segment::text("Meeting with ")];
    for (i, host) in meeting.hosts.iter().enumerate() {
        if i > 0 {
            out.push(Segment::text(", "));
        }
        out.extend(host_segments(meeting, host));
    }
    let mut seen: Vec<String> = Vec::new();
    for a in &meeting.attendees {
        let key = a.org_key.as_ref();
        if key.is_some() && key == subject_org {
            continue;
        }
        // One organisation named twice (two people, or name pieces re-joined) is listed once.
        let ident = key.map(|k| k.url_segment()).unwrap_or_else(|| a.name.clone());
        if seen.contains(&ident) {
            continue;
        }
        seen.push(ident);
        out.push(Segment::text(" and "));
        out.push(match key {
            Some(k) => Segment::link(a.name.clone(), org_href(k)),
            None => Segment::text(a.name.clone()),
        });
    }
    out
}

/// The official page a record can be checked against, where one exists.
pub fn official_url(
    prov: &Provenance,
    meeting: Option<&MeetingView>,
    response_initiative: Option<u64>,
) -> Option<String> {
    match prov.source {
        SourceKind::EpMeetingsCsv => {
            let PersonKey::Mep(id) = meeting?.hosts.first()?.person_key else { return None };
            Some(format!("https://www.europarl.europa.eu/meps/en/{id}/home"))
        }
        SourceKind::CommissionMeetingsXlsx | SourceKind::CommissionMeetingsXml => Some(
            "https://data.europa.eu/data/datasets/european-commission-meetings-with-interest-representatives"
                .to_owned(),
        ),
        SourceKind::HysFeedback | SourceKind::HysInitiative => response_initiative
            .map(|id| format!("https://ec.europa.eu/info/law/better-regulation/have-your-say/initiatives/{id}_en")),
        SourceKind::RegisterXml => None,
    }
}

/// `s` as one segment of a URL path. Ids from the store are data: an attachment's document id
/// may hold `#`, which would otherwise end the path.
fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// This site's page of a text position items cite, by its source id; with a span, the page
/// highlights it and the link jumps to it.
pub fn source_href(id: &str, span: Option<(usize, usize)>) -> String {
    let path = path_segment(id);
    match span {
        Some((start, end)) => format!("/source/{path}?start={start}&end={end}#passage"),
        None => format!("/source/{path}"),
    }
}

pub fn position_href(id: &str) -> String {
    format!("/position/{}", path_segment(id))
}

/// The record a source text belongs to, named for a reader: "response 2665651", linked to its
/// page. `None` for an id that is not a source id.
pub fn source_record(id: &str) -> Option<Segment> {
    Some(match SourceRef::parse(id)? {
        SourceRef::Response(r) => Segment::link(format!("response {r}"), format!("/response/{r}")),
        SourceRef::Attachment { response, .. } => {
            Segment::link(format!("an attachment of response {response}"), format!("/response/{response}"))
        }
        SourceRef::Register { id, snapshot, .. } => Segment::link(
            format!("the register entry of {}", snapshot.format("%-d %b %Y")),
            org_href(&OrgKey::Registered(id)),
        ),
    })
}

/// The register's public page of an organisation.
pub fn register_url(register_id: &str) -> String {
    format!("https://transparency-register.europa.eu/searchregister-or-update/organisation-detail_en?id={register_id}")
}

pub fn source_label(source: SourceKind) -> &'static str {
    match source {
        SourceKind::RegisterXml => "Transparency Register export",
        SourceKind::CommissionMeetingsXlsx => "Commission meetings export (XLSX)",
        SourceKind::CommissionMeetingsXml => "Commission meetings export (XML)",
        SourceKind::EpMeetingsCsv => "European Parliament meetings export (CSV)",
        SourceKind::HysInitiative => "Have Your Say initiative",
        SourceKind::HysFeedback => "Have Your Say feedback",
    }
}

/// The file name alone: full paths of the importing machine are not the reader's business.
pub fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The first `max` characters of `text` at a word boundary, and whether it was cut.
pub fn excerpt(text: &str, max: usize) -> (String, bool) {
    let text = text.trim();
    if text.chars().count() <= max {
        return (text.to_owned(), false);
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(at) if at > max / 2 => cut[..at].to_owned(),
        _ => cut,
    };
    (format!("{}…", cut.trim_end()), true)
}

/// A sentence as an item shows it: the extractive writer cuts long passages at clause
/// boundaries, and a cut must read as one ("… at the local, regional…"), not as the end.
pub fn sentence(text: &str) -> String {
    let text = text.trim_end();
    let ends = |c: char| matches!(c, '.' | '!' | '?' | '…' | ')' | '"' | '”' | '’' | '\'' | ']');
    match text.chars().last() {
        Some(c) if !ends(c) => format!("{}…", text.trim_end_matches([',', ';', ':', '-', '–', '—']).trim_end()),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(35485), "35,485");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn cut_sentences_end_with_an_ellipsis() {
        assert_eq!(sentence("We urge the Commission to act."), "We urge the Commission to act.");
        assert_eq!(sentence("at the local, regional"), "at the local, regional…");
        assert_eq!(sentence("open standards, collaboration, "), "open standards, collaboration…");
        assert_eq!(sentence("(see “fair share”)"), "(see “fair share”)");
    }

    #[test]
    fn dates_read_like_the_example() {
        let date = "2022-06-30".parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(day(date), "30 Jun 2022");
        assert_eq!(day(date.and_hms_opt(23, 59, 0).unwrap()), "30 Jun 2022");
    }

    #[test]
    fn times_of_this_sites_work_read_plainly() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
        let now = at("2026-12-07T12:00:00Z");
        assert_eq!(moment(at("2026-11-29T09:05:59+01:00")), "29 Nov 2026, 08:05 UTC");
        assert_eq!(ago(at("2026-12-07T11:59:30Z"), now), "less than a minute ago");
        assert_eq!(ago(at("2026-12-07T11:59:00Z"), now), "1 minute ago");
        assert_eq!(ago(at("2026-12-07T11:00:01Z"), now), "59 minutes ago");
        assert_eq!(ago(at("2026-12-07T11:00:00Z"), now), "1 hour ago");
        assert_eq!(ago(at("2026-12-05T12:00:01Z"), now), "47 hours ago");
        assert_eq!(ago(at("2026-12-05T12:00:00Z"), now), "2 days ago");
        assert_eq!(ago(at("2025-12-07T12:00:00Z"), now), "365 days ago");
        assert_eq!(ago(at("2026-12-07T12:00:05Z"), now), "just now");
        assert_eq!(span(chrono::TimeDelta::hours(36)), "36 hours");
        assert_eq!(span(chrono::TimeDelta::days(8)), "8 days");
        assert_eq!(span(chrono::TimeDelta::days(1)), "1 day");
    }

    #[test]
    fn amounts_and_durations_read_plainly() {
        assert_eq!(bytes(1), "1 byte");
        assert_eq!(bytes(999), "999 bytes");
        assert_eq!(bytes(4_612_345), "4.6 MB");
        assert_eq!(bytes(1_000), "1.0 kB");
        assert_eq!(bytes(2_100_000_000), "2.1 GB");
        assert_eq!(took(850), "850 ms");
        assert_eq!(took(12_340), "12.3 s");
        assert_eq!(took(245_000), "4 min 5 s");
        assert_eq!(took(7_380_000), "2 h 3 min");
    }

    #[test]
    fn mep_names_put_the_given_name_first() {
        assert_eq!(mep_name("BREYER Patrick"), "Patrick Breyer");
        assert_eq!(mep_name("AGIUS SALIBA Alex"), "Alex Agius Saliba");
        assert_eq!(mep_name("VON DER LEYEN Ursula"), "Ursula von der Leyen");
        assert_eq!(mep_name("DE LA PISA CARRIÓN Margarita"), "Margarita de la Pisa Carrión");
        assert_eq!(mep_name("HÄUSLING Martin"), "Martin Häusling");
        assert_eq!(mep_name("MÜLLER-ROSENTRITT Frank"), "Frank Müller-Rosentritt");
        assert_eq!(mep_name("Patrick Breyer"), "Patrick Breyer");
        assert_eq!(mep_name("ONLYCAPS"), "ONLYCAPS");
    }

    #[test]
    fn excerpts_cut_at_words() {
        assert_eq!(excerpt("short", 10), ("short".into(), false));
        let (cut, was_cut) = excerpt("one two three four five", 12);
        assert!(was_cut);
        assert_eq!(cut, "one two…");
    }

    #[test]
    fn source_links_keep_the_id_in_the_path() {
        assert_eq!(source_href("response:900000021", None), "/source/response:900000021");
        assert_eq!(source_href("attachment:7:#1", Some((2, 9))), "/source/attachment:7:%231?start=2&end=9#passage");
        assert_eq!(source_href("x/../\"<", None), "/source/x%2F..%2F%22%3C");
        assert_eq!(source_record("attachment:7:#1").unwrap().href.as_deref(), Some("/response/7"));
        assert_eq!(
            source_record("register:953701819437-32:2018-10-25:goals").unwrap(),
            Segment::link("the register entry of 25 Oct 2018", "/org/953701819437-32")
        );
        assert_eq!(source_record("javascript:alert(1)"), None);
    }

    #[test]
    fn person_links() {
        use lobbyscope_store::FoldedName;
        assert_eq!(person_href(&PersonKey::Mep(197431)).as_deref(), Some("/mep/197431"));
        let official = PersonKey::Commission(FoldedName::fold("Christiane Canenbley"));
        assert_eq!(person_href(&official).as_deref(), Some("/official/christiane-canenbley"));
        assert_eq!(person_href(&PersonKey::MepByName(FoldedName::fold("BREYER Patrick"))), None);
        assert_eq!(person_href(&PersonKey::Commission(FoldedName::fold("..."))), None);
    }
}
