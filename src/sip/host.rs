//! `host [":" port]` as used by URIs and Via sent-by (RFC 3261 25.1).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::lex::{class, classes, parse_decimal, skip_lws, trim, HOST, NUMERIC_HOST};
use super::swar::{find, splat, zero_bytes};

/// A host: a domain name kept as written, or an IP address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host<'a> {
    Name(&'a [u8]),
    Ipv4(Ipv4Addr),
    /// An IPv6 reference, written in brackets in the message.
    Ipv6(Ipv6Addr),
}

impl Host<'_> {
    /// Host comparison of RFC 3261 19.1.4: names case-insensitively, addresses by value.
    pub fn matches(&self, other: &Host<'_>) -> bool {
        match (self, other) {
            (Host::Name(a), Host::Name(b)) => a.eq_ignore_ascii_case(b),
            (Host::Ipv4(a), Host::Ipv4(b)) => a == b,
            (Host::Ipv6(a), Host::Ipv6(b)) => a == b,
            _ => false,
        }
    }

    /// The address, when the host is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match *self {
            Host::Name(_) => None,
            Host::Ipv4(a) => Some(a.into()),
            Host::Ipv6(a) => Some(a.into()),
        }
    }
}

/// Parses `host[:port]` (white space allowed around the colon, as Via's SWS rules permit).
pub fn parse_host_port(s: &[u8]) -> Option<(Host<'_>, Option<u16>)> {
    let s = trim(s);
    let (host, rest) = if s.first() == Some(&b'[') {
        let close = find(s, b']')?;
        let text = std::str::from_utf8(&s[1..close]).ok()?;
        (Host::Ipv6(text.parse().ok()?), &s[close + 1..])
    } else {
        let end = find(s, b':').unwrap_or(s.len());
        (parse_host_name(trim(&s[..end]))?, &s[end..])
    };
    let rest = trim(rest);
    if rest.is_empty() {
        return Some((host, None));
    }
    let port = trim(rest.strip_prefix(b":")?);
    Some((host, Some(parse_decimal(port, 65_535)? as u16)))
}

/// A host name, then optional white space, an optional `:port`, and the end of `s` or a
/// `;`, read in one pass: the shape nearly every Via sent-by and URI host has. Returns the
/// host, the port, the end of the port (or host) and where the `;` or the end is. `None`
/// means "not this shape", not "invalid": the caller then parses the general way, which
/// reads this shape identically.
#[inline]
pub fn host_port_fast(s: &[u8]) -> Option<(Host<'_>, Option<u16>, usize, usize)> {
    let (host_end, classes) = host_run(s);
    let (mut i, mut port, mut end) = (host_end, None, host_end);
    i = skip_lws(s, i);
    if s.get(i) == Some(&b':') {
        i = skip_lws(s, i + 1);
        let digits = i;
        let mut n = 0u32;
        while i < s.len() && s[i].is_ascii_digit() && n <= 65_535 {
            n = n * 10 + u32::from(s[i] - b'0');
            i += 1;
        }
        if i == digits || n > 65_535 {
            return None;
        }
        (port, end) = (Some(n as u16), i);
        i = skip_lws(s, i);
    }
    if !matches!(s.get(i), None | Some(b';')) || host_end == 0 {
        return None;
    }
    Some((host_name(&s[..host_end], classes)?, port, end, i))
}

/// The length of the run of host name bytes that starts `s`, and the classes they are all
/// in: eight bytes checked together while they all qualify, then byte by byte.
#[inline]
fn host_run(s: &[u8]) -> (usize, u8) {
    let (mut i, mut all) = (0, u8::MAX);
    while let Some(word) = s.get(i..i + 8) {
        let word = word.iter().fold(u8::MAX, |acc, &b| acc & class(b));
        if word & HOST == 0 {
            break;
        }
        (i, all) = (i + 8, all & word);
    }
    while let Some(&b) = s.get(i).filter(|&&b| class(b) & HOST != 0) {
        (i, all) = (i + 1, all & class(b));
    }
    (i, all)
}

/// A domain name (labels of letters, digits, `-` and `_`, none empty, none starting with
/// `-`; one trailing `.` allowed) or a dotted IPv4 address. The characters are checked in
/// one branch-free pass, the labels word by word.
fn parse_host_name(s: &[u8]) -> Option<Host<'_>> {
    let classes = classes(s);
    if classes & HOST == 0 {
        return None;
    }
    host_name(s, classes)
}

/// [`parse_host_name`] for `s` already known to hold only host name bytes, all of the
/// classes `classes`.
#[inline]
fn host_name(s: &[u8], classes: u8) -> Option<Host<'_>> {
    if !labels_ok(s.strip_suffix(b".").unwrap_or(s)) {
        return None;
    }
    if classes & NUMERIC_HOST != 0 {
        return parse_ipv4(s).map(Host::Ipv4);
    }
    Some(Host::Name(s))
}

/// No label of `name` is empty and none starts with `-`: no `.` or `-` at the start or
/// right after a `.`, and no `.` at the end. Eight bytes at a time.
fn labels_ok(name: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (name.first(), name.last()) else { return false };
    if matches!(first, b'.' | b'-') || last == b'.' {
        return false;
    }
    let mut words = name.chunks_exact(8);
    let mut after_dot = 0u64;
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        let (dots, dashes) = (zero_bytes(w ^ splat(b'.')), zero_bytes(w ^ splat(b'-')));
        if ((dots << 8) | after_dot) & (dots | dashes) != 0 {
            return false;
        }
        after_dot = dots >> 56;
    }
    let mut prev_dot = after_dot != 0;
    for &b in words.remainder() {
        if prev_dot && matches!(b, b'.' | b'-') {
            return false;
        }
        prev_dot = b == b'.';
    }
    true
}

/// Four dot-separated decimal octets.
fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split(|&b| b == b'.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 {
            return None;
        }
        *octet = u8::try_from(parse_decimal(part, 255)?).ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports() {
        assert_eq!(parse_host_port(b"example.com"), Some((Host::Name(b"example.com"), None)));
        assert_eq!(parse_host_port(b"192.0.2.1:5060"), Some((Host::Ipv4([192, 0, 2, 1].into()), Some(5060))));
        assert_eq!(parse_host_port(b"[2001:db8::10]:5070").map(|(_, p)| p), Some(Some(5070)));
        assert_eq!(parse_host_port(b"host : 5060").map(|(_, p)| p), Some(Some(5060)));
        assert_eq!(parse_host_port(b"192.000.002.001"), Some((Host::Ipv4([192, 0, 2, 1].into()), None)));
        assert_eq!(parse_host_port(b"example.com."), Some((Host::Name(b"example.com."), None)));
        for bad in [
            &b"ex ample.com"[..],
            b"host:70000",
            b"host:",
            b"1.2.3.256",
            b"[::1",
            b"-a.com",
            b"",
            b"a..b",
            b"1.2.3",
            b"1.2.3.4.5",
            b".",
        ] {
            assert_eq!(parse_host_port(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
