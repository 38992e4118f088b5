//! The Via header (RFC 3261 20.42, 18.2.1) and the RFC 3581 `rport` parameter.

use super::host::{host_port_fast, parse_host_port, Host};
use super::lex::{is_lws, is_token, is_token_byte, parse_decimal, skip_lws, trim, trim_start};
use super::params::Params;
use super::swar::find;

/// The magic cookie that marks an RFC 3261 branch (8.1.1.7).
pub const MAGIC_COOKIE: &[u8] = b"z9hG4bK";

/// One Via value: `SIP / 2.0 / UDP host:port;params`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Via<'a> {
    /// The protocol version, `2.0` unless parsed leniently.
    pub version: &'a [u8],
    /// The transport token (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, ...), as written.
    pub transport: &'a [u8],
    /// The sent-by as written (`host[:port]`), which transaction matching compares (17.2.3).
    pub sent_by: &'a [u8],
    pub host: Host<'a>,
    pub port: Option<u16>,
    pub params: Params<'a>,
    /// The `branch` parameter, noted while the parameters were read.
    pub(super) branch: Option<&'a [u8]>,
}

impl<'a> Via<'a> {
    /// Parses one comma-separated element of a Via header. White space is allowed around
    /// the slashes and before the parameters (SWS rules of RFC 3261 25.1).
    pub fn parse(s: &'a [u8]) -> Option<Via<'a>> {
        Via::parse_with(s, true)
    }

    /// Reads only what routing a response needs (any version, parameters unchecked), so that
    /// a request with a broken Via can still get its 400 or 505 (RFC 4475 3.1.2.1, 3.1.2.16).
    pub fn parse_lenient(s: &'a [u8]) -> Option<Via<'a>> {
        Via::parse_with(s, false)
    }

    fn parse_with(s: &'a [u8], strict: bool) -> Option<Via<'a>> {
        let (version, rest) = sent_protocol_version(s)?;
        if (strict && version != b"2.0") || !is_token(version) {
            return None;
        }
        let rest = trim_start(rest);
        let tlen = rest.iter().take_while(|&&b| is_token_byte(b)).count();
        let (transport, rest) = rest.split_at(tlen);
        if tlen == 0 || rest.first().is_some_and(|&b| !is_lws(b)) {
            return None;
        }
        let lws = skip_lws(rest, 0);
        let (sent_by, host, port, semi) = match host_port_fast(&rest[lws..]) {
            Some((host, port, end, semi)) => (&rest[lws..lws + end], host, port, Some(lws + semi)),
            None => {
                let semi = find(rest, b';');
                let sent_by = &rest[..semi.unwrap_or(rest.len())];
                let (host, port) = parse_host_port(sent_by)?;
                (trim(sent_by), host, port, semi)
            }
        };
        let params = match semi.filter(|&semi| semi < rest.len()) {
            Some(semi) if strict && trim(&rest[semi + 1..]).is_empty() => return None,
            Some(semi) => &rest[semi + 1..],
            None => &b""[..],
        };
        let params = Params(params);
        let branch = match strict {
            true => params.read(b":[]", b"branch")?,
            false => params.value(b"branch"),
        };
        Some(Via { version, transport, sent_by, host, port, params, branch })
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&'a [u8]> {
        self.branch
    }

    /// True when the branch starts with the RFC 3261 magic cookie, so it alone identifies
    /// the transaction (17.2.3); otherwise RFC 2543 matching applies.
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.starts_with(MAGIC_COOKIE))
    }

    /// The `received` parameter (18.2.1).
    pub fn received(&self) -> Option<&'a [u8]> {
        self.params.value(b"received")
    }

    /// RFC 3581: `None` when absent, `Some(None)` for a bare `;rport` (the client asks for it),
    /// `Some(Some(port))` when filled in. An unreadable value counts as absent.
    pub fn rport(&self) -> Option<Option<u16>> {
        match self.params.get(b"rport")? {
            None => Some(None),
            Some(v) => parse_decimal(v, 65_535).map(|p| Some(p as u16)),
        }
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a [u8]> {
        self.params.value(b"maddr")
    }
}

/// `"SIP" SLASH version SLASH` at the start of a Via value: the version (trimmed, not yet
/// checked) and what follows the second slash. The usual spelling, `SIP/2.0/` without white
/// space, is recognised at once; anything else is split at its slashes.
#[inline]
fn sent_protocol_version(s: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(head) = s.get(..8) {
        if head[..4].eq_ignore_ascii_case(b"SIP/") && &head[4..] == b"2.0/" {
            return Some((&s[4..7], &s[8..]));
        }
    }
    let mut parts = s.splitn(3, |&b| b == b'/');
    let name = trim(parts.next()?);
    let version = trim(parts.next()?);
    Some((version, parts.next()?)).filter(|_| name.eq_ignore_ascii_case(b"SIP"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_spaced_vias() {
        let v = Via::parse(b"SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;rport").unwrap();
        assert_eq!(v.transport, b"UDP");
        assert_eq!(v.host, Host::Name(b"pc33.atlanta.com"));
        assert_eq!(v.port, Some(5066));
        assert_eq!(v.branch(), Some(&b"z9hG4bK776asdhds"[..]));
        assert!(v.has_rfc3261_branch());
        assert_eq!(v.rport(), Some(None));

        let v = Via::parse(b"SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw ; received=192.0.2.9").unwrap();
        assert_eq!(v.host, Host::Ipv4([192, 0, 2, 2].into()));
        assert!(!v.has_rfc3261_branch());
        assert_eq!(v.received(), Some(&b"192.0.2.9"[..]));
        assert_eq!(Via::parse(b"SIP/2.0/TCP [2001:db8::9]:5070;rport=5070").unwrap().rport(), Some(Some(5070)));
    }

    #[test]
    fn lenient_parse_reads_enough_to_route() {
        let v = Via::parse_lenient(b"SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw").unwrap();
        assert_eq!((v.version, v.host), (&b"7.0"[..], Host::Name(b"c.example.com")));
        assert!(Via::parse(b"SIP/2.0/UDP 192.0.2.15;;").is_none());
        assert!(Via::parse_lenient(b"SIP/2.0/UDP 192.0.2.15;;").is_some());
    }

    #[test]
    fn refuses_broken_vias() {
        for bad in [
            &b"SIP/2.0 host"[..],
            b"SIP/3.0/UDP host",
            b"SIP/2.0/UDP",
            b"SIP/2.0/UDP host:x",
            b"SIP/2.0/UDPhost",
            b"SIP/2.0/UDP a b",
        ] {
            assert!(Via::parse(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
