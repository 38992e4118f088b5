//! The one indexing pass over a message: start line, then one entry per header field,
//! found with `memchr`. Nothing is copied; the result is spans into the caller's buffer.

use smallvec::SmallVec;

use super::error::ParseError;
use super::header_name::HeaderName;
use super::lex::{is_token, trim};
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

/// The index of a message and the offset at which its body starts.
pub struct Scanned {
    pub start: StartLine,
    pub headers: HeaderIndex,
    pub body_start: usize,
}

/// Indexes `buf`, refusing more than `max_headers` header fields. A datagram that ends right
/// after a complete header line is taken as having an empty body: the empty line is missing,
/// but nothing else can be meant (RFC 4475 3.1.2.15 is such a message).
pub fn scan(buf: &[u8], max_headers: usize) -> Result<Scanned, ParseError> {
    // RFC 3261 7.5: CRLFs before the start line are ignored (keep-alives).
    let mut pos = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    let (line_end, next) = line_at(buf, pos).ok_or(ParseError::Unterminated)?;
    let start = start_line::split(buf, pos, line_end)?;
    pos = next;
    let mut headers = HeaderIndex::new();
    loop {
        if pos == buf.len() && !headers.is_empty() {
            return Ok(Scanned { start, headers, body_start: pos });
        }
        let (line_end, next) = line_at(buf, pos).ok_or(ParseError::Unterminated)?;
        if line_end == pos {
            return Ok(Scanned { start, headers, body_start: next });
        }
        if matches!(buf[pos], b' ' | b'\t') {
            // RFC 3261 7.3.1: a line starting with white space continues the previous value.
            let last = headers.last_mut().ok_or(ParseError::BadHeaderLine)?;
            let folded = trim(&buf[last.value.start as usize..line_end]);
            if !folded.is_empty() {
                last.value = Span::within(buf, folded);
            }
        } else {
            if headers.len() == max_headers {
                return Err(ParseError::TooManyHeaders);
            }
            headers.push(header_line(buf, pos, line_end)?);
        }
        pos = next;
    }
}

/// `name HCOLON value` for the line `buf[pos..end]`.
fn header_line(buf: &[u8], pos: usize, end: usize) -> Result<HeaderField, ParseError> {
    let colon = memchr::memchr(b':', &buf[pos..end]).ok_or(ParseError::BadHeaderLine)?;
    let name = trim(&buf[pos..pos + colon]);
    if !is_token(name) {
        return Err(ParseError::BadHeaderLine);
    }
    let value_start = pos + colon + 1;
    let value = trim(&buf[value_start..end]);
    let value = if value.is_empty() { Span::new(end, end) } else { Span::within(buf, value) };
    Ok(HeaderField { name: Span::within(buf, name), value, kind: HeaderName::classify(name) })
}

/// The line starting at `pos`: `(end of content, start of next line)`. Accepts CRLF and,
/// leniently, a bare LF. `None` when no line end follows.
#[inline]
fn line_at(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let nl = pos + memchr::memchr(b'\n', buf.get(pos..)?)?;
    let end = if nl > pos && buf[nl - 1] == b'\r' { nl - 1 } else { nl };
    Some((end, nl + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_headers_and_folds_continuations() {
        let m =
            b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nSubject: one\r\n  two\r\nl: 0\r\n\r\n";
        let s = scan(m, 32).unwrap();
        assert_eq!(s.headers.len(), 3);
        assert_eq!(s.headers[1].value.of(m), b"one\r\n  two");
        assert_eq!(s.headers[2].kind, HeaderName::ContentLength);
        assert_eq!(s.body_start, m.len());
    }

    #[test]
    fn structural_errors() {
        assert_eq!(scan(b"OPTIONS sip:a@b SIP/2.0\r\nVia x\r\n\r\n", 8).err(), Some(ParseError::BadHeaderLine));
        assert_eq!(scan(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x", 8).err(), Some(ParseError::Unterminated));
        assert_eq!(scan(b"OPTIONS sip:a@b SIP/2.0\r\n", 8).err(), Some(ParseError::Unterminated));
        assert_eq!(scan(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n", 8).unwrap().body_start, 33);
        assert_eq!(scan(b"OPTIONS sip:a@b SIP/2.0\r\n a\r\n\r\n", 8).err(), Some(ParseError::BadHeaderLine));
        assert_eq!(scan(b"OPTIONS sip:a@b SIP/2.0\r\na: 1\r\nb: 2\r\n\r\n", 1).err(), Some(ParseError::TooManyHeaders));
    }
}
