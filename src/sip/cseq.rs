//! The CSeq header (RFC 3261 20.16): a sequence number and a method.

use super::lex::{is_lws, is_token, parse_decimal, trim};
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
        let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err("no sequence number");
        }
        if !s.get(digits).is_some_and(|&b| is_lws(b)) {
            return Err("no method after the number");
        }
        let seq = parse_decimal(&s[..digits], u64::from(MAX_CSEQ)).ok_or("number above 2^31-1")? as u32;
        let method_bytes = trim(&s[digits..]);
        if !is_token(method_bytes) {
            return Err("method is not a token");
        }
        Ok(CSeq { seq, method: Method::from_bytes(method_bytes), method_bytes })
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
