//! Byte-level helpers shared by every SIP grammar rule (RFC 3261 section 25.1).
//!
//! Everything here works on `&[u8]`: SIP is an octet protocol, and UTF-8 validation
//! is only needed where an application asks for text.

use super::swar::{find, find_any};

/// Byte classes of RFC 3261 25.1, one bit each, so that a whole run of bytes is checked
/// against a set with one table lookup per byte and no branch (see [`all_in`]).
pub const TOKEN: u8 = 1;
/// `token` or linear white space: an unquoted display name (20.10).
pub const TOKEN_LWS: u8 = 2;
/// Visible ASCII, `%x21-7E`: a Call-ID `word` is checked against it (20.8).
pub const VISIBLE: u8 = 4;
/// Visible ASCII except `<`, `>` and `"`: what a URI may hold as written in a header.
pub const URI_BYTE: u8 = 8;
/// `DIGIT`.
pub const DIGIT: u8 = 16;
/// What a host name is spelled with: alphanumerics, `-`, `_` and `.` (25.1 `hostname`).
pub const HOST: u8 = 32;
/// Digits and `.`: a host name made only of them must be an IPv4 address.
pub const NUMERIC_HOST: u8 = 64;
/// What a URI scheme is spelled with after its first letter: alphanumerics, `+`, `-`, `.`.
pub const SCHEME: u8 = 128;

const fn class_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let token = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~');
        let visible = b > b' ' && b < 0x7f;
        let lws = matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        t[c] = if token { TOKEN } else { 0 }
            | if token || lws { TOKEN_LWS } else { 0 }
            | if visible { VISIBLE } else { 0 }
            | if visible && !matches!(b, b'<' | b'>' | b'"') { URI_BYTE } else { 0 }
            | if b.is_ascii_digit() { DIGIT } else { 0 }
            | if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') { HOST } else { 0 }
            | if b.is_ascii_digit() || b == b'.' { NUMERIC_HOST } else { 0 }
            | if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.') { SCHEME } else { 0 };
        c += 1;
    }
    t
}

static CLASS: [u8; 256] = class_table();

/// The classes `b` is in.
#[inline]
pub fn class(b: u8) -> u8 {
    CLASS[b as usize]
}

/// The classes every byte of `s` is in (all of them for an empty `s`). Branch-free, so the
/// loop unrolls: most runs checked are good, and there is no early exit worth taking.
#[inline]
pub fn classes(s: &[u8]) -> u8 {
    s.iter().fold(u8::MAX, |acc, &b| acc & CLASS[b as usize])
}

/// True when every byte of `s` is in the class `class` (one of the constants above); true
/// for an empty `s`.
#[inline]
pub fn all_in(s: &[u8], class: u8) -> bool {
    classes(s) & class != 0
}

/// True for a byte allowed in an RFC 3261 `token`.
#[inline]
pub fn is_token_byte(b: u8) -> bool {
    CLASS[b as usize] & TOKEN != 0
}

/// True when `s` is a non-empty `token`.
#[inline]
pub fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && all_in(s, TOKEN)
}

/// Linear white space, including the CR and LF of a folded header line (RFC 3261 7.3.1).
#[inline]
pub fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Strips leading and trailing linear white space.
#[inline]
pub fn trim(mut s: &[u8]) -> &[u8] {
    // Nearly every slice trimmed has nothing to trim: ends above the space byte cannot be LWS.
    if let [first, .., last] = s {
        if *first > b' ' && *last > b' ' {
            return s;
        }
    }
    while let [first, rest @ ..] = s {
        if !is_lws(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_lws(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// The first position at or after `i` in `s` that is not linear white space.
#[inline]
pub fn skip_lws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_lws(s[i]) {
        i += 1;
    }
    i
}

/// The first position at or after `i` in `s` that is not a `token` byte.
#[inline]
pub fn skip_token(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_token_byte(s[i]) {
        i += 1;
    }
    i
}

/// Strips leading linear white space only.
#[inline]
pub fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| is_lws(b)).count();
    &s[n..]
}

/// Parses a run of ASCII digits into a `u64`, refusing empty input, other bytes and values
/// past `max` (so a 30-digit Content-Length is an error, not a wrap-around; leading zeros
/// are fine, however many).
pub fn parse_decimal(s: &[u8], max: u64) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    if s.len() < 20 {
        // Fewer than 20 digits cannot overflow a u64: no check per digit.
        let mut n: u64 = 0;
        for &b in s {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            n = n * 10 + u64::from(d);
        }
        return (n <= max).then_some(n);
    }
    let mut n: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        if n > max {
            return None;
        }
    }
    Some(n)
}

/// Finds the end of a `quoted-string` that starts at `s[0] == b'"'`, honouring `\` escapes.
/// Returns the index one past the closing quote.
pub fn quoted_string_end(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Splits `s` at the first `sep` that is outside quoted strings and angle brackets.
/// Returns `(before, Some(after))`, or `(s, None)` when there is no such separator (an
/// unterminated quote or bracket hides everything after it).
pub fn split_outside_quotes(s: &[u8], sep: u8) -> (&[u8], Option<&[u8]>) {
    let mut i = 0;
    while let Some(off) = find_any(&s[i..], [sep, b'"', b'<']) {
        let at = i + off;
        let skip = match s[at] {
            b'"' => quoted_string_end(&s[at..]),
            b'<' => find(&s[at..], b'>').map(|n| n + 1),
            _ => return (&s[..at], Some(&s[at + 1..])),
        };
        match skip {
            Some(n) => i = at + n,
            None => return (s, None),
        }
    }
    (s, None)
}

/// Decodes one `%HH` escape; `None` when the two bytes are not hexadecimal digits.
#[inline]
pub fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    let d = |c: u8| (c as char).to_digit(16).map(|v| v as u8);
    Some(d(hi)? << 4 | d(lo)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_folded_white_space() {
        assert_eq!(trim(b" \r\n\t abc \t"), b"abc");
        assert_eq!(trim(b"   "), b"");
    }

    #[test]
    fn decimal_refuses_overflow_and_junk() {
        assert_eq!(parse_decimal(b"2147483647", (1 << 31) - 1), Some(2147483647));
        assert_eq!(parse_decimal(b"2147483648", (1 << 31) - 1), None);
        assert_eq!(parse_decimal(b"18446744073709551616", u64::MAX), None);
        assert_eq!(parse_decimal(b"12a", 100), None);
        assert_eq!(parse_decimal(b"", 100), None);
        assert_eq!(parse_decimal(b"0000000000000000000000070", 255), Some(70));
    }

    #[test]
    fn splits_outside_quotes_and_brackets() {
        let (a, b) = split_outside_quotes(br#""a,b" <sip:x,y@z>, next"#, b',');
        assert_eq!(a, br#""a,b" <sip:x,y@z>"#);
        assert_eq!(b, Some(&b" next"[..]));
        assert_eq!(split_outside_quotes(br#""unterminated, x"#, b',').1, None);
    }
}
