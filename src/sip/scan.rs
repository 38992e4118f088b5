//! The one indexing pass over a message: start line, then one entry per header field.
//! Nothing is copied; the result is spans into the caller's buffer.

use smallvec::SmallVec;

use super::error::ParseError;
use super::header_name::HeaderName;
use super::headers::Slots;
use super::lex::{is_lws, is_token_byte, trim};
use super::line_feeds::LineFeeds;
use super::span::Span;
use super::start_line::{self, StartLine};
use super::swar::find_long;

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
/// is never moved after it is filled; `slots` learns where each known kind first appears.
pub fn scan(
    buf: &[u8],
    max_headers: usize,
    headers: &mut HeaderIndex,
    slots: &mut Slots,
) -> Result<Scanned, ParseError> {
    // RFC 3261 7.5: CRLFs before the start line are ignored (keep-alives).
    let skip = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    let mut lf = LineFeeds::new(buf);
    let nl = lf.next(skip).ok_or(ParseError::Unterminated)?;
    let start = start_line::split(buf, skip, line_end(buf, skip, nl))?;
    let (mut pos, mut count) = (nl + 1, 0);
    headers.clear();
    *slots = Slots::default();
    loop {
        let Some(&first) = buf.get(pos) else {
            return match count {
                0 => Err(ParseError::Unterminated),
                _ => Ok(Scanned { start, body_start: pos }),
            };
        };
        match first {
            b'\n' => return Ok(Scanned { start, body_start: pos + 1 }),
            b'\r' if buf.get(pos + 1) == Some(&b'\n') => return Ok(Scanned { start, body_start: pos + 2 }),
            // RFC 3261 7.3.1: a line starting with white space continues the previous value.
            b' ' | b'\t' => pos = fold(buf, pos, lf.next(pos), headers)?,
            _ if count == max_headers => return Err(line_error(buf, pos, ParseError::TooManyHeaders)),
            _ => {
                let (field, next) = header_line(buf, pos, lf.next(pos))?;
                slots.note(field.kind, count);
                headers.push(field);
                (pos, count) = (next, count + 1);
            }
        }
    }
}

/// `name HCOLON value` for the line at `pos`: one pass over the name (token bytes, then
/// optional white space, then the colon), then the line end, then the value trimmed at
/// both ends. Returns the field and where the next line starts.
#[inline]
fn header_line(buf: &[u8], pos: usize, nl: Option<usize>) -> Result<(HeaderField, usize), ParseError> {
    let (kind, name_end, colon) = match HeaderName::known_at(&buf[pos..]) {
        Some((kind, len)) => (kind, pos + len, pos + len),
        None => name_and_colon(buf, pos)?,
    };
    let nl = nl.ok_or(ParseError::Unterminated)?;
    let end = line_end(buf, pos, nl);
    let value = match buf.get(colon + 1..end) {
        // The usual spelling: one space after the colon, nothing to trim at the end.
        Some([b' ', first, .., last]) if *first > b' ' && *last > b' ' => Span::new(colon + 2, end),
        _ => trimmed(buf, colon + 1, end),
    };
    Ok((HeaderField { name: Span::new(pos, name_end), value, kind }, nl + 1))
}

/// The value `buf[start..stop]` without linear white space at either end; an empty value
/// sits at the end of its line.
fn trimmed(buf: &[u8], mut start: usize, mut stop: usize) -> Span {
    let end = stop;
    while start < stop && is_lws(buf[start]) {
        start += 1;
    }
    while stop > start && is_lws(buf[stop - 1]) {
        stop -= 1;
    }
    if start == stop {
        Span::new(end, end)
    } else {
        Span::new(start, stop)
    }
}

/// The general scan of a header name (token bytes, then optional white space, then the
/// colon) for lines [`HeaderName::known_at`] does not recognise: its kind, end and colon.
fn name_and_colon(buf: &[u8], pos: usize) -> Result<(HeaderName, usize, usize), ParseError> {
    let mut i = pos;
    while i < buf.len() && is_token_byte(buf[i]) {
        i += 1;
    }
    let name_end = i;
    while i < buf.len() && matches!(buf[i], b' ' | b'\t') {
        i += 1;
    }
    if name_end == pos || buf.get(i) != Some(&b':') {
        return Err(line_error(buf, pos, ParseError::BadHeaderLine));
    }
    Ok((HeaderName::classify(&buf[pos..name_end]), name_end, i))
}

/// Appends the continuation line at `pos`, which ends at the line feed `nl`, to the last
/// header's value; returns where the next line starts.
fn fold(buf: &[u8], pos: usize, nl: Option<usize>, headers: &mut HeaderIndex) -> Result<usize, ParseError> {
    let nl = nl.ok_or(ParseError::Unterminated)?;
    let end = line_end(buf, pos, nl);
    let last = headers.last_mut().ok_or(ParseError::BadHeaderLine)?;
    let folded = trim(&buf[last.value.start as usize..end]);
    if !folded.is_empty() {
        last.value = Span::within(buf, folded);
    }
    Ok(nl + 1)
}

/// What is wrong with the line at `pos` that cannot be indexed: a line that never ends
/// leaves the header section unterminated, whatever else is wrong with it.
#[cold]
fn line_error(buf: &[u8], pos: usize, error: ParseError) -> ParseError {
    match find_lf(buf, pos) {
        None => ParseError::Unterminated,
        Some(_) => error,
    }
}

/// The next line feed at or after `from`.
fn find_lf(buf: &[u8], from: usize) -> Option<usize> {
    find_long(&buf[from..], b'\n').map(|i| from + i)
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

    fn scan(buf: &[u8], max: usize, h: &mut HeaderIndex) -> Result<Scanned, ParseError> {
        super::scan(buf, max, h, &mut Slots::default())
    }

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
            scan(b"OPTIONS sip:a@b SIP/2.0\r\nVia x", 8, &mut HeaderIndex::new()).err(),
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
        assert_eq!(
            scan(b"OPTIONS sip:a@b SIP/2.0\r\na: 1\r\nb: 2", 1, &mut HeaderIndex::new()).err(),
            Some(ParseError::Unterminated)
        );
    }
}
