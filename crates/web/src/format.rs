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
