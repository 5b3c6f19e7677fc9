//! What the two XML parsers ([`crate::register_xml`], [`crate::ec_meetings_xml`]) share: the
//! input they read through, which counts lines and bounds what one event or one record may
//! take, the stack of open elements, which bounds depth, and the refusal of DTDs.

use std::io::{self, BufRead, Read};

use lobbyscope_domain::Locator;

use crate::limits::{Limit, LimitExceeded, Limits, bytes, limit_error};
use crate::{Input, SourceError};

/// The bytes under an XML reader, counted.
///
/// quick-xml gathers a whole event (a text, a tag, a comment) in memory before it returns it, so
/// the size of one event is bounded here, where the bytes go by: the parser marks where each
/// event starts ([`XmlInput::start_event`]) and whether it is inside a record, and the input
/// fails, with the limit, once either has taken more than it may.
pub(crate) struct XmlInput {
    inner: Input,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    newlines: u64,
    consumed: u64,
    event_start: u64,
    record_start: Option<u64>,
    text_limit: u64,
    record_limit: u64,
    limits: Limits,
}

impl XmlInput {
    pub(crate) fn new(inner: Input, limits: &Limits) -> Self {
        XmlInput {
            inner,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            pos: 0,
            len: 0,
            newlines: 0,
            consumed: 0,
            event_start: 0,
            record_start: None,
            text_limit: limits.xml_text_bytes,
            record_limit: limits.xml_record_bytes,
            limits: limits.clone(),
        }
    }

    /// The 1-based line of the next unread byte.
    pub(crate) fn line(&self) -> u64 {
        self.newlines + 1
    }

    /// Line breaks consumed so far.
    pub(crate) fn newlines(&self) -> u64 {
        self.newlines
    }

    /// The next event starts here.
    pub(crate) fn start_event(&mut self) {
        self.event_start = self.consumed;
    }

    /// Says whether the parser is inside a record's element after the current event: a record
    /// that begins is counted from the start of its start tag.
    pub(crate) fn in_record(&mut self, inside: bool) {
        match (inside, self.record_start) {
            (true, None) => self.record_start = Some(self.event_start),
            (false, Some(_)) => self.record_start = None,
            _ => {}
        }
    }

    /// The limit the bytes consumed so far have passed, if any.
    fn over(&self) -> Option<LimitExceeded> {
        let event = self.consumed - self.event_start;
        if event > self.text_limit {
            let found = format!("one piece of text or markup longer than {}", bytes(self.text_limit));
            return Some(LimitExceeded::new(&self.limits, Limit::XmlTextBytes, found, self.at()));
        }
        let record = self.record_start.map_or(0, |start| self.consumed - start);
        if record > self.record_limit {
            let found = format!("a record longer than {}", bytes(self.record_limit));
            return Some(LimitExceeded::new(&self.limits, Limit::XmlRecordBytes, found, self.at()));
        }
        None
    }

    fn at(&self) -> String {
        format!("line {}", self.line())
    }
}

impl Read for XmlInput {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for XmlInput {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(exceeded) = self.over() {
            return Err(limit_error(exceeded));
        }
        if self.pos >= self.len {
            self.pos = 0;
            self.len = 0;
            self.len = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
        }
        Ok(&self.buf[self.pos..self.len])
    }

    fn consume(&mut self, amount: usize) {
        let end = (self.pos + amount).min(self.len);
        self.newlines += self.buf[self.pos..end].iter().filter(|&&b| b == b'\n').count() as u64;
        self.consumed += (end - self.pos) as u64;
        self.pos = end;
    }
}

/// The elements open around the reader's position, outermost first, at most
/// [`Limits::xml_depth`] of them.
pub(crate) struct Open {
    /// Local names of the open elements: `names[ends[i-1]..ends[i]]`.
    names: String,
    ends: Vec<usize>,
    limit: u64,
    limits: Limits,
}

/// How many names at each end of a deep path a message shows.
const PATH_ENDS: usize = 3;

impl Open {
    pub(crate) fn new(limits: &Limits) -> Self {
        Open { names: String::new(), ends: Vec::new(), limit: limits.xml_depth, limits: limits.clone() }
    }

    pub(crate) fn depth(&self) -> usize {
        self.ends.len()
    }

    /// Opens an element, unless that would nest deeper than the limit; the error says in what,
    /// and the caller adds where.
    pub(crate) fn push(&mut self, name: &str) -> Result<(), LimitExceeded> {
        if self.ends.len() as u64 >= self.limit {
            let found = format!("<{name}> nested {} elements deep", self.ends.len() + 1);
            return Err(LimitExceeded::new(&self.limits, Limit::XmlDepth, found, format!("in {}", self.path())));
        }
        self.names.push_str(name);
        self.ends.push(self.names.len());
        Ok(())
    }

    pub(crate) fn pop(&mut self) {
        self.ends.pop();
        self.names.truncate(self.ends.last().copied().unwrap_or(0));
    }

    fn name(&self, i: usize) -> &str {
        let from = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.names[from..self.ends[i]]
    }

    /// The innermost open element's name.
    pub(crate) fn current(&self) -> &str {
        match self.ends.len() {
            0 => "",
            n => self.name(n - 1),
        }
    }

    /// The open elements as a path, `a/b/c`; a deep one shortened to its ends.
    pub(crate) fn path(&self) -> String {
        let n = self.ends.len();
        let join = |range: std::ops::Range<usize>| range.map(|i| self.name(i)).collect::<Vec<_>>().join("/");
        if n <= 2 * PATH_ENDS + 1 {
            join(0..n)
        } else {
            format!("{}/…({} more)…/{}", join(0..PATH_ENDS), n - 2 * PATH_ENDS, join(n - PATH_ENDS..n))
        }
    }
}

/// Adds `more` to the text of an element being collected, unless that passes
/// [`Limits::xml_text_bytes`]: text arriving in many events (around references) escapes the
/// bound on a single event. The caller says where.
pub(crate) fn push_text(text: &mut String, more: &str, limits: &Limits) -> Result<(), LimitExceeded> {
    if (text.len() + more.len()) as u64 > limits.xml_text_bytes {
        let found = format!("the text of one element longer than {}", bytes(limits.xml_text_bytes));
        return Err(LimitExceeded::new(limits, Limit::XmlTextBytes, found, ""));
    }
    text.push_str(more);
    Ok(())
}

/// The refusal of a document type declaration. A DTD can declare entities that expand to
/// gigabytes from a few lines ("billion laughs") or read other files; the official exports have
/// none, so one is refused outright rather than read with care.
pub(crate) fn refuse_doctype(declaration: &str, locator: Locator) -> SourceError {
    SourceError::Refused {
        locator,
        reason: format!(
            "DTDs are not accepted, and this file declares one ({}): the official exports have none",
            shown_doctype(declaration)
        ),
    }
}

/// A document type declaration (the text after `<!DOCTYPE`) as a message shows it: on one line,
/// its start only.
pub(crate) fn shown_doctype(declaration: &str) -> String {
    let one_line = declaration.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("<!DOCTYPE {}…>", one_line.chars().take(60).collect::<String>())
}
