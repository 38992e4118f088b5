//! The CSeq header (RFC 3261 20.16): a sequence number and a method.

use super::lex::{is_lws, is_token, skip_lws, trim};
use super::method::Method;

/// Largest CSeq number allowed (RFC 3261 8.1.1.5: less than 2^31).
pub const MAX_CSEQ: u32 = (1 << 31) - 1;

/// `CSeq: 4711 INVITE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CSeq<'a> {
    pub seq: u32,
    pub method: Method,
    /// The method as written, for extension methods.
    pub method_bytes: &'a [u8],
}

impl<'a> CSeq<'a> {
    /// Parses `1*DIGIT LWS Method`; the reason for a refusal becomes the 400's detail.
    pub fn parse(s: &'a [u8]) -> Result<CSeq<'a>, &'static str> {
        let s = trim(s);
        // One pass over the digits; the value is held just above the largest allowed, so a
        // number too large stays too large however many digits follow.
        let (mut digits, mut seq) = (0, 0u64);
        while let Some(d) = s.get(digits).map(|b| b.wrapping_sub(b'0')).filter(|&d| d <= 9) {
            seq = (seq * 10 + u64::from(d)).min(u64::from(MAX_CSEQ) + 1);
            digits += 1;
        }
        if digits == 0 {
            return Err("no sequence number");
        }
        if !s.get(digits).is_some_and(|&b| is_lws(b)) {
            return Err("no method after the number");
        }
        if seq > u64::from(MAX_CSEQ) {
            return Err("number above 2^31-1");
        }
        // `s` is trimmed, so the method runs from the end of the white space to the end.
        let method_bytes = &s[skip_lws(s, digits)..];
        if !is_token(method_bytes) {
            return Err("method is not a token");
        }
        Ok(CSeq { seq: seq as u32, method: Method::from_bytes(method_bytes), method_bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_bounds_cseq() {
        let c = CSeq::parse(b" 4711  INVITE ").unwrap();
        assert_eq!((c.seq, c.method), (4711, Method::Invite));
        assert_eq!(CSeq::parse(b"2147483647 BYE").unwrap().seq, MAX_CSEQ);
        assert_eq!(CSeq::parse(b"2147483648 BYE"), Err("number above 2^31-1"));
        assert_eq!(CSeq::parse(b"INVITE"), Err("no sequence number"));
        assert_eq!(CSeq::parse(b"12INVITE"), Err("no method after the number"));
        assert_eq!(CSeq::parse(b"1 IN VITE"), Err("method is not a token"));
    }
}
