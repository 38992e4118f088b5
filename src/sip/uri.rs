//! SIP and SIPS URIs (RFC 3261 19.1), borrowed from the message. Escapes stay as written;
//! [`SipUri::equivalent`] decodes them only to compare.

use super::host::{parse_host_port, Host};
use super::lex::{all_in, hex_pair, SCHEME, URI_BYTE};
use super::params::Params;
use super::swar::find;

/// `sip:` or `sips:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Sip,
    Sips,
}

/// A parsed `sip:`/`sips:` URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SipUri<'a> {
    pub scheme: Scheme,
    pub user: Option<&'a [u8]>,
    pub password: Option<&'a [u8]>,
    pub host: Host<'a>,
    pub port: Option<u16>,
    /// `uri-parameters` without the leading `;`.
    pub params: Params<'a>,
    /// `headers` without the leading `?` (`hname=hvalue&...`).
    pub headers: &'a [u8],
}

/// Why a URI was refused: a scheme we do not handle (416) or broken syntax (400).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UriError {
    UnknownScheme,
    Malformed,
}

/// The scheme of an absolute URI (`scheme ":" ...`), if it has a well-formed one.
pub fn scheme_of(uri: &[u8]) -> Option<&[u8]> {
    let colon = find(uri, b':')?;
    let scheme = &uri[..colon];
    let ok = scheme.first().is_some_and(u8::is_ascii_alphabetic) && all_in(scheme, SCHEME);
    ok.then_some(scheme)
}

impl<'a> SipUri<'a> {
    /// Parses a SIP or SIPS URI.
    pub fn parse(s: &'a [u8]) -> Result<SipUri<'a>, UriError> {
        let scheme = scheme_of(s).ok_or(UriError::Malformed)?;
        let rest = &s[scheme.len() + 1..];
        let scheme = if scheme.eq_ignore_ascii_case(b"sip") {
            Scheme::Sip
        } else if scheme.eq_ignore_ascii_case(b"sips") {
            Scheme::Sips
        } else {
            return Err(UriError::UnknownScheme);
        };
        if !all_in(rest, URI_BYTE) {
            return Err(UriError::Malformed);
        }
        let (userinfo, hostpart) = match find(rest, b'@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            Some(info) => {
                let (user, password) = match find(info, b':') {
                    Some(c) => (&info[..c], Some(&info[c + 1..])),
                    None => (info, None),
                };
                if user.is_empty() || !escapes_ok(info) {
                    return Err(UriError::Malformed);
                }
                (Some(user), password)
            }
            None => (None, None),
        };
        let (before_headers, headers) = match find(hostpart, b'?') {
            Some(q) if q + 1 < hostpart.len() => (&hostpart[..q], &hostpart[q + 1..]),
            Some(_) => return Err(UriError::Malformed),
            None => (hostpart, &b""[..]),
        };
        let (hostport, params) = match find(before_headers, b';') {
            Some(semi) if semi + 1 < before_headers.len() => (&before_headers[..semi], &before_headers[semi + 1..]),
            Some(_) => return Err(UriError::Malformed),
            None => (before_headers, &b""[..]),
        };
        let (host, port) = parse_host_port(hostport).ok_or(UriError::Malformed)?;
        let params = Params(params);
        if !params.is_well_formed(b"[]/:&+$%") || !escapes_ok(headers) {
            return Err(UriError::Malformed);
        }
        Ok(SipUri { scheme, user, password, host, port, params, headers })
    }

    /// The user part of a SIP or SIPS URI known to parse (a received Request-URI passed
    /// `check_request_uri` before anyone reads it): what [`SipUri::parse`] gives as `user`,
    /// without checking the rest again. A route lookup per call needs no more.
    pub fn user_of_valid(s: &'a [u8]) -> Option<&'a [u8]> {
        let scheme = scheme_of(s)?;
        if !scheme.eq_ignore_ascii_case(b"sip") && !scheme.eq_ignore_ascii_case(b"sips") {
            return None;
        }
        let rest = &s[scheme.len() + 1..];
        let info = &rest[..find(rest, b'@')?];
        let user = &info[..find(info, b':').unwrap_or(info.len())];
        (!user.is_empty()).then_some(user)
    }

    /// The `transport` parameter, if any.
    pub fn transport(&self) -> Option<&'a [u8]> {
        self.params.value(b"transport")
    }

    /// True when the URI carries `;lr` (a loose router, RFC 3261 16.12).
    pub fn is_loose_router(&self) -> bool {
        self.params.contains(b"lr")
    }
}

/// Every `%` is followed by two hexadecimal digits.
fn escapes_ok(s: &[u8]) -> bool {
    let mut i = 0;
    while let Some(p) = find(&s[i..], b'%') {
        let at = i + p;
        match (s.get(at + 1), s.get(at + 2)) {
            (Some(&h), Some(&l)) if hex_pair(h, l).is_some() => i = at + 3,
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_part() {
        let u =
            SipUri::parse(b"sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=hi&priority=urgent").unwrap();
        assert_eq!(u.scheme, Scheme::Sips);
        assert_eq!(u.user, Some(&b"alice"[..]));
        assert_eq!(u.password, Some(&b"secret"[..]));
        assert_eq!(u.host, Host::Ipv6("2001:db8::1".parse().unwrap()));
        assert_eq!(u.port, Some(5061));
        assert_eq!(u.transport(), Some(&b"tcp"[..]));
        assert!(u.is_loose_router());
        assert_eq!(u.headers, b"subject=hi&priority=urgent");
    }

    #[test]
    fn user_of_valid_agrees_with_parse() {
        for uri in [
            &b"sip:service@127.0.0.1:5060"[..],
            b"SIPS:alice:secret@example.com;transport=tcp",
            b"sip:example.com",
            b"sip:user;par=u%40example.net@example.com",
            b"sip:[::1]:5060;lr",
            b"tel:+1-212-555-1212",
        ] {
            assert_eq!(SipUri::user_of_valid(uri), SipUri::parse(uri).ok().and_then(|u| u.user), "{uri:?}");
        }
    }

    #[test]
    fn user_may_hold_semicolons_and_escapes() {
        let u = SipUri::parse(b"sip:user;par=u%40example.net@example.com").unwrap();
        assert_eq!(u.user, Some(&b"user;par=u%40example.net"[..]));
        assert_eq!(u.host, Host::Name(b"example.com"));
        assert!(u.params.as_bytes().is_empty());
    }

    #[test]
    fn refuses_bad_uris() {
        assert_eq!(SipUri::parse(b"mailto:a@b"), Err(UriError::UnknownScheme));
        for bad in [
            &b"sip:"[..],
            b"sip:@host",
            b"sip:a b@host",
            b"sip:host:99999",
            b"sip:u%4@host",
            b"sip:<host>",
            b"nocolon",
            b"sip:alice@x;",
            b"sip:alice@x?",
        ] {
            assert_eq!(SipUri::parse(bad), Err(UriError::Malformed), "{}", String::from_utf8_lossy(bad));
        }
    }
}
