//! Message framing for stream transports (TCP, TLS): how long is the first message in a
//! receive buffer. Over UDP the datagram is the frame and this is not needed.

use super::error::ParseError;
use super::header_name::HeaderName;
use super::headers::Slots;
use super::lex::parse_decimal;
use super::message::ParseLimits;
use super::scan::{scan, HeaderIndex};

/// What the start of a stream buffer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// `n` bytes of CR/LF keep-alive (RFC 5626 4.4.1) to discard.
    KeepAlive(usize),
    /// A complete message of `n` bytes, ready for [`super::Message::parse`].
    Complete(usize),
    /// The message is not complete yet; read more.
    NeedMore,
}

/// Frames the first message of `buf`. Content-Length is mandatory on streams (RFC 3261 18.3),
/// and a message that would exceed `max_message_size` is refused before it is buffered whole.
pub fn frame(buf: &[u8], limits: &ParseLimits) -> Result<Frame, ParseError> {
    let crlf = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    if crlf > 0 {
        return Ok(Frame::KeepAlive(crlf));
    }
    Ok(match message_length(buf, limits)? {
        Some(total) if buf.len() >= total => Frame::Complete(total),
        _ => Frame::NeedMore,
    })
}

/// The length of the message `buf` starts with (no keep-alive in front), known once its
/// header section is in: the headers plus Content-Length. `None` while the empty line that
/// ends the headers has not arrived (an error once more than a message's bound is waiting).
pub fn message_length(buf: &[u8], limits: &ParseLimits) -> Result<Option<usize>, ParseError> {
    let Some(body_start) = header_end(buf) else {
        return match buf.len() > limits.max_message_size {
            true => Err(ParseError::TooLarge),
            false => Ok(None),
        };
    };
    let mut headers = HeaderIndex::new();
    scan(&buf[..body_start], limits.max_headers, &mut headers, &mut Slots::default())?;
    let mut lengths = headers.iter().filter(|h| h.kind == HeaderName::ContentLength);
    let field = lengths.next().ok_or(ParseError::MissingContentLength)?;
    let value = field.value.of(buf);
    if lengths.any(|h| h.value.of(buf) != value) {
        return Err(ParseError::Duplicate("Content-Length"));
    }
    let len = parse_decimal(value, limits.max_message_size as u64)
        .ok_or(ParseError::bad("Content-Length", "not a number in range"))? as usize;
    let total = body_start + len;
    if total > limits.max_message_size {
        return Err(ParseError::TooLarge);
    }
    Ok(Some(total))
}

/// Offset just past the empty line that ends the header section (CRLF or bare LF lines).
fn header_end(buf: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'\n', buf).find_map(|nl| match buf.get(nl + 1..) {
        Some([b'\n', ..]) => Some(nl + 2),
        Some([b'\r', b'\n', ..]) => Some(nl + 3),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 5\r\n\r\nhello";

    #[test]
    fn frames_a_stream() {
        let limits = ParseLimits::default();
        assert_eq!(frame(b"\r\n\r\nMESSAGE", &limits), Ok(Frame::KeepAlive(4)));
        assert_eq!(frame(&MSG[..30], &limits), Ok(Frame::NeedMore));
        assert_eq!(frame(&MSG[..MSG.len() - 1], &limits), Ok(Frame::NeedMore));
        let mut two = MSG.to_vec();
        two.extend_from_slice(MSG);
        assert_eq!(frame(&two, &limits), Ok(Frame::Complete(MSG.len())));
    }

    #[test]
    fn refuses_unframeable_streams() {
        let limits = ParseLimits { max_message_size: 40, ..ParseLimits::default() };
        assert_eq!(frame(MSG, &limits), Err(ParseError::TooLarge));
        assert_eq!(frame(&[b'x'; 41], &limits), Err(ParseError::TooLarge));
        let no_length = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n";
        assert_eq!(frame(no_length, &ParseLimits::default()), Err(ParseError::MissingContentLength));
    }
}
