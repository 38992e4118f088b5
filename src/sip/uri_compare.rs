//! URI equivalence, RFC 3261 19.1.4. Escapes are decoded only while comparing, so the
//! message keeps the URI exactly as it was written.

use super::lex::hex_pair;
use super::params::Params;
use super::uri::SipUri;

/// Parameters that, when present in either URI, must be present and equal in both.
const DECISIVE: [&[u8]; 5] = [b"user", b"ttl", b"method", b"maddr", b"transport"];

impl SipUri<'_> {
    /// True when the two URIs are equivalent per RFC 3261 19.1.4.
    pub fn equivalent(&self, other: &SipUri<'_>) -> bool {
        self.scheme == other.scheme
            && opt_eq(self.user, other.user, false)
            && opt_eq(self.password, other.password, false)
            && self.host.matches(&other.host)
            && self.port == other.port
            && params_equivalent(self.params, other.params)
            && headers_equivalent(self.headers, other.headers)
    }
}

fn opt_eq(a: Option<&[u8]>, b: Option<&[u8]>, ignore_case: bool) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => unescaped_eq(a, b, ignore_case),
        _ => false,
    }
}

/// Decisive parameters must agree; any other parameter is compared only when both have it.
/// A name used more than once is compared occurrence by occurrence.
fn params_equivalent(a: Params<'_>, b: Params<'_>) -> bool {
    let same = |name: &[u8]| {
        param_values(a, name).count() == param_values(b, name).count()
            && param_values(a, name).zip(param_values(b, name)).all(|(x, y)| opt_eq(x, y, true))
    };
    DECISIVE.iter().all(|name| same(name)) && a.iter().all(|(name, _)| !b.contains(name) || same(name))
}

fn param_values<'a>(p: Params<'a>, name: &'a [u8]) -> impl Iterator<Item = Option<&'a [u8]>> + 'a {
    p.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// URI headers must all be present in both, values compared case-sensitively, a repeated
/// name occurrence by occurrence.
fn headers_equivalent(a: &[u8], b: &[u8]) -> bool {
    split_headers(a).count() == split_headers(b).count()
        && split_headers(a).all(|(name, _)| {
            header_values(a, name).count() == header_values(b, name).count()
                && header_values(a, name).zip(header_values(b, name)).all(|(x, y)| unescaped_eq(x, y, false))
        })
}

fn header_values<'a>(s: &'a [u8], name: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    split_headers(s).filter(move |(n, _)| unescaped_eq(n, name, true)).map(|(_, v)| v)
}

/// `name=value` pairs of a URI's headers part.
fn split_headers(s: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    s.split(|&c| c == b'&').filter(|h| !h.is_empty()).map(|h| {
        let (n, v) = h.split_at(memchr::memchr(b'=', h).unwrap_or(h.len()));
        (n, v.strip_prefix(b"=").unwrap_or(v))
    })
}

/// Compares two strings after decoding `%HH` escapes.
pub fn unescaped_eq(a: &[u8], b: &[u8], ignore_case: bool) -> bool {
    let (mut x, mut y) = (Unescape(a), Unescape(b));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p == q || (ignore_case && p.eq_ignore_ascii_case(&q)) => {}
            _ => return false,
        }
    }
}

struct Unescape<'a>(&'a [u8]);

impl Iterator for Unescape<'_> {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        match *self.0 {
            [b'%', h, l, ..] if hex_pair(h, l).is_some() => {
                self.0 = &self.0[3..];
                hex_pair(h, l)
            }
            [c, ..] => {
                self.0 = &self.0[1..];
                Some(c)
            }
            [] => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::uri::SipUri;

    fn eq(a: &str, b: &str) -> bool {
        let (a, b) = (SipUri::parse(a.as_bytes()).unwrap(), SipUri::parse(b.as_bytes()).unwrap());
        assert_eq!(a.equivalent(&b), b.equivalent(&a), "comparison must be symmetric");
        a.equivalent(&b)
    }

    #[test]
    fn rfc3261_19_1_4_equal_examples() {
        assert!(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
        assert!(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
        assert!(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
        assert!(eq(
            "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"
        ));
        assert!(eq(
            "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
            "sip:alice@atlanta.com?priority=urgent&subject=project%20x"
        ));
    }

    #[test]
    fn rfc3261_19_1_4_unequal_examples() {
        assert!(!eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
        assert!(!eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
        assert!(!eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
        assert!(!eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
        assert!(!eq("sip:a@b;x=1;x=2", "sip:a@b;x=2;x=1"));
    }

    #[test]
    fn repeated_names_compare_occurrence_by_occurrence() {
        for uri in ["sip:a@b;transport=udp;transport=tcp", "sip:a@b;x=1;x=2", "sip:a@b?x=1&x=2"] {
            assert!(eq(uri, uri), "{uri}");
        }
    }
}
