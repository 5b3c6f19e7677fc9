//! Text of consultation responses' attachments, when the files are on this machine.
//!
//! The portal's files are not fetched here: an operator who has them (a download of the
//! portal's attachments, a colleague's archive) points `lobbyscope analyze --attachments DIR` at
//! them. The extracted text is stored, so that citations into it stay checkable without the
//! file.

use std::path::{Path, PathBuf};

use lobbyscope_domain::{Document, SourceRef};
use sha2::{Digest, Sha256};

use crate::pdf::{PdfError, pdf_text};

#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error("{path} is neither a PDF nor UTF-8 text; its text cannot be extracted here")]
    Unsupported { path: PathBuf },
}

/// The id of the `index`-th (0-based) attachment of a response: its document id when it has a
/// usable one, else its position.
pub fn source_id(response: u64, index: usize, doc: &Document) -> String {
    let by_id = doc.document_id.as_deref().map(|d| SourceRef::Attachment { response, document: d.to_string() });
    by_id
        .filter(|r| SourceRef::parse(&r.to_string()).as_ref() == Some(r))
        .unwrap_or_else(|| SourceRef::Attachment { response, document: format!("#{}", index + 1) })
        .to_string()
}

/// Where an attachment may be in `dir`: named by its document id (with or without `.pdf`), by
/// its file name, or by its file name in a folder named after the response. Names come from
/// the portal, so one with a path in it is never followed.
pub fn find_local(dir: &Path, response: u64, doc: &Document) -> Option<PathBuf> {
    let plain = |name: &&String| {
        !name.is_empty() && !name.contains(['/', '\\']) && name.as_str() != "." && name.as_str() != ".."
    };
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(id) = doc.document_id.as_ref().filter(plain) {
        candidates.push(dir.join(id));
        candidates.push(dir.join(format!("{id}.pdf")));
    }
    for name in [&doc.file_name, &doc.ers_file_name].into_iter().flatten().filter(plain) {
        candidates.push(dir.join(name));
        candidates.push(dir.join(response.to_string()).join(name));
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// A file's text and how it was extracted (`pdftotext` or `text`), with the SHA-256 of its
/// bytes.
pub fn extract(path: &Path) -> Result<(String, &'static str, String), AttachmentError> {
    let bytes = std::fs::read(path).map_err(|source| AttachmentError::Read { path: path.to_path_buf(), source })?;
    let sha = lobbyscope_domain::hex(&Sha256::digest(&bytes));
    if bytes.starts_with(b"%PDF") {
        return Ok((normalise(&pdf_text(path)?), "pdftotext", sha));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((normalise(&text), "text", sha)),
        Err(_) => Err(AttachmentError::Unsupported { path: path.to_path_buf() }),
    }
}

/// Paragraphs as lines: a PDF breaks lines inside sentences, and passages end at line breaks,
/// so lines are joined within a paragraph (blank lines and form feeds separate paragraphs),
/// a word hyphenated across lines is rejoined, and runs of spaces become one.
pub fn normalise(text: &str) -> String {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.split(['\n', '\x0c']) {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            continue;
        }
        if current.is_empty() {
            current = line;
        } else if current.ends_with('-') && line.starts_with(char::is_lowercase) {
            current.pop();
            current.push_str(&line);
        } else {
            current.push(' ');
            current.push_str(&line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(document_id: Option<&str>, file_name: Option<&str>) -> Document {
        Document {
            id: None,
            document_id: document_id.map(Into::into),
            file_name: file_name.map(Into::into),
            ers_file_name: None,
            title: None,
            language: None,
            pages: None,
            size: None,
            pdf_size: None,
        }
    }

    #[test]
    fn lines_are_joined_within_paragraphs() {
        let text =
            "We urge the Com-\nmission to protect\n  encryption.   It matters.\n\n\x0cSecond  paragraph.\nEnd.\n";
        assert_eq!(
            normalise(text),
            "We urge the Commission to protect encryption. It matters.\nSecond paragraph. End."
        );
        assert_eq!(
            normalise("Pre-\nAmble and Anti-\nTrust"),
            "Pre- Amble and Anti- Trust",
            "capitals are not rejoined"
        );
    }

    #[test]
    fn ids_use_the_document_id_when_it_is_safe() {
        assert_eq!(source_id(7, 0, &doc(Some("090166e5abc"), None)), "attachment:7:090166e5abc");
        assert_eq!(source_id(7, 1, &doc(Some("../x"), None)), "attachment:7:#2");
        assert_eq!(source_id(7, 2, &doc(None, Some("a.pdf"))), "attachment:7:#3");
    }

    #[test]
    fn files_are_found_by_id_or_name_but_never_outside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("090166e5abc.pdf"), b"%PDF").unwrap();
        std::fs::create_dir(dir.path().join("42")).unwrap();
        std::fs::write(dir.path().join("42").join("position.txt"), b"text").unwrap();
        std::fs::write(dir.path().join("secret.txt"), b"no").unwrap();
        let found =
            |d: Document| find_local(dir.path(), 42, &d).map(|p| p.strip_prefix(dir.path()).unwrap().to_owned());
        assert_eq!(found(doc(Some("090166e5abc"), None)), Some(PathBuf::from("090166e5abc.pdf")));
        assert_eq!(found(doc(None, Some("position.txt"))), Some(PathBuf::from("42/position.txt")));
        assert_eq!(found(doc(None, Some("../secret.txt"))), None);
        assert_eq!(found(doc(Some("absent"), Some("absent.pdf"))), None);
    }
}
