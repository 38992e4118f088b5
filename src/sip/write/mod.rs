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

/// Two decimal digits for each of 0..100, so a number is written two digits per division.
const PAIRS: &[u8; 200] =
    b"0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

/// Appends `n` in decimal, without going through `fmt`. Most numbers written per call are
/// short (status codes, Content-Length, IPv4 octets, ports, payload types): those are one
/// fixed-size append each, which compiles to a store instead of a `memcpy` call.
pub fn put_decimal(out: &mut BytesMut, n: u64) {
    let pair = |i: u64| [PAIRS[2 * i as usize], PAIRS[2 * i as usize + 1]];
    match n {
        0..=9 => out.put_u8(b'0' + n as u8),
        10..=99 => out.put_slice(&pair(n)),
        100..=999 => {
            let [a, b] = pair(n % 100);
            out.put_slice(&[b'0' + (n / 100) as u8, a, b]);
        }
        _ => put_long_decimal(out, n),
    }
}

fn put_long_decimal(out: &mut BytesMut, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    while n >= 100 {
        i -= 2;
        let r = (n % 100) as usize;
        digits[i..i + 2].copy_from_slice(&PAIRS[2 * r..2 * r + 2]);
        n /= 100;
    }
    if n >= 10 {
        i -= 2;
        digits[i..i + 2].copy_from_slice(&PAIRS[2 * n as usize..2 * n as usize + 2]);
    } else {
        i -= 1;
        digits[i] = b'0' + n as u8;
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
    for h in msg.header_lines(kind) {
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
        for n in (0..100_000).chain([u64::from(u32::MAX), 10u64.pow(19) - 1, 10u64.pow(19)]) {
            out.clear();
            put_decimal(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
        out.clear();
        put_body(&mut out, Some((b"text/plain", b"hi")));
        assert_eq!(&out[..], b"Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi");
    }
}
