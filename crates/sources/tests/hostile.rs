//! Crafted files that ask for unbounded work, each made here, small: every one must end with a
//! clear error, quickly and in bounded memory, through the public entry points an importer uses.
//! Limits are lowered where the default would need a large file to reach.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::io::{Cursor, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use lobbyscope_domain::{Locator, SourceKind};
use lobbyscope_sources::{Limit, LimitExceeded, Limits, Parsed, SourceError, open_path_with, parse_with};
use zip::write::SimpleFileOptions;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Every item of `bytes` parsed as `kind`, the error of `parse_with` itself included.
fn parse(kind: SourceKind, bytes: Vec<u8>, limits: &Limits) -> Vec<Result<Parsed, SourceError>> {
    match parse_with(kind, Box::new(Cursor::new(bytes)), limits) {
        Ok(items) => items.collect(),
        Err(e) => vec![Err(e)],
    }
}

/// A file written to disk, then opened and parsed as the importer does.
fn open_and_parse(name: &str, bytes: &[u8], limits: &Limits) -> Vec<Result<Parsed, SourceError>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    open_and_parse_path(&path, limits)
}

fn open_and_parse_path(path: &Path, limits: &Limits) -> Vec<Result<Parsed, SourceError>> {
    let opened = match open_path_with(path, limits) {
        Ok(opened) => opened,
        Err(e) => return vec![Err(e)],
    };
    match parse_with(opened.kind, opened.input, limits) {
        Ok(items) => items.collect(),
        Err(e) => vec![Err(e)],
    }
}

/// The error the items end with; nothing may follow it.
fn error(items: &[Result<Parsed, SourceError>]) -> &SourceError {
    let at = items.iter().position(Result::is_err).unwrap_or_else(|| panic!("no error in {} items", items.len()));
    assert_eq!(at, items.len() - 1, "the error ends the stream");
    items[at].as_ref().unwrap_err()
}

/// The limit the items end with, its message checked to name the limit, its value and its
/// variable.
fn limit(items: &[Result<Parsed, SourceError>]) -> &LimitExceeded {
    match error(items) {
        SourceError::TooLarge(e) => {
            let message = SourceError::TooLarge(e.clone()).to_string();
            assert!(message.contains(e.limit.name()), "{message}");
            assert!(message.contains(&e.limit.show(e.value)), "{message}");
            assert!(message.contains(&e.limit.env_var()), "{message}");
            e
        }
        other => panic!("expected a limit, got {other:?}"),
    }
}

fn records(items: &[Result<Parsed, SourceError>]) -> usize {
    items.iter().filter(|i| matches!(i, Ok(Parsed::Record(_)))).count()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

// --- XLSX --------------------------------------------------------------------------------------

const HEADER: [&str; 9] = [
    "Name of cabinet",
    "Name of EC representative",
    "Title of EC representative",
    "Portfolio",
    "Date of meeting",
    "Location",
    "Name of interest representative",
    "Transparency register ID",
    "Subject of the meeting",
];

const MEETING: [&str; 9] = [
    "Cabinet of Commissioner Example",
    "Jane Example",
    "Member",
    "Examples",
    "2023-01-02",
    "Brussels",
    "Example Org",
    "3978240953-79",
    "A subject",
];

/// `A1` notation.
fn cell_ref(col: usize, row: u32) -> String {
    let mut letters = String::new();
    let mut n = col + 1;
    while n > 0 {
        letters.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
        n = (n - 1) / 26;
    }
    format!("{letters}{row}")
}

/// A sheet row of inline strings.
fn row_xml(row: u32, cells: &[&str]) -> String {
    let cells: String = cells
        .iter()
        .enumerate()
        .map(|(c, text)| format!(r#"<c r="{}" t="inlineStr"><is><t>{text}</t></is></c>"#, cell_ref(c, row)))
        .collect();
    format!(r#"<row r="{row}">{cells}</row>"#)
}

/// A sheet with the export's first row, the header on row 2 and `rows` after it.
fn sheet_xml(dimension: Option<&str>, rows: &str) -> String {
    let dimension = dimension.map(|d| format!(r#"<dimension ref="{d}"/>"#)).unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>{}{}{rows}</sheetData></worksheet>"#,
        row_xml(1, &["File generated on : 2023-06-13"]),
        row_xml(2, &HEADER)
    )
}

/// A workbook of one sheet `Export Worksheet`, with whatever other parts are given.
fn xlsx(sheet: &str, parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut add = |name: &str, bytes: &[u8]| {
        zip.start_file(name, options).unwrap();
        zip.write_all(bytes).unwrap();
    };
    add(
        "[Content_Types].xml",
        br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#,
    );
    add(
        "_rels/.rels",
        br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    add(
        "xl/workbook.xml",
        br#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Export Worksheet" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    );
    add(
        "xl/_rels/workbook.xml.rels",
        br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
    );
    add("xl/worksheets/sheet1.xml", sheet.as_bytes());
    for (name, bytes) in parts {
        add(name, bytes);
    }
    zip.finish().unwrap().into_inner()
}

fn parse_xlsx(bytes: Vec<u8>, limits: &Limits) -> Vec<Result<Parsed, SourceError>> {
    parse(SourceKind::CommissionMeetingsXlsx, bytes, limits)
}

#[test]
fn the_workbook_builder_makes_a_file_that_loads() {
    let items = parse_xlsx(xlsx(&sheet_xml(Some("A1:I3"), &row_xml(3, &MEETING)), &[]), &Limits::default());
    assert_eq!(records(&items), 1, "{items:?}");
}

// ---------------------------------------------------------------------------------------------
// XLSX

/// The issue's file: a sheet whose used range reaches the last cell Excel has. calamine's
/// dense range would allocate 17 billion cells for it.
#[test]
fn xlsx_declaring_the_whole_grid_is_refused_before_any_allocation() {
    let sheet = sheet_xml(Some("A1:XFD1048576"), &row_xml(3, &MEETING));
    let items = parse_xlsx(xlsx(&sheet, &[]), &Limits::default());
    let e = limit(&items);
    assert_eq!(e.limit, Limit::SheetColumns);
    assert!(e.found.contains("A1:XFD1048576"), "{e}");
    assert_eq!(e.at, "sheet 'Export Worksheet'");
}

#[test]
fn xlsx_with_a_cell_at_the_last_cell_of_the_grid_is_refused() {
    // No declared range to go by: the cell itself is far out.
    let far = r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>"#;
    let items = parse_xlsx(xlsx(&sheet_xml(None, &format!("{}{far}", row_xml(3, &MEETING))), &[]), &Limits::default());
    let e = limit(&items);
    assert_eq!(e.limit, Limit::SheetColumns);
    assert!(e.found.contains("XFD1048576"), "{e}");
    // Past Excel's last row, in a column that is allowed.
    let far = r#"<row r="1048577"><c r="A1048577" t="inlineStr"><is><t>x</t></is></c></row>"#;
    let e = limit(&parse_xlsx(xlsx(&sheet_xml(None, far), &[]), &Limits::default())).clone();
    assert_eq!(e.limit, Limit::SheetRows);
}

#[test]
fn a_sparse_sheet_within_the_limits_costs_only_its_cells() {
    // A meeting on the last row Excel has, in a sheet that declares the whole of it.
    let sheet = sheet_xml(Some("A1:I1048576"), &row_xml(1_048_576, &MEETING));
    let items = parse_xlsx(xlsx(&sheet, &[]), &Limits::default());
    assert_eq!(items.len(), 1, "{items:?}");
    match &items[0] {
        Ok(Parsed::Record(r)) => assert_eq!(r.locator, Locator::Row(1_048_576)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn xlsx_part_bomb_is_stopped_by_the_compression_ratio() {
    // 32 MiB of shared strings that deflate to a few dozen KB.
    let mut shared =
        String::from(r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#);
    shared.push_str(&"<si><t>a</t></si>".repeat(32 * 1024 * 1024 / 17));
    shared.push_str("</sst>");
    let bomb = xlsx(&sheet_xml(None, ""), &[("xl/sharedStrings.xml", shared.as_bytes())]);
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let items = parse_xlsx(bomb, &Limits::default());
    let e = limit(&items);
    assert_eq!(e.limit, Limit::CompressionRatio);
    assert_eq!(e.at, "part xl/sharedStrings.xml");
    assert!(e.found.contains("times the file's"), "{e}");
}

#[test]
fn xlsx_part_bomb_is_stopped_by_the_inflated_size() {
    let limits = Limits { compression_ratio: 1_000_000, xlsx_inflated_bytes: 2 * 1024 * 1024, ..Limits::default() };
    let rows: String = (3..20_000).map(|r| row_xml(r, &MEETING)).collect();
    let items = parse_xlsx(xlsx(&sheet_xml(None, &rows), &[]), &limits);
    let e = limit(&items);
    assert_eq!(e.limit, Limit::XlsxInflatedBytes);
    assert_eq!(e.at, "part xl/worksheets/sheet1.xml");
    assert_eq!(records(&items), 0, "refused before any row");
}

#[test]
fn xlsx_styles_bomb_is_stopped_early() {
    // Each `<xf/>` costs the XLSX reader about 150 bytes.
    let styles = format!(
        r#"<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs>{}</cellXfs></styleSheet>"#,
        "<xf/>".repeat(400_000)
    );
    let limits = Limits { compression_ratio: 1_000_000, ..Limits::default() };
    let items = parse_xlsx(xlsx(&sheet_xml(None, ""), &[("xl/styles.xml", styles.as_bytes())]), &limits);
    let e = limit(&items);
    assert_eq!(e.limit, Limit::XlsxStylesBytes);
    assert_eq!(e.at, "part xl/styles.xml");
}

#[test]
fn xlsx_repeating_one_long_shared_string_is_stopped() {
    // One 64 KiB string, cited by every row's subject: 2,000 rows would yield 128 MiB of text.
    let long = "x".repeat(64 * 1024);
    let shared = format!(
        r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>{long}</t></si></sst>"#
    );
    let subject = |r: u32| format!(r#"<c r="I{r}" t="s"><v>0</v></c></row>"#);
    let rows: String = (3..2_000).map(|r| row_xml(r, &MEETING[..8]).replace("</row>", &subject(r))).collect();
    let bytes = xlsx(&sheet_xml(None, &rows), &[("xl/sharedStrings.xml", shared.as_bytes())]);
    assert!(bytes.len() < 1_000_000);
    let limits = Limits { xlsx_text_bytes: 4 * 1024 * 1024, ..Limits::default() };
    let items = parse_xlsx(bytes, &limits);
    let e = limit(&items);
    assert_eq!(e.limit, Limit::XlsxTextBytes);
    assert!(e.at.starts_with("row "), "{e}");
    assert!(records(&items) < 70, "{}", records(&items));
}

#[test]
fn xlsx_larger_than_its_limit_is_not_read_into_memory() {
    let limits = Limits { xlsx_bytes: 1024, ..Limits::default() };
    let e = limit(&parse_xlsx(xlsx(&sheet_xml(None, &row_xml(3, &MEETING)), &[]), &limits)).clone();
    assert_eq!(e.limit, Limit::XlsxBytes);
}

/// A sheet whose XML breaks on row 5: the error names the sheet and that row, as Excel
/// numbers it.
#[test]
fn damaged_xlsx_names_the_sheet_and_the_row() {
    let rows = format!(
        "{}{}<row r=\"5\"><c r=\"A5\" t=\"inlineStr\"><is><t>broken</t></is></c><c r=\"B5\" t=\"inlineStr\"><is><t>x</is></c></row>",
        row_xml(3, &MEETING),
        row_xml(4, &MEETING)
    );
    let items = parse_xlsx(xlsx(&sheet_xml(None, &rows), &[]), &Limits::default());
    assert_eq!(records(&items), 2, "the rows before the damage were read: {items:?}");
    match error(&items) {
        SourceError::Malformed { locator, reason } => {
            assert_eq!(*locator, Locator::Row(5));
            assert!(reason.starts_with("sheet 'Export Worksheet' is damaged in or after row 5: "), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

/// Bytes of the sheet's compressed data overwritten: the archive opens, the sheet breaks where
/// its data does.
#[test]
fn an_xlsx_with_corrupted_sheet_data_fails_at_a_real_row() {
    let rows: String = (3..3_000)
        .map(|r| {
            row_xml(
                r,
                &[
                    &format!("Cabinet {r}"),
                    "Jane",
                    "Member",
                    "P",
                    "2023-01-02",
                    "B",
                    "O",
                    "3978240953-79",
                    &format!("subject {}", r * 7919),
                ],
            )
        })
        .collect();
    let mut bytes = xlsx(&sheet_xml(None, &rows), &[]);
    let sheet_at = bytes.windows(24).position(|w| w == b"xl/worksheets/sheet1.xml").unwrap();
    let middle = sheet_at + 24 + 20_000;
    bytes[middle..middle + 64].fill(0x55);
    let items = parse_xlsx(bytes, &Limits::default());
    match error(&items) {
        SourceError::Malformed { locator: Locator::Row(row), reason } => {
            assert!(*row > 2, "{reason}");
            assert!(reason.contains(&format!("sheet 'Export Worksheet' is damaged in or after row {row}")), "{reason}");
        }
        other => panic!("expected the sheet's damage at a row, got {other:?}"),
    }
}

#[test]
fn an_xlsx_cut_short_says_so_and_no_row_zero() {
    let bytes = xlsx(&sheet_xml(None, &row_xml(3, &MEETING)), &[]);
    let items = parse_xlsx(bytes[..bytes.len() / 2].to_vec(), &Limits::default());
    match error(&items) {
        SourceError::Unusable(reason) => assert!(reason.contains("cut short"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(!error(&items).to_string().contains("row 0"));
}

// ---------------------------------------------------------------------------------------------
// gzip

const CSV_HEADER: &str =
    "title,member_id,member_name,meeting_date,member_capacity,procedure_reference,attendees,lobbyist_id\n";

#[test]
fn gzip_bomb_is_stopped_by_the_compression_ratio() {
    let mut csv = CSV_HEADER.to_owned();
    csv.push_str(&"Subject,1,X,2020-01-01,Member,,Org,\n".repeat(16 * 1024 * 1024 / 36));
    let gz = gzip(csv.as_bytes());
    assert!(gz.len() < 200_000, "{}", gz.len());
    let items = open_and_parse("bomb.csv.gz", &gz, &Limits::default());
    let e = limit(&items);
    assert_eq!(e.limit, Limit::CompressionRatio);
    assert!(e.at.starts_with("line ") && e.at.contains("of the inflated data"), "{e}");
    assert!(e.found.starts_with("gzip data inflating to more than 100 times its "), "{e}");
}

#[test]
fn gzip_bomb_is_stopped_by_the_decompressed_size() {
    let limits = Limits { compression_ratio: 1_000_000, decompressed_bytes: 2 * 1024 * 1024, ..Limits::default() };
    let mut xml = String::from("<meetings>");
    xml.push_str(&"<meeting><date>2021-01-01</date></meeting>\n".repeat(100_000));
    let items = open_and_parse("bomb.xml.gz", &gzip(xml.as_bytes()), &limits);
    let e = limit(&items);
    assert_eq!(e.limit, Limit::DecompressedBytes);
    assert!(e.at.starts_with("<meeting> #"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// XML

fn deep(levels: usize) -> String {
    format!("<meetings><meeting>{}{}</meeting></meetings>", "<a>".repeat(levels), "</a>".repeat(levels))
}

#[test]
fn deeply_nested_xml_fails_fast_with_a_depth_error() {
    let items = parse(SourceKind::CommissionMeetingsXml, deep(100_000).into_bytes(), &Limits::default());
    let e = limit(&items);
    assert_eq!(e.limit, Limit::XmlDepth);
    assert!(e.found.contains("nested 257 elements deep"), "{e}");
    assert!(e.at.starts_with("<meeting> #1 (line 1), in meetings/meeting/a/…("), "{e}");

    let register = format!(
        "<ListOfIRPublicDetail><metaData><exportDate>2018-10-25</exportDate></metaData><resultList>{}",
        "<interestRepresentative>".repeat(100_000)
    );
    let e = limit(&parse(SourceKind::RegisterXml, register.into_bytes(), &Limits::default())).clone();
    assert_eq!(e.limit, Limit::XmlDepth);
    assert!(e.at.starts_with("<interestRepresentative> #1 (line 1), in ListOfIRPublicDetail/resultList/"), "{e}");
}

#[test]
fn deep_xml_within_a_raised_limit_still_reads() {
    let limits = Limits { xml_depth: 100_000, ..Limits::default() };
    let items = parse(SourceKind::CommissionMeetingsXml, deep(50_000).into_bytes(), &limits);
    match error(&items) {
        // The meeting itself is empty, so the file has nothing to read.
        SourceError::Unusable(reason) => assert!(reason.contains("its only record was rejected"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

const LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
"#;

#[test]
fn a_dtd_is_refused_with_its_reason() {
    let register = format!(
        "{LAUGHS}<ListOfIRPublicDetail><metaData><exportDate>2018-10-25</exportDate></metaData><resultList><interestRepresentative><name><originalName>&lol3;</originalName></name></interestRepresentative></resultList></ListOfIRPublicDetail>"
    );
    let items = open_and_parse("register.xml", register.as_bytes(), &Limits::default());
    match error(&items) {
        SourceError::Refused { locator, reason } => {
            assert_eq!(*locator, Locator::Line(2));
            assert!(reason.starts_with("DTDs are not accepted"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let meetings = format!("{LAUGHS}<meetings><meeting><subject>&lol3;</subject></meeting></meetings>");
    let items = open_and_parse("meetings.xml", meetings.as_bytes(), &Limits::default());
    assert!(
        matches!(error(&items), SourceError::Refused { reason, .. } if reason.starts_with("DTDs are not accepted")),
        "{items:?}"
    );
    // A DTD in a document of no known source: the reason is given with the refusal.
    let items = open_and_parse("lolz.xml", format!("{LAUGHS}<lolz>&lol3;</lolz>").as_bytes(), &Limits::default());
    match error(&items) {
        SourceError::UnknownFormat(reason) => assert!(reason.contains("DTDs are not accepted"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // A web page is simply not a source.
    let items = open_and_parse("page.html", b"<!DOCTYPE html><html><body>x</body></html>", &Limits::default());
    assert!(matches!(error(&items), SourceError::UnknownFormat(r) if !r.contains("DTD")), "{items:?}");
}

#[test]
fn one_huge_text_or_record_in_xml_is_stopped() {
    let limits = Limits { xml_text_bytes: 64 * 1024, xml_record_bytes: 256 * 1024, ..Limits::default() };
    let text = format!("<meetings><meeting><subject>{}</subject></meeting></meetings>", "x".repeat(100_000));
    let e = limit(&parse(SourceKind::CommissionMeetingsXml, text.into_bytes(), &limits)).clone();
    assert_eq!(e.limit, Limit::XmlTextBytes);
    assert!(e.at.starts_with("<meeting> #1 (line 1)"), "{e}");
    // The same text in small events (around references) is bounded too.
    let refs = format!("<meetings><meeting><subject>{}</subject></meeting></meetings>", "a&amp;".repeat(40_000));
    let e = limit(&parse(SourceKind::CommissionMeetingsXml, refs.into_bytes(), &limits)).clone();
    assert_eq!(e.limit, Limit::XmlTextBytes);
    // Many small elements in one record.
    let register = format!(
        "<ListOfIRPublicDetail><metaData><exportDate>2018-10-25</exportDate></metaData><resultList><interestRepresentative><levelsOfInterest>{}</levelsOfInterest></interestRepresentative></resultList></ListOfIRPublicDetail>",
        "<levelOfInterest>global</levelOfInterest>".repeat(20_000)
    );
    let e = limit(&parse(SourceKind::RegisterXml, register.into_bytes(), &limits)).clone();
    assert_eq!(e.limit, Limit::XmlRecordBytes);
    assert!(e.at.starts_with("<interestRepresentative> #1"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Rows with a quoted field each, as the real export quotes a title with a comma.
fn csv_rows(n: usize) -> String {
    (0..n).map(|i| format!("\"Subject {i}, with a comma\",1,X,2020-01-01,Member,,Org,\n")).collect()
}

/// Rows without a quote, which a quote left open before them cannot close.
fn plain_rows(n: usize) -> String {
    (0..n).map(|i| format!("Subject {i},1,X,2020-01-01,Member,,Org,\n")).collect()
}

fn parse_csv(text: &str, limits: &Limits) -> Vec<Result<Parsed, SourceError>> {
    parse(SourceKind::EpMeetingsCsv, text.as_bytes().to_vec(), limits)
}

#[test]
fn a_csv_cut_in_the_middle_of_its_last_row_is_truncated() {
    let text = format!("{CSV_HEADER}{}Cut,1,X,2020-01-01", csv_rows(10));
    let items = parse_csv(&text, &Limits::default());
    match error(&items) {
        SourceError::Truncated { locator, reason } => {
            assert_eq!(*locator, Locator::Line(12));
            assert_eq!(
                reason,
                "the row on line 12 stops after 4 of the header's 8 fields, with no line break after it: the file looks cut short"
            );
        }
        other => panic!("{other:?}"),
    }
    // Cut inside a quoted field: the quote is left open.
    let text = format!("{CSV_HEADER}{}\"Cut inside", csv_rows(10));
    assert!(matches!(
        error(&parse_csv(&text, &Limits::default())),
        SourceError::Truncated { locator: Locator::Line(12), .. }
    ));
    // A short last row that does end with a line break is one bad row.
    let text = format!("{CSV_HEADER}{}Short,1,X\n", csv_rows(10));
    let items = parse_csv(&text, &Limits::default());
    assert_eq!(records(&items), 10);
    assert!(items.iter().all(Result::is_ok));
}

#[test]
fn an_unterminated_quote_is_reported_with_the_lines_it_swallowed() {
    let text = format!("{CSV_HEADER}{}\"Never closed,1,X,2020-01-01,Member,,Org,\n{}", csv_rows(3), plain_rows(10));
    let items = parse_csv(&text, &Limits::default());
    match error(&items) {
        SourceError::Truncated { locator, reason } => {
            assert_eq!(*locator, Locator::Line(5));
            assert_eq!(
                reason,
                "a quote opened in the row on line 5 is never closed: lines 5 to 15, the rest of the file, would be read as one field"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rows_merged_by_a_stray_quote_are_rejected_with_their_lines() {
    // The quote opened on line 3 closes on line 6: lines 3 to 6 read as one row.
    let text = format!(
        "{CSV_HEADER}{}\"Stray,1,X,2020-01-01,Member,,Org,\n{}Closing\" here,1,X,2020-01-01,Member,,Org,\n{}",
        csv_rows(1),
        plain_rows(2),
        csv_rows(2)
    );
    let items = parse_csv(&text, &Limits::default());
    assert_eq!(records(&items), 3, "{items:?}");
    let rejected: Vec<_> =
        items.iter().filter_map(|i| if let Ok(Parsed::Rejected(r)) = i { Some(r) } else { None }).collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].locator, Locator::Line(3));
    assert_eq!(
        rejected[0].reason,
        "a quoted field runs from line 3 to line 6 and holds what look like rows of this file (2 lines from 4 to 5): \
         a quote left open on line 3 seems to have merged them into this row, so none of them is read"
    );
    // Merged rows that do not add up to the header's fields say which lines they span.
    let text = format!("{CSV_HEADER}\"Stray,1,X,2020-01-01,M,,,\nNext,1,X,2020-01-01,M,,\"Org A, Org B\",\n");
    let items = parse_csv(&text, &Limits::default());
    assert!(
        matches!(&items[0], Ok(Parsed::Rejected(r)) if r.reason.contains("it spans lines 2 to 3, so a quote may have been left open")),
        "{items:?}"
    );
}

/// A title over several lines, as the EP export has them, is no merged row.
#[test]
fn multi_line_fields_are_real_rows() {
    let text = format!(
        "{CSV_HEADER}\"Meeting on the AI Act:\r\n- risk classes, 2021/0106(COD)\r\n- sandboxes, 1, 2 and 3\",1,X,2020-01-01,Member,,\"Org A,\nOrg B\",\n{}",
        csv_rows(2)
    );
    let items = parse_csv(&text, &Limits::default());
    assert_eq!(records(&items), 3, "{items:?}");
}

#[test]
fn a_csv_without_one_valid_row_fails_as_a_file() {
    let text = format!(
        "{CSV_HEADER}a,1,X,2020-13-01,M,,,\nb,one,X,2020-01-01,M,,,\nc,1,,2020-01-01,M,,,\nd,1,X,2020-01-01,M\n"
    );
    let items = parse_csv(&text, &Limits::default());
    assert_eq!(items.len(), 5, "the four rejections, then the file's error");
    match error(&items) {
        SourceError::Unusable(reason) => assert_eq!(
            reason,
            "no record of the file could be read: all 4 of its records were rejected (at line 2: meeting_date \
             '2020-13-01' is not a date YYYY-MM-DD; at line 3: member_id 'one' is not an integer; at line 4: \
             member_name is empty; …)"
        ),
        other => panic!("{other:?}"),
    }
    // A header alone is an empty export, not a broken one.
    assert!(parse_csv(CSV_HEADER, &Limits::default()).is_empty());
}

#[test]
fn an_over_long_field_or_row_is_stopped() {
    let limits = Limits { csv_field_bytes: 1024, csv_row_bytes: 16 * 1024, ..Limits::default() };
    let text = format!("{CSV_HEADER}{}\"{}\",1,X,2020-01-01,M,,,\n", csv_rows(2), "long ".repeat(400));
    let e = limit(&parse_csv(&text, &limits)).clone();
    assert_eq!(e.limit, Limit::CsvFieldBytes);
    assert_eq!(e.found, "field 1 ('title') of 2,000 bytes");
    assert_eq!(e.at, "line 4");
    // A quote left open in a long file is stopped by the row's length, not read to the end.
    let text = format!("{CSV_HEADER}\"Open,1,X,2020-01-01,M,,,\n{}", plain_rows(5_000));
    let e = limit(&parse_csv(&text, &limits)).clone();
    assert_eq!(e.limit, Limit::CsvRowBytes);
    assert!(e.at.starts_with("line 2"), "{e}");
    assert!(e.found.contains("a quote opened in it and never closed"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// JSON

#[test]
fn an_over_large_json_page_is_not_read_whole() {
    let limits = Limits { json_bytes: 4096, ..Limits::default() };
    let items: String = (0..200).map(|i| format!(r#"{{"id":{i},"dateFeedback":"2021/01/01 00:00:00"}},"#)).collect();
    let page = format!(r#"{{"content":[{}],"totalPages":1}}"#, items.trim_end_matches(','));
    let e = limit(&parse(SourceKind::HysFeedback, page.into_bytes(), &limits)).clone();
    assert_eq!(e.limit, Limit::JsonBytes);
}

// ---------------------------------------------------------------------------------------------
// Messages

/// What a user reads, for each kind of limit: what, where, which limit, how to raise it.
#[test]
fn limit_messages_say_what_to_do() {
    let items = parse_csv(
        &format!("{CSV_HEADER}\"{}\",1,X,2020-01-01,M,,,\n", "x".repeat(2000)),
        &Limits { csv_field_bytes: 1024, ..Limits::default() },
    );
    assert_eq!(
        error(&items).to_string(),
        "over a limit at line 2: field 1 ('title') of 2,000 bytes, more than the csv_field_bytes limit of 1 KiB \
         allows (to accept the file, set LOBBYSCOPE_LIMIT_CSV_FIELD_BYTES higher)"
    );
}
