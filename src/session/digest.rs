//! Answering a Digest challenge (RFC 3261 22.2-22.4, RFC 7616 3.4, RFC 8760): the value of
//! an `Authorization` or `Proxy-Authorization` header for one request. Pure: the caller
//! gives the cnonce, so the randomness it needs comes from the endpoint, not from here.

use std::fmt;

use bytes::{BufMut, BytesMut};
use md5::Md5;
use sha2::{Digest, Sha256};

pub use super::digest_challenge::{challenges, first_answerable, Algorithm, Challenge, DigestError};

/// A user's name and password, for answering challenges to the calls we place.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Credentials<'a> {
    pub username: &'a [u8],
    pub password: &'a [u8],
}

/// Logs and panic messages must never carry the password.
impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let user = String::from_utf8_lossy(self.username);
        f.debug_struct("Credentials").field("username", &user).field("password", &"<hidden>").finish()
    }
}

/// The request an answer is for, and the client's part of the hash.
#[derive(Clone, Copy, Debug)]
pub struct Answer<'a> {
    pub method: &'a [u8],
    /// The Request-URI, exactly as the request carries it (RFC 3261 22.4: `digest-uri`).
    pub uri: &'a [u8],
    /// Unpredictable to the server (RFC 7616 5.12: it defeats chosen-plaintext attacks).
    pub cnonce: &'a [u8],
    /// How many requests this nonce has answered, this one included (from 1).
    pub nc: u32,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `H(p1:p2:...)` in lower-case hex, the form every step of the digest takes.
fn hash<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
    let mut d = D::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            d.update(b":");
        }
        d.update(part);
    }
    d.finalize().iter().flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]).collect()
}

fn nc_hex(nc: u32) -> [u8; 8] {
    std::array::from_fn(|i| HEX[((nc >> (28 - 4 * i)) & 15) as usize])
}

/// The `response` parameter: RFC 7616 3.4.1 with qop=auth, RFC 2069 without a qop.
pub fn response(ch: &Challenge<'_>, creds: Credentials<'_>, a: &Answer<'_>) -> Vec<u8> {
    match ch.algorithm {
        Algorithm::Md5 | Algorithm::Md5Sess => response_with::<Md5>(ch, creds, a),
        Algorithm::Sha256 | Algorithm::Sha256Sess => response_with::<Sha256>(ch, creds, a),
    }
}

fn response_with<D: Digest>(ch: &Challenge<'_>, creds: Credentials<'_>, a: &Answer<'_>) -> Vec<u8> {
    let mut ha1 = hash::<D>(&[creds.username, &ch.realm, creds.password]);
    if ch.algorithm.is_sess() {
        ha1 = hash::<D>(&[&ha1, &ch.nonce, a.cnonce]);
    }
    let ha2 = hash::<D>(&[a.method, a.uri]);
    match ch.qop_auth {
        true => hash::<D>(&[&ha1, &ch.nonce, &nc_hex(a.nc), a.cnonce, b"auth", &ha2]),
        false => hash::<D>(&[&ha1, &ch.nonce, &ha2]),
    }
}

/// Appends the header value answering `ch`. Refuses, writing nothing, a username, URI or
/// cnonce holding control bytes: they would end the header line early.
pub fn write_authorization(
    ch: &Challenge<'_>,
    creds: Credentials<'_>,
    a: &Answer<'_>,
    out: &mut BytesMut,
) -> Result<(), DigestError> {
    let start = out.len();
    out.put_slice(b"Digest username=");
    let mut ok = put_quoted(out, creds.username);
    out.put_slice(b", realm=");
    ok &= put_quoted(out, &ch.realm);
    // The nonce before the cnonce: some verifiers look parameters up by plain substring.
    out.put_slice(b", nonce=");
    ok &= put_quoted(out, &ch.nonce);
    out.put_slice(b", uri=");
    ok &= put_quoted(out, a.uri);
    out.put_slice(b", response=\"");
    out.put_slice(&response(ch, creds, a));
    out.put_slice(b"\", algorithm=");
    out.put_slice(ch.algorithm.name().as_bytes());
    if let Some(opaque) = &ch.opaque {
        out.put_slice(b", opaque=");
        ok &= put_quoted(out, opaque);
    }
    if ch.qop_auth {
        out.put_slice(b", qop=auth, cnonce=");
        ok &= put_quoted(out, a.cnonce);
        out.put_slice(b", nc=");
        out.put_slice(&nc_hex(a.nc));
    }
    if !ok {
        out.truncate(start);
        return Err(DigestError::Unanswerable);
    }
    Ok(())
}

/// Writes `s` as a quoted string, escaping `"` and `\`; false if it holds a control byte.
fn put_quoted(out: &mut BytesMut, s: &[u8]) -> bool {
    out.put_u8(b'"');
    for &b in s {
        if (b < b' ' && b != b'\t') || b == 0x7f {
            return false;
        }
        if b == b'"' || b == b'\\' {
            out.put_u8(b'\\');
        }
        out.put_u8(b);
    }
    out.put_u8(b'"');
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MUFASA_2617: Credentials<'static> = Credentials { username: b"Mufasa", password: b"Circle Of Life" };
    const MUFASA_7616: Credentials<'static> = Credentials { username: b"Mufasa", password: b"Circle of Life" };

    fn answer<'a>(ch: &Challenge<'_>, creds: Credentials<'_>, a: &Answer<'a>) -> String {
        let mut out = BytesMut::new();
        write_authorization(ch, creds, a, &mut out).unwrap();
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn rfc2617_example_md5_qop_auth() {
        let v = br#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;
        let ch = first_answerable(v).unwrap();
        assert_eq!((ch.algorithm, ch.qop_auth, ch.stale), (Algorithm::Md5, true, false));
        assert_eq!(&*ch.realm, b"testrealm@host.com");
        let a = Answer { method: b"GET", uri: b"/dir/index.html", cnonce: b"0a4f113b", nc: 1 };
        assert_eq!(response(&ch, MUFASA_2617, &a), b"6629fae49393a05397450978507c4ef1");
        assert_eq!(
            answer(&ch, MUFASA_2617, &a),
            "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", \
             response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, \
             opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", qop=auth, cnonce=\"0a4f113b\", nc=00000001"
        );
    }

    #[test]
    fn rfc7616_examples_md5_and_sha256() {
        let a = Answer {
            method: b"GET",
            uri: b"/dir/index.html",
            cnonce: b"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            nc: 1,
        };
        for (algorithm, expected) in [
            ("MD5", &b"8ca523f5e9506fed4657c9700eebdbec"[..]),
            ("SHA-256", b"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
        ] {
            let v = format!(
                "Digest\r\n realm=\"http-auth@example.org\",\r\n qop=\"auth, auth-int\",\r\n algorithm={algorithm},\r\n \
                 nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n \
                 opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
            );
            let ch = first_answerable(v.as_bytes()).unwrap();
            assert_eq!(ch.algorithm.name(), algorithm);
            assert_eq!(response(&ch, MUFASA_7616, &a), expected, "{algorithm}");
        }
    }

    #[test]
    fn no_qop_is_rfc2069_and_sess_mixes_in_the_cnonce() {
        // draft-smith-sipping-auth-examples 3.1.
        let ch = first_answerable(br#"Digest realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093""#).unwrap();
        let bob = Credentials { username: b"bob", password: b"zanzibar" };
        let a = Answer { method: b"INVITE", uri: b"sip:bob@biloxi.com", cnonce: b"unused", nc: 1 };
        assert_eq!(response(&ch, bob, &a), b"bf57e4e0d0bffc0fbaedce64d59add5e");
        assert!(!answer(&ch, bob, &a).contains("cnonce"), "no qop: no cnonce, nc or qop");
        // SHA-256-sess, checked against Python's hashlib.
        let ch = first_answerable(br#"Digest realm="callshard.test", nonce="n0nce", algorithm=SHA-256-sess, qop=auth"#);
        let alice = Credentials { username: b"alice", password: b"secret" };
        let a = Answer { method: b"INVITE", uri: b"sip:bob@example.com", cnonce: b"c1", nc: 42 };
        let r = response(&ch.unwrap(), alice, &a);
        assert_eq!(r, b"14dc408e6bbf728140de1640222a381c0dfc632a8203c0c8bbc869adb7c63b40");
    }

    #[test]
    fn challenges_in_one_value_and_what_is_skipped() {
        let v = br#"Basic realm="x", Digest realm="r", nonce="a\"b\\c", algorithm=SHA-512-256, Digest realm="r", nonce="n2", stale=TRUE, domain="sip:x", userhash=true"#;
        let all: Vec<_> = challenges(v).collect();
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(all[0], Err(DigestError::NotDigest));
        assert_eq!(all[1], Err(DigestError::Algorithm));
        let ch = first_answerable(v).unwrap();
        assert_eq!((&*ch.nonce, ch.stale, ch.qop_auth), (&b"n2"[..], true, false));
        let escaped = first_answerable(br#"Digest realm="r", nonce="a\"b\\c""#).unwrap();
        assert_eq!(&*escaped.nonce, br#"a"b\c"#);
        let a = Answer { method: b"INVITE", uri: b"sip:b@h", cnonce: b"c", nc: 1 };
        let creds = Credentials { username: b"al\"ice", password: b"pw" };
        assert!(answer(&escaped, creds, &a).starts_with(r#"Digest username="al\"ice", realm="r", nonce="a\"b\\c""#));
    }

    #[test]
    fn refused_challenges() {
        for (v, e) in [
            (&br#"Digest realm="r", nonce="n", qop="auth-int""#[..], DigestError::Qop),
            (br#"Digest realm="r", nonce="n", algorithm=MD5-sess"#, DigestError::Unanswerable),
            (br#"Digest realm="r""#, DigestError::Missing),
            (br#"Digest realm="r", nonce="n", nonce="m""#, DigestError::Malformed),
            (br#"Digest realm="r", nonce="unterminated"#, DigestError::Malformed),
            (br#"Digest realm="r" nonce="n""#, DigestError::Malformed),
            (b"Digest realm=\"r\x01\", nonce=\"n\"", DigestError::Malformed),
            (br#"Digest realm=, nonce="n""#, DigestError::Malformed),
            (br#"Digest realm="r", nonce=a/b"#, DigestError::Malformed),
            (b"=", DigestError::Malformed),
        ] {
            assert_eq!(challenges(v).next(), Some(Err(e)), "{}", String::from_utf8_lossy(v));
        }
        assert_eq!(challenges(b"  , ").count(), 0);
        let ch = first_answerable(br#"Digest realm="r", nonce="n""#).unwrap();
        let a = Answer { method: b"INVITE", uri: b"sip:b@h", cnonce: b"c", nc: 1 };
        let mut out = BytesMut::from(&b"kept"[..]);
        let bad = Credentials { username: b"a\r\nX: y", password: b"" };
        assert_eq!(write_authorization(&ch, bad, &a, &mut out), Err(DigestError::Unanswerable));
        assert_eq!(&out[..], b"kept");
        assert!(!format!("{MUFASA_7616:?}").contains("Circle"));
    }

    proptest! {
        #[test]
        fn arbitrary_values_never_panic(v in proptest::collection::vec(any::<u8>(), 0..200)) {
            for ch in challenges(&v).take(100).flatten() {
                let a = Answer { method: b"INVITE", uri: b"sip:b@h", cnonce: b"c", nc: 1 };
                let _ = write_authorization(&ch, MUFASA_7616, &a, &mut BytesMut::new());
            }
        }

        #[test]
        fn challenge_like_values_never_panic(v in r#"(Digest|Basic|x)?[ ,]*((realm|nonce|qop|algorithm|stale|opaque|z)[ ]*=[ ]*("[^"]{0,8}"?|[a-zA-Z0-9-]{0,8}|\\)[ ,"\\]*){0,6}"#) {
            let n = challenges(v.as_bytes()).take(100).count();
            prop_assert!(n <= v.len());
        }
    }
}
