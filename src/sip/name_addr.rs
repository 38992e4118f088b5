//! `name-addr` / `addr-spec` with header parameters: From, To, Contact, Route, Record-Route
//! (RFC 3261 20.10, 20.20, 20.39).

use super::lex::{all_in, quoted_string_end, trim, trim_start, TOKEN_LWS, URI_BYTE};
use super::params::Params;
use super::swar::{find, find_any};
use super::uri::{scheme_of, SipUri, UriError};

/// `[display-name] <URI>;params` or `URI;params`, borrowed from the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// The display name as written (a quoted string keeps its quotes); `None` when absent.
    pub display: Option<&'a [u8]>,
    /// The URI as written, any scheme.
    pub uri: &'a [u8],
    /// Header parameters (`tag`, `expires`, `q`, ...), not URI parameters.
    pub params: Params<'a>,
    /// The `tag` parameter, noted while the parameters were read.
    pub(super) tag: Option<&'a [u8]>,
}

impl<'a> NameAddr<'a> {
    /// Parses one element. Without angle brackets, everything after the first `;` is a
    /// header parameter (RFC 3261 20.10).
    pub fn parse(s: &'a [u8]) -> Option<NameAddr<'a>> {
        let s = trim(s);
        let lt = match s.first() {
            Some(b'"') => {
                let end = quoted_string_end(s)?;
                end + find(&s[end..], b'<')?
            }
            _ => match find(s, b'<') {
                Some(lt) => lt,
                None => return NameAddr::parse_addr_spec(s),
            },
        };
        let display = trim(&s[..lt]);
        let display_ok = match display.first() {
            Some(b'"') => quoted_string_end(display) == Some(display.len()),
            _ => all_in(display, TOKEN_LWS),
        };
        let gt = lt + find(&s[lt..], b'>')?;
        let uri = &s[lt + 1..gt];
        let rest = trim_start(&s[gt + 1..]);
        let params = match rest {
            [] => &b""[..],
            [b';', p @ ..] => p,
            _ => return None,
        };
        let tag = Params(params).read(b":[]", b"tag");
        (display_ok && valid_uri(uri)).then_some(NameAddr {
            display: (!display.is_empty()).then_some(display),
            uri,
            params: Params(params),
            tag: tag?,
        })
    }

    fn parse_addr_spec(s: &'a [u8]) -> Option<NameAddr<'a>> {
        let (uri, params) = match find(s, b';') {
            Some(semi) => (trim(&s[..semi]), &s[semi + 1..]),
            None => (s, &b""[..]),
        };
        // RFC 3261 20.10: a URI with `,`, `?` or `;` must be written in angle brackets.
        let bracket_only = find_any(uri, [b',', b'?']).is_some();
        let tag = Params(params).read(b":[]", b"tag");
        (!bracket_only && valid_uri(uri)).then_some(NameAddr { display: None, uri, params: Params(params), tag: tag? })
    }

    /// The `tag` parameter (dialog identification, RFC 3261 19.3).
    pub fn tag(&self) -> Option<&'a [u8]> {
        self.tag
    }

    /// The URI parsed as SIP/SIPS.
    pub fn sip_uri(&self) -> Result<SipUri<'a>, UriError> {
        SipUri::parse(self.uri)
    }
}

/// An absolute URI with no white space.
///
/// Only the shape is checked here (a scheme, then visible characters, none of `<>"`); the
/// parts of a SIP URI are parsed when asked for ([`NameAddr::sip_uri`]). From and To are read
/// for their tags far more often than for their URIs, so the full parse is not paid up front.
fn valid_uri(uri: &[u8]) -> bool {
    scheme_of(uri).is_some_and(|scheme| uri.len() > scheme.len() + 1) && all_in(uri, URI_BYTE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_addr_forms() {
        let n = NameAddr::parse(b"\"Bob \\\"B\\\" <x>\" <sip:bob@biloxi.com>;tag=a6c85cf").unwrap();
        assert_eq!(n.display, Some(&b"\"Bob \\\"B\\\" <x>\""[..]));
        assert_eq!(n.uri, b"sip:bob@biloxi.com");
        assert_eq!(n.tag(), Some(&b"a6c85cf"[..]));
        let n = NameAddr::parse(b"Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8").unwrap();
        assert_eq!(n.display, Some(&b"Anonymous"[..]));
        let n = NameAddr::parse(b"sip:alice@atlanta.com;tag=1928301774").unwrap();
        assert_eq!((n.uri, n.tag()), (&b"sip:alice@atlanta.com"[..], Some(&b"1928301774"[..])));
        assert_eq!(NameAddr::parse(b"<tel:+1-212-555-1212>").unwrap().uri, b"tel:+1-212-555-1212");
    }

    #[test]
    fn refuses_broken_name_addrs() {
        for bad in [
            &b"<sip:a@b"[..],
            b"\"unterminated <sip:a@b>",
            b"<sip:a@b> junk",
            b"sip:a b@c",
            b"no-scheme",
            b"<sip:a@b c>",
            b"sip:a@b?Route=x",
        ] {
            assert!(NameAddr::parse(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
