//! The one indexing pass over a message: start line, then one entry per header field,
//! found with `memchr`. Nothing is copied; the result is spans into the caller's buffer.

use smallvec::SmallVec;

use super::error::ParseError;
use super::header_name::HeaderName;
use super::lex::{is_token_byte, trim};
use super::span::Span;
use super::start_line::{self, StartLine};

/// Where one header field sits in the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderField {
    pub name: Span,
    /// The value without surrounding white space; a folded value keeps its inner CRLFs.
    pub value: Span,
    pub kind: HeaderName,
}

/// Header entries stored inline up to 32, the bound below which indexing never allocates.
pub type HeaderIndex = SmallVec<[HeaderField; 32]>;

/// The start line of a message and the offset at which its body starts.
pub struct Scanned {
    pub start: StartLine,
    pub body_start: usize,
}

/// Indexes `buf`, refusing more than `max_headers` header fields. A datagram that ends right
/// after a complete header line is taken as having an empty body: the empty line is missing,
/// but nothing else can be meant (RFC 4475 3.1.2.15 is such a message).
///
/// Header entries go straight into `headers` (the message's own index), so the inline array
/// is never moved after it is filled.
pub fn scan(buf: &[u8], max_headers: usize, headers: &mut HeaderIndex) -> Result<Scanned, ParseError> {
    // RFC 3261 7.5: CRLFs before the start line are ignored (keep-alives).
    let skip = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    let mut pos = skip;
    // One iterator finds every line end: a fresh memchr per line costs its set-up each time.
    let mut newlines = memchr::memchr_iter(b'\n', &buf[skip..]).map(|nl| nl + skip);
    let mut next_line = |pos: usize| newlines.next().map(|nl| (line_end(buf, pos, nl), nl + 1));
    let (end, next) = next_line(pos).ok_or(ParseError::Unterminated)?;
    let start = start_line::split(buf, pos, end)?;
    pos = next;
    headers.clear();
    loop {
        if pos == buf.len() && !headers.is_empty() {
            return Ok(Scanned { start, body_start: pos });
        }
        let (end, next) = next_line(pos).ok_or(ParseError::Unterminated)?;
        if end == pos {
            return Ok(Scanned { start, body_start: next });
        }
        if matches!(buf[pos], b' ' | b'\t') {
            // RFC 3261 7.3.1: a line starting with white space continues the previous value.
            let last = headers.last_mut().ok_or(ParseError::BadHeaderLine)?;
            let folded = trim(&buf[last.value.start as usize..end]);
            if !folded.is_empty() {
                last.value = Span::within(buf, folded);
            }
        } else {
            if headers.len() == max_headers {
                return Err(ParseError::TooManyHeaders);
            }
            headers.push(header_line(buf, pos, end)?);
        }
        pos = next;
    }
}

/// `name HCOLON value` for the line `buf[pos..end]`: one pass over the name (token bytes,
/// then optional white space, then the colon), then the value trimmed at both ends.
fn header_line(buf: &[u8], pos: usize, end: usize) -> Result<HeaderField, ParseError> {
    let line = &buf[pos..end];
    let name_len = line.iter().take_while(|&&b| is_token_byte(b)).count();
    let colon = name_len + line[name_len..].iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    if name_len == 0 || line.get(colon) != Some(&b':') {
        return Err(ParseError::BadHeaderLine);
    }
    let name = &line[..name_len];
    let value = trim(&line[colon + 1..]);
    let value = if value.is_empty() { Span::new(end, end) } else { Span::within(buf, value) };
    Ok(HeaderField { name: Span::new(pos, pos + name_len), value, kind: HeaderName::classify(name) })
}

/// The end of a line's content: before its CRLF, or (leniently) a bare LF.
#[inline]
fn line_end(buf: &[u8], pos: usize, nl: usize) -> usize {
    if nl > pos && buf[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_headers_and_folds_continuations() {
        let m =
            b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nSubject: one\r\n  two\r\nl: 0\r\n\r\n";
        let mut h = HeaderIndex::new();
        let s = scan(m, 32, &mut h).unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h[1].value.of(m), b"one\r\n  two");
        assert_eq!(h[2].kind, HeaderName::ContentLength);
        assert_eq!(s.body_start, m.len());
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            scan(b"OPTIONS sip:a@b SIP/2.0\r\nVia x\r\n\r\n", 8, &mut HeaderIndex::new()).err(),
            Some(ParseError::BadHeaderLine)
        );
        assert_eq!(
            scan(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x", 8, &mut HeaderIndex::new()).err(),
            Some(ParseError::Unterminated)
        );
        assert_eq!(
            scan(b"OPTIONS sip:a@b SIP/2.0\r\n", 8, &mut HeaderIndex::new()).err(),
            Some(ParseError::Unterminated)
        );
        assert_eq!(scan(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n", 8, &mut HeaderIndex::new()).unwrap().body_start, 33);
        assert_eq!(
            scan(b"OPTIONS sip:a@b SIP/2.0\r\n a\r\n\r\n", 8, &mut HeaderIndex::new()).err(),
            Some(ParseError::BadHeaderLine)
        );
        assert_eq!(
            scan(b"OPTIONS sip:a@b SIP/2.0\r\na: 1\r\nb: 2\r\n\r\n", 1, &mut HeaderIndex::new()).err(),
            Some(ParseError::TooManyHeaders)
        );
    }
}
