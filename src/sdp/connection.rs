//! Connection data, `c=<nettype> <addrtype> <connection-address>` (RFC 4566 5.7).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::SdpError;
use super::lines::fields;

/// One `c=` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connection<'a> {
    /// `IN` for the Internet, the only network type RFC 4566 defines.
    pub nettype: &'a [u8],
    /// `IP4` or `IP6`.
    pub addrtype: &'a [u8],
    /// The address as written, without the multicast `/ttl` and `/count` suffixes.
    pub address: &'a [u8],
    /// The address when it is a literal of the announced family; `None` for a domain name
    /// (which a sans-IO core cannot resolve) or a network type we do not know.
    pub ip: Option<IpAddr>,
}

impl<'a> Connection<'a> {
    pub fn parse(value: &'a [u8]) -> Result<Connection<'a>, SdpError> {
        let mut f = fields(value);
        let (Some(nettype), Some(addrtype), Some(written), None) = (f.next(), f.next(), f.next(), f.next()) else {
            return Err(SdpError::bad('c', "expected nettype, addrtype and address"));
        };
        let address = written.split(|&b| b == b'/').next().unwrap_or(written);
        let ip = if nettype.eq_ignore_ascii_case(b"IN") { internet_address(addrtype, address)? } else { None };
        Ok(Connection { nettype, addrtype, address, ip })
    }

    /// True for `0.0.0.0` (or `::`): the RFC 2543 way of saying "send me nothing", which an
    /// answerer must still understand (RFC 3264 8.4).
    pub fn is_unspecified(&self) -> bool {
        self.ip.is_some_and(|ip| ip.is_unspecified())
    }
}

/// Reads an `IN` address: a literal of the announced type, or a domain name (RFC 4566 5.7
/// allows an FQDN). A literal of the other family, or bytes that are neither, are errors.
fn internet_address(addrtype: &[u8], address: &[u8]) -> Result<Option<IpAddr>, SdpError> {
    let text = std::str::from_utf8(address).map_err(|_| SdpError::bad('c', "address is not ASCII"))?;
    // One text is never both (an IPv6 literal has colons, an IPv4 one none): IPv6 is tried
    // only when IPv4 fails, since every offer names an address and most are IPv4.
    let v4 = text.parse::<Ipv4Addr>().ok();
    let v6 = if v4.is_none() { text.parse::<Ipv6Addr>().ok() } else { None };
    let ip = if addrtype.eq_ignore_ascii_case(b"IP4") {
        if v6.is_some() {
            return Err(SdpError::bad('c', "IP6 address under addrtype IP4"));
        }
        v4.map(IpAddr::V4)
    } else if addrtype.eq_ignore_ascii_case(b"IP6") {
        if v4.is_some() {
            return Err(SdpError::bad('c', "IP4 address under addrtype IP6"));
        }
        v6.map(IpAddr::V6)
    } else {
        return Ok(None);
    };
    let domain = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.');
    if ip.is_none() && !address.iter().all(domain) {
        return Err(SdpError::bad('c', "address is neither an IP literal nor a domain name"));
    }
    Ok(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_ipv6_multicast_and_names() {
        let c = Connection::parse(b"IN IP4 192.0.2.10").unwrap();
        assert_eq!((c.nettype, c.addrtype, c.ip), (&b"IN"[..], &b"IP4"[..], Some([192, 0, 2, 10].into())));
        let c = Connection::parse(b"IN IP6 2001:db8::1").unwrap();
        assert_eq!(c.ip, Some("2001:db8::1".parse().unwrap()));
        let c = Connection::parse(b"IN IP4 224.2.1.1/127/3").unwrap();
        assert_eq!((c.address, c.ip.map(|ip| ip.is_multicast())), (&b"224.2.1.1"[..], Some(true)));
        let c = Connection::parse(b"IN IP4 media.example.com").unwrap();
        assert_eq!((c.address, c.ip), (&b"media.example.com"[..], None));
        assert!(Connection::parse(b"IN IP4 0.0.0.0").unwrap().is_unspecified());
        assert_eq!(Connection::parse(b"ATM NSAP 47.0005").unwrap().ip, None);
    }

    #[test]
    fn malformed_lines_are_typed_errors() {
        for bad in [&b"IN IP4"[..], b"IN IP4 1.2.3.4 extra", b"", b"IN IP4 ::1", b"IN IP6 1.2.3.4", b"IN IP4 a b"] {
            let e = Connection::parse(bad).unwrap_err();
            assert!(matches!(e, SdpError::BadLine { line: 'c', .. }), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            Connection::parse(b"IN IP4 1.2.3.4!").unwrap_err().detail(),
            "address is neither an IP literal nor a domain name"
        );
        assert!(Connection::parse(b"IN IP4 \xff").is_err());
    }
}
