//! Text of PDF attachments, through poppler's `pdftotext` (Debian package `poppler-utils`).
//! An external tool rather than a Rust crate: it copes with far more of the PDFs the portal
//! holds, and a crash in it cannot take the process down.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("pdftotext was not found on PATH; install Debian's poppler-utils (apt-get install poppler-utils)")]
    ToolMissing,
    #[error("could not run pdftotext on {path}: {source}")]
    Spawn { path: PathBuf, source: std::io::Error },
    #[error("pdftotext failed on {path} ({status}): {stderr}")]
    Failed { path: PathBuf, status: String, stderr: String },
    #[error("pdftotext gave text that is not UTF-8 for {path}")]
    NotUtf8 { path: PathBuf },
}

/// The text of a PDF, in UTF-8, in reading order (columns one after the other, not side by
/// side): position items cite sentences, which a layout-preserving extraction cuts apart.
pub fn pdf_text(path: impl AsRef<Path>) -> Result<String, PdfError> {
    let path = path.as_ref();
    // A relative name starting with '-' would be read as an option.
    let arg = if path.is_relative() && path.as_os_str().as_encoded_bytes().first() == Some(&b'-') {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    };
    let output =
        Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(&arg).arg("-").output().map_err(|source| match source
            .kind()
        {
            ErrorKind::NotFound => PdfError::ToolMissing,
            _ => PdfError::Spawn { path: path.to_path_buf(), source },
        })?;
    if !output.status.success() {
        return Err(PdfError::Failed {
            path: path.to_path_buf(),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    String::from_utf8(output.stdout).map_err(|_| PdfError::NotUtf8 { path: path.to_path_buf() })
}

/// Whether `pdftotext` can be run here.
pub fn pdftotext_available() -> bool {
    Command::new("pdftotext").arg("-v").output().is_ok()
}

/// A valid one-page PDF holding `lines` in Helvetica, one under the other, with a correct
/// xref table: for tests, which must not depend on PDFs from elsewhere.
pub fn minimal_pdf(lines: &[&str]) -> Vec<u8> {
    let mut stream = String::from("BT /F1 12 Tf 14 TL 72 720 Td");
    for line in lines {
        let escaped = line.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)");
        stream.push_str(&format!(" ({escaped}) Tj T*"));
    }
    stream.push_str(" ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref_at = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        // Each xref entry is exactly 20 bytes, line end included.
        pdf.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    pdf
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory per test and process, so parallel runs do not share files.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lobbyscope-pdf-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn tool_or_skip() -> bool {
        if pdftotext_available() {
            return true;
        }
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "pdftotext is missing on CI: .ci/run must install poppler-utils"
        );
        eprintln!("note: pdftotext not installed (poppler-utils); PDF test skipped");
        false
    }

    #[test]
    fn extracts_text_of_a_generated_pdf() {
        if !tool_or_skip() {
            return;
        }
        let dir = scratch_dir("generated");
        let path = dir.join("attachment.pdf");
        std::fs::write(&path, minimal_pdf(&["We urge the Commission (DG CNECT) to protect", "encryption."])).unwrap();
        let text = pdf_text(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(text.contains("We urge the Commission (DG CNECT) to protect\nencryption."), "got {text:?}");
    }

    #[test]
    fn a_file_that_is_not_a_pdf_is_an_error_not_a_panic() {
        if !tool_or_skip() {
            return;
        }
        let dir = scratch_dir("not-a-pdf");
        let path = dir.join("-not-a.pdf");
        std::fs::write(&path, b"plain text, not a PDF").unwrap();
        let not_pdf = pdf_text(&path);
        let absent = pdf_text(dir.join("absent.pdf"));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(matches!(not_pdf, Err(PdfError::Failed { .. })), "{not_pdf:?}");
        assert!(matches!(absent, Err(PdfError::Failed { .. })), "{absent:?}");
    }
}
