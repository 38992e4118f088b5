//! The first line of a message: Request-Line or Status-Line (RFC 3261 7.1 and 7.2).
//!
//! Splitting is deliberately lenient (first and last space) so that a message with a broken
//! Request-URI is still indexed and can be answered with `400 Bad Request-URI`;
//! [`super::validate`] applies the strict grammar afterwards.

use super::error::ParseError;
use super::method::Method;
use super::span::Span;
use super::swar::find;

/// Spans of the start line's parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartLine {
    Request { method: Method, method_span: Span, uri: Span, version: Span },
    Response { version: Span, code: u16, reason: Span },
}

impl StartLine {
    /// A placeholder before the start line is read.
    pub(crate) const EMPTY: StartLine =
        StartLine::Response { version: Span { start: 0, end: 0 }, code: 0, reason: Span { start: 0, end: 0 } };
}

/// Splits the start line `buf[start..end]` (without its CRLF) into spans.
pub fn split(buf: &[u8], start: usize, end: usize) -> Result<StartLine, ParseError> {
    let line = &buf[start..end];
    if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/") {
        return split_status_line(line, start);
    }
    // Both spaces are near the ends of the line: the method and the version are short.
    let first = find(line, b' ').ok_or(ParseError::BadStartLine)?;
    let last = line.iter().rposition(|&b| b == b' ').ok_or(ParseError::BadStartLine)?;
    if last == first {
        return Err(ParseError::BadStartLine);
    }
    let method = &line[..first];
    Ok(StartLine::Request {
        method: Method::from_bytes(method),
        method_span: Span::new(start, start + first),
        uri: Span::new(start + first + 1, start + last),
        version: Span::new(start + last + 1, end),
    })
}

/// `SIP-Version SP Status-Code SP Reason-Phrase`; the reason may be empty (RFC 4475 3.1.1.12).
fn split_status_line(line: &[u8], start: usize) -> Result<StartLine, ParseError> {
    let sp = find(line, b' ').ok_or(ParseError::BadStartLine)?;
    let rest = &line[sp + 1..];
    if rest.len() < 3 || !rest[..3].iter().all(u8::is_ascii_digit) || rest.get(3).is_some_and(|&b| b != b' ') {
        return Err(ParseError::BadStartLine);
    }
    let code = rest[..3].iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    if !(100..=699).contains(&code) {
        return Err(ParseError::BadStartLine);
    }
    let reason_start = (sp + 5).min(line.len());
    Ok(StartLine::Response {
        version: Span::new(start, start + sp),
        code,
        reason: Span::new(start + reason_start, start + line.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(line: &[u8]) -> Vec<Vec<u8>> {
        match split(line, 0, line.len()).unwrap() {
            StartLine::Request { method_span, uri, version, .. } => {
                [method_span, uri, version].iter().map(|s| s.of(line).to_vec()).collect()
            }
            StartLine::Response { version, code, reason } => {
                vec![version.of(line).to_vec(), code.to_string().into_bytes(), reason.of(line).to_vec()]
            }
        }
    }

    #[test]
    fn request_and_status_lines() {
        assert_eq!(parts(b"INVITE sip:a@b SIP/2.0"), [&b"INVITE"[..], b"sip:a@b", b"SIP/2.0"]);
        assert_eq!(parts(b"SIP/2.0 180 Ringing"), [&b"SIP/2.0"[..], b"180", b"Ringing"]);
        assert_eq!(parts(b"SIP/2.0 100"), [&b"SIP/2.0"[..], b"100", b""]);
        assert_eq!(parts(b"SIP/2.0 200 Very OK"), [&b"SIP/2.0"[..], b"200", b"Very OK"]);
        // Kept for validation to refuse with a 400 rather than dropped unanswered.
        assert_eq!(parts(b"OPTIONS sip:a@b SIP/2.0  "), [&b"OPTIONS"[..], b"sip:a@b SIP/2.0 ", b""]);
        assert_eq!(parts(b"INVITE  SIP/2.0"), [&b"INVITE"[..], b"", b"SIP/2.0"]);
    }

    #[test]
    fn broken_lines_are_errors() {
        for bad in [&b"INVITE"[..], b"INVITE sip:a", b"SIP/2.0 20 OK", b"SIP/2.0 2000 OK", b"SIP/2.0 099 x"] {
            assert_eq!(split(bad, 0, bad.len()), Err(ParseError::BadStartLine), "{:?}", bad);
        }
    }
}
