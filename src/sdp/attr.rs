//! Attribute lines (`a=`, RFC 4566 5.13 and 6), read on demand from a section's bytes so that
//! a parse allocates nothing per attribute.

use std::net::IpAddr;

use crate::sip::lex::parse_decimal;

use super::connection::Connection;
use super::direction::Direction;
use super::lines::{split_line, RawLines};

/// One attribute. Known attributes whose value does not parse come back as `Other`, so a
/// malformed optional line never fails the whole description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribute<'a> {
    Rtpmap(Rtpmap<'a>),
    /// `a=fmtp:<format> <format specific parameters>` (RFC 4566 6).
    Fmtp {
        format: &'a [u8],
        params: &'a [u8],
    },
    /// `a=ptime:<ms>`: the packet duration the writer wants to receive.
    Ptime(u32),
    /// `a=maxptime:<ms>` (RFC 4566 6).
    MaxPtime(u32),
    Direction(Direction),
    /// `a=rtcp-mux`: RTP and RTCP share the RTP port (RFC 5761 5.1.1).
    RtcpMux,
    /// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605 2.1).
    Rtcp(RtcpAddress),
    /// Any other attribute, raw: `name` or `name:value`.
    Other {
        name: &'a [u8],
        value: Option<&'a [u8]>,
    },
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]` (RFC 4566 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rtpmap<'a> {
    pub payload_type: u8,
    /// As written; compare without regard to case (RFC 4855 3).
    pub encoding: &'a [u8],
    pub clock_rate: u32,
    /// The encoding parameters, which for audio are the channel count (1 when absent).
    pub channels: Option<u16>,
}

impl<'a> Rtpmap<'a> {
    pub fn parse(value: &'a [u8]) -> Option<Rtpmap<'a>> {
        let space = memchr::memchr(b' ', value)?;
        let payload_type = parse_decimal(&value[..space], 127)? as u8;
        let mut parts = value[space + 1..].trim_ascii().split(|&b| b == b'/');
        let encoding = parts.next().filter(|e| !e.is_empty())?;
        let clock_rate = parse_decimal(parts.next()?, u32::MAX.into())? as u32;
        let channels = match parts.next() {
            Some(c) => Some(parse_decimal(c, u16::MAX.into())? as u16),
            None => None,
        };
        parts.next().is_none().then_some(Rtpmap { payload_type, encoding, clock_rate, channels })
    }
}

/// Where a peer wants RTCP when it is not on the RTP port + 1 (RFC 3605 2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtcpAddress {
    pub port: u16,
    /// The address when one is given as an IP literal; else the stream's `c=` address.
    pub ip: Option<IpAddr>,
}

impl RtcpAddress {
    /// Port 0 or a malformed address makes the line unreadable (then it is `Other`); a
    /// domain name is read as "no address", as for `c=` (no DNS in a sans-IO core).
    pub fn parse(value: &[u8]) -> Option<RtcpAddress> {
        let value = value.trim_ascii();
        let (port, rest) = value.split_at(memchr::memchr(b' ', value).unwrap_or(value.len()));
        let port = parse_decimal(port, 65_535).filter(|&p| p != 0)? as u16;
        let rest = rest.trim_ascii();
        let ip = if rest.is_empty() { None } else { Connection::parse(rest).ok()?.ip };
        Some(RtcpAddress { port, ip })
    }
}

impl<'a> Attribute<'a> {
    /// Reads the value of an `a=` line.
    pub fn parse(value: &'a [u8]) -> Attribute<'a> {
        let (name, arg) = match memchr::memchr(b':', value) {
            Some(colon) => (&value[..colon], Some(&value[colon + 1..])),
            None => (value, None),
        };
        let known = match arg {
            None if name.eq_ignore_ascii_case(b"rtcp-mux") => Some(Attribute::RtcpMux),
            None => Direction::from_attribute(name).map(Attribute::Direction),
            Some(arg) if name.eq_ignore_ascii_case(b"rtcp") => RtcpAddress::parse(arg).map(Attribute::Rtcp),
            Some(arg) if name.eq_ignore_ascii_case(b"rtpmap") => Rtpmap::parse(arg).map(Attribute::Rtpmap),
            Some(arg) if name.eq_ignore_ascii_case(b"fmtp") => {
                let (format, params) = arg.split_at(memchr::memchr(b' ', arg).unwrap_or(arg.len()));
                (!format.is_empty()).then_some(Attribute::Fmtp { format, params: params.trim_ascii() })
            }
            Some(arg) if name.eq_ignore_ascii_case(b"ptime") => millis(arg).map(Attribute::Ptime),
            Some(arg) if name.eq_ignore_ascii_case(b"maxptime") => millis(arg).map(Attribute::MaxPtime),
            Some(_) => None,
        };
        known.unwrap_or(Attribute::Other { name, value: arg })
    }
}

/// A packet time in whole milliseconds; `0` is no packet time at all.
fn millis(s: &[u8]) -> Option<u32> {
    parse_decimal(s.trim_ascii(), u32::MAX.into()).map(|n| n as u32).filter(|&n| n > 0)
}

/// The `a=` lines of a section, in order. Lines of other types are skipped.
#[derive(Clone, Debug)]
pub struct Attributes<'a>(RawLines<'a>);

impl<'a> Attributes<'a> {
    pub(crate) fn new(section: &'a [u8]) -> Attributes<'a> {
        Attributes(RawLines::new(section))
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Attribute<'a>;

    fn next(&mut self) -> Option<Attribute<'a>> {
        self.0.by_ref().find_map(|(_, line)| match split_line(line) {
            Some((b'a', value)) => Some(Attribute::parse(value)),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtpmap_forms() {
        let r = Rtpmap::parse(b"111 opus/48000/2").unwrap();
        assert_eq!((r.payload_type, r.encoding, r.clock_rate, r.channels), (111, &b"opus"[..], 48000, Some(2)));
        assert_eq!(Rtpmap::parse(b"0 PCMU/8000").unwrap().channels, None);
        for bad in [&b"128 PCMU/8000"[..], b"x PCMU/8000", b"0 PCMU", b"0 /8000", b"0 PCMU/8k", b"0 A/1/2/3", b"0"] {
            assert_eq!(Rtpmap::parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn known_and_unknown_attributes() {
        assert_eq!(Attribute::parse(b"ptime:20"), Attribute::Ptime(20));
        assert_eq!(Attribute::parse(b"maxptime:150"), Attribute::MaxPtime(150));
        assert_eq!(Attribute::parse(b"recvonly"), Attribute::Direction(Direction::RecvOnly));
        assert_eq!(Attribute::parse(b"fmtp:101 0-16"), Attribute::Fmtp { format: b"101", params: b"0-16" });
        assert_eq!(Attribute::parse(b"ptime:abc"), Attribute::Other { name: b"ptime", value: Some(b"abc") });
        assert_eq!(Attribute::parse(b"rtcp-mux"), Attribute::RtcpMux);
        assert_eq!(Attribute::parse(b"rtcp-mux:x"), Attribute::Other { name: b"rtcp-mux", value: Some(b"x") });
        assert_eq!(Attribute::parse(b"sendonly:x"), Attribute::Other { name: b"sendonly", value: Some(b"x") });
    }

    #[test]
    fn rtcp_ports_and_addresses() {
        let rtcp = |port, ip: Option<&str>| Attribute::Rtcp(RtcpAddress { port, ip: ip.map(|i| i.parse().unwrap()) });
        assert_eq!(Attribute::parse(b"rtcp:53020"), rtcp(53020, None));
        assert_eq!(Attribute::parse(b"rtcp:53020 IN IP4 126.16.64.4"), rtcp(53020, Some("126.16.64.4")));
        assert_eq!(Attribute::parse(b"RTCP:9 IN IP6 2001:db8::1"), rtcp(9, Some("2001:db8::1")));
        assert_eq!(Attribute::parse(b"rtcp:9 IN IP4 media.example.com"), rtcp(9, None));
        for bad in [&b"rtcp:0"[..], b"rtcp:x", b"rtcp:70000", b"rtcp:9 IN IP4", b"rtcp:9 IN IP4 2001:db8::1"] {
            assert!(matches!(Attribute::parse(bad), Attribute::Other { .. }), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn iterates_only_attribute_lines() {
        let section = b"c=IN IP4 1.2.3.4\r\na=ptime:30\r\nb=AS:64\nnot a line\na=inactive\r\n";
        let attrs: Vec<_> = Attributes::new(section).collect();
        assert_eq!(attrs, vec![Attribute::Ptime(30), Attribute::Direction(Direction::Inactive)]);
    }
}
