//! Writers: responses built from a request's own bytes, and requests (ACK, CANCEL, BYE,
//! re-INVITE) built from a request or from stored dialog state. They append to a reusable
//! `BytesMut` and never format through `String`.

mod dialog_request;
mod request;
mod response;
mod via;

pub use dialog_request::{DialogRequest, Party};
pub use request::{write_ack_for_non_2xx, write_cancel};
pub use response::{reason_phrase, write_response, Response};
pub use via::ViaStamp;

use bytes::{BufMut, BytesMut};

use super::header_name::HeaderName;
use super::message::Message;

/// Appends `n` in decimal, without going through `fmt`.
pub fn put_decimal(out: &mut BytesMut, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.put_slice(&digits[i..]);
}

/// Appends `Name: value\r\n`.
pub fn put_header(out: &mut BytesMut, name: &[u8], value: &[u8]) {
    out.put_slice(name);
    out.put_slice(b": ");
    out.put_slice(value);
    out.put_slice(b"\r\n");
}

/// Appends `CSeq: <seq> <method>\r\n`.
pub fn put_cseq(out: &mut BytesMut, seq: u32, method: &[u8]) {
    out.put_slice(b"CSeq: ");
    put_decimal(out, seq.into());
    out.put_u8(b' ');
    out.put_slice(method);
    out.put_slice(b"\r\n");
}

/// Appends the Content-Type (when there is a body), Content-Length, the empty line and the body.
pub fn put_body(out: &mut BytesMut, body: Option<(&[u8], &[u8])>) {
    let (content_type, body) = body.unwrap_or((b"", b""));
    if !content_type.is_empty() {
        put_header(out, b"Content-Type", content_type);
    }
    out.put_slice(b"Content-Length: ");
    put_decimal(out, body.len() as u64);
    out.put_slice(b"\r\n\r\n");
    out.put_slice(body);
}

/// Copies every header line of `kind` from `msg` exactly as received (name as written,
/// folding kept), each followed by CRLF.
pub fn copy_headers(out: &mut BytesMut, msg: &Message, kind: HeaderName) {
    let buf = msg.bytes();
    for h in msg.header_fields().iter().filter(|h| h.kind == kind) {
        out.put_slice(&buf[h.name.start as usize..h.value.end as usize]);
        out.put_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_and_bodies() {
        let mut out = BytesMut::new();
        put_decimal(&mut out, 0);
        out.put_u8(b' ');
        put_decimal(&mut out, u64::MAX);
        assert_eq!(&out[..], b"0 18446744073709551615");
        out.clear();
        put_body(&mut out, Some((b"text/plain", b"hi")));
        assert_eq!(&out[..], b"Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi");
    }
}
