//! Telling which source a file is from its first bytes.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use lobbyscope_domain::{Locator, SourceKind};

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

/// Opens a file (plain or gzip) and recognises its source from its content.
pub fn open_path(path: &Path) -> Result<Opened, SourceError> {
    let mut file = BufReader::new(File::open(path)?);
    let mut magic = Vec::with_capacity(2);
    (&mut file).take(2).read_to_end(&mut magic)?;
    let rest = Cursor::new(magic.clone()).chain(file);
    let mut reader: Box<dyn Read + Send> =
        if magic == [0x1f, 0x8b] { Box::new(MultiGzDecoder::new(rest)) } else { Box::new(rest) };
    let mut head = Vec::with_capacity(SNIFF_LEN);
    if let Err(e) = (&mut reader).take(SNIFF_LEN as u64).read_to_end(&mut head) {
        // A gzip stream cut short fails here already when the file is small.
        return Err(match e.kind() {
            std::io::ErrorKind::UnexpectedEof => SourceError::Truncated {
                locator: Locator::Line(1 + head.iter().filter(|&&b| b == b'\n').count() as u64),
                reason: format!("the compressed data ends early ({e})"),
            },
            _ => SourceError::Io(e),
        });
    }
    let kind = detect(&head).ok_or_else(|| {
        SourceError::UnknownFormat(
            "expected a Transparency Register XML, Commission meetings XLSX or XML, \
             EP meetings CSV, or Have Your Say JSON"
                .into(),
        )
    })?;
    let input = BufReader::with_capacity(256 * 1024, Cursor::new(head).chain(reader));
    Ok(Opened { kind, input: Box::new(input) })
}

/// Recognises a source from the first bytes of a (decompressed) file.
pub fn detect(head: &[u8]) -> Option<SourceKind> {
    if head.starts_with(b"PK\x03\x04") {
        return Some(SourceKind::CommissionMeetingsXlsx);
    }
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('<') {
        if root_element(text)? == "ListOfIRPublicDetail" {
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

/// The name of the first element, skipping the declaration, comments and doctype.
fn root_element(mut text: &str) -> Option<&str> {
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix("<?") {
            text = &rest[rest.find("?>")? + 2..];
        } else if let Some(rest) = text.strip_prefix("<!--") {
            text = &rest[rest.find("-->")? + 3..];
        } else if let Some(rest) = text.strip_prefix("<!") {
            text = &rest[rest.find('>')? + 1..];
        } else {
            let rest = text.strip_prefix('<')?;
            let end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
            let name = &rest[..end];
            return Some(name.rsplit(':').next().unwrap_or(name));
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
    fn unknown_content_is_not_guessed() {
        assert_eq!(detect(b",committees,country,date,dossier,epid,group,lobbyists,location,mep,role,title\n"), None);
        assert_eq!(detect(b"<html><body>"), None);
        assert_eq!(detect(br#"{"hello":"world"}"#), None);
        assert_eq!(detect(b""), None);
    }
}
