//! Telling which source a file is from its first bytes.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use lobbyscope_domain::{Locator, SourceKind};

use crate::limits::{Capped, Limit, LimitExceeded, Limits, bytes, thousands};
use crate::xml::shown_doctype;
use crate::{Input, SourceError};

/// How much of a file is read to recognise it. Enough for an XML prologue, a CSV header or the
/// first keys of a JSON object.
const SNIFF_LEN: usize = 64 * 1024;

/// An opened file whose source is known.
pub struct Opened {
    pub kind: SourceKind,
    /// The file's bytes from the start, gzip already undone.
    pub input: Input,
}

/// Opens a file (plain or gzip) and recognises its source from its content, under the default
/// [`Limits`] and those set in the environment ([`Limits::from_env`]).
pub fn open_path(path: &Path) -> Result<Opened, SourceError> {
    open_path_with(path, &Limits::from_env()?)
}

/// Opens a file (plain or gzip) and recognises its source from its content; a gzip file may
/// inflate only as far as `limits` allow ([`Limits::decompressed_bytes`],
/// [`Limits::compression_ratio`]).
pub fn open_path_with(path: &Path, limits: &Limits) -> Result<Opened, SourceError> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut file = BufReader::new(file);
    let mut magic = Vec::with_capacity(2);
    (&mut file).take(2).read_to_end(&mut magic)?;
    let rest = Cursor::new(magic.clone()).chain(file);
    let mut reader: Box<dyn Read + Send> = if magic == [0x1f, 0x8b] {
        let (cap, limit) = limits.inflation_cap(Limit::DecompressedBytes, size);
        let found = match limit {
            Limit::CompressionRatio => {
                format!("gzip data inflating to more than {} times its {}", limits.compression_ratio, bytes(size))
            }
            _ => format!("gzip data inflating to more than {}", bytes(cap)),
        };
        let over =
            LimitExceeded::new(limits, limit, found, format!("byte {} of the inflated data", thousands(cap + 1)));
        Box::new(Capped::new(MultiGzDecoder::new(rest), cap, over))
    } else {
        Box::new(rest)
    };
    let mut head = Vec::with_capacity(SNIFF_LEN);
    if let Err(e) = (&mut reader).take(SNIFF_LEN as u64).read_to_end(&mut head) {
        // A gzip stream cut short fails here already when the file is small.
        return Err(match e.kind() {
            std::io::ErrorKind::UnexpectedEof => SourceError::Truncated {
                locator: Locator::Line(1 + head.iter().filter(|&&b| b == b'\n').count() as u64),
                reason: format!("the compressed data ends early ({e})"),
            },
            _ => SourceError::from(e),
        });
    }
    let kind = detect(&head).ok_or_else(|| SourceError::UnknownFormat(unknown(&head)))?;
    let input = BufReader::with_capacity(256 * 1024, Cursor::new(head).chain(reader));
    Ok(Opened { kind, input: Box::new(input) })
}

/// Why a file was not recognised: what is expected, and a DTD when the file declares one, since
/// that is then the likely reason (a DTD is refused even in a file of a known source).
fn unknown(head: &[u8]) -> String {
    let expected = "expected a Transparency Register XML, Commission meetings XLSX or XML, \
                    EP meetings CSV, or Have Your Say JSON";
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    match prologue(text).doctype {
        Some(doctype) if !doctype.to_ascii_lowercase().starts_with("html") => {
            format!("an XML document with a DTD ({}), and DTDs are not accepted; {expected}", shown_doctype(doctype))
        }
        _ => expected.into(),
    }
}

/// Recognises a source from the first bytes of a (decompressed) file.
pub fn detect(head: &[u8]) -> Option<SourceKind> {
    if head.starts_with(b"PK\x03\x04") {
        return Some(SourceKind::CommissionMeetingsXlsx);
    }
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('<') {
        if prologue(text).root? == "ListOfIRPublicDetail" {
            return Some(SourceKind::RegisterXml);
        }
        return (text.contains("<meeting>") || text.contains("<meeting ")).then_some(SourceKind::CommissionMeetingsXml);
    }
    if text.starts_with('{') || text.starts_with('[') {
        return detect_json(text);
    }
    let header = text.lines().next()?;
    let columns: Vec<&str> = header.split(',').map(|c| c.trim().trim_matches('"')).collect();
    (columns.contains(&"member_id") && columns.contains(&"meeting_date")).then_some(SourceKind::EpMeetingsCsv)
}

fn detect_json(text: &str) -> Option<SourceKind> {
    let has = |key: &str| text.contains(&format!("\"{key}\""));
    if has("dateFeedback") || has("feedbackV1") || has("feedback") {
        Some(SourceKind::HysFeedback)
    } else if has("publications") || has("shortTitle") {
        Some(SourceKind::HysInitiative)
    } else if has("totalPages") && (has("content") || has("_embedded")) {
        // An empty feedback page has nothing else to recognise it by.
        Some(SourceKind::HysFeedback)
    } else {
        None
    }
}

/// What an XML document's prologue shows.
#[derive(Debug, Default, PartialEq)]
struct Prologue<'a> {
    /// The document type declaration's text after `<!DOCTYPE `, internal subset included.
    doctype: Option<&'a str>,
    /// The first element's local name.
    root: Option<&'a str>,
}

/// Reads the declaration, comments, processing instructions and doctype up to the first
/// element. A doctype's internal subset (`[ … ]`) may hold `>` inside its declarations, so it is
/// skipped to its closing `]`.
fn prologue(mut text: &str) -> Prologue<'_> {
    let mut out = Prologue::default();
    loop {
        text = text.trim_start();
        let skipped = if let Some(rest) = text.strip_prefix("<?") {
            rest.find("?>").map(|end| &rest[end + 2..])
        } else if let Some(rest) = text.strip_prefix("<!--") {
            rest.find("-->").map(|end| &rest[end + 3..])
        } else if let Some(rest) = text.strip_prefix("<!DOCTYPE").or_else(|| text.strip_prefix("<!doctype")) {
            let rest = rest.trim_start();
            let end = match (rest.find('['), rest.find('>')) {
                (Some(open), Some(close)) if open < close => {
                    rest[open..].find(']').and_then(|c| rest[open + c..].find('>').map(|g| open + c + g))
                }
                (_, close) => close,
            };
            out.doctype = Some(end.map_or(rest, |end| &rest[..end]));
            end.map(|end| &rest[end + 1..])
        } else if let Some(rest) = text.strip_prefix("<!") {
            rest.find('>').map(|end| &rest[end + 1..])
        } else {
            out.root = text.strip_prefix('<').and_then(|rest| {
                let end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
                let name = &rest[..end];
                Some(name.rsplit(':').next().unwrap_or(name))
            });
            return out;
        };
        match skipped {
            Some(rest) => text = rest,
            None => return out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_layout_by_content() {
        let register = "<?xml version='1.1' encoding='UTF-8'?>\n<!-- c --><ListOfIRPublicDetail xmlns=\"x\">";
        assert_eq!(detect(register.as_bytes()), Some(SourceKind::RegisterXml));
        assert_eq!(
            detect(b"<?xml version=\"1.0\"?><meetings><meeting><date>"),
            Some(SourceKind::CommissionMeetingsXml)
        );
        assert_eq!(detect(b"PK\x03\x04rest"), Some(SourceKind::CommissionMeetingsXlsx));
        let csv = "\u{feff}title,member_id,member_name,meeting_date,member_capacity,procedure_reference,attendees,lobbyist_id\n";
        assert_eq!(detect(csv.as_bytes()), Some(SourceKind::EpMeetingsCsv));
        assert_eq!(
            detect(br#"{"content":[{"id":1,"dateFeedback":"2021/01/01 00:00:00"}]}"#),
            Some(SourceKind::HysFeedback)
        );
        assert_eq!(detect(br#"{"id":1,"shortTitle":"x","publications":[]}"#), Some(SourceKind::HysInitiative));
        assert_eq!(detect(br#"{"content":[],"totalPages":0,"last":true}"#), Some(SourceKind::HysFeedback));
    }

    #[test]
    fn a_gzip_file_cut_short_is_truncated() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(
            b"title,member_id,member_name,meeting_date,member_capacity,procedure_reference,attendees,lobbyist_id\n",
        )
        .unwrap();
        let bytes = gz.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.csv.gz");
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(matches!(open_path(&path), Err(SourceError::Truncated { .. })));
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(open_path(&path).unwrap().kind, SourceKind::EpMeetingsCsv);
    }

    #[test]
    fn a_doctype_with_an_internal_subset_is_skipped_to_the_root() {
        let register = "<?xml version='1.0'?>\n<!DOCTYPE x [\n <!ENTITY a \"<b>\">\n <!ENTITY c \"&a;&a;\">\n]>\n<ListOfIRPublicDetail>";
        assert_eq!(detect(register.as_bytes()), Some(SourceKind::RegisterXml));
        assert_eq!(prologue(register).doctype.map(|d| d.starts_with("x [")), Some(true));
        assert_eq!(prologue("<!DOCTYPE html><html>"), Prologue { doctype: Some("html"), root: Some("html") });
        assert!(unknown(b"<!DOCTYPE lolz [<!ENTITY lol \"lol\">]><lolz>").contains("DTDs are not accepted"));
        assert!(!unknown(b"<!DOCTYPE html><html>").contains("DTD"));
    }

    #[test]
    fn unknown_content_is_not_guessed() {
        assert_eq!(detect(b",committees,country,date,dossier,epid,group,lobbyists,location,mep,role,title\n"), None);
        assert_eq!(detect(b"<html><body>"), None);
        assert_eq!(detect(br#"{"hello":"world"}"#), None);
        assert_eq!(detect(b""), None);
    }
}
