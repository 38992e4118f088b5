//! Reading a `WWW-Authenticate` or `Proxy-Authenticate` value (RFC 3261 22.4, RFC 7616 3.3,
//! RFC 8760): the challenges in it, each a scheme and `name=value` parameters. Only what a
//! Digest answer needs is kept; unknown parameters are skipped, as RFC 7616 requires.

use std::borrow::Cow;

use crate::sip::lex::{is_lws, skip_lws, skip_token};

/// The hash of a Digest challenge; `-sess` mixes the nonce and cnonce into HA1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Md5Sess,
    Sha256,
    Sha256Sess,
}

impl Algorithm {
    /// The token as written in a challenge and in our answer.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    pub fn is_sess(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }
}

/// Why a challenge cannot be answered. A caller that sees several challenges tries the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("not a Digest challenge")]
    NotDigest,
    #[error("malformed challenge")]
    Malformed,
    #[error("no realm or no nonce")]
    Missing,
    #[error("unsupported algorithm")]
    Algorithm,
    /// Only `auth-int` (or an unknown qop) is offered: answering it would need the body hash.
    #[error("unsupported qop")]
    Qop,
    /// A username or password that cannot be written into a header, or a `-sess` algorithm
    /// without a qop (there would be no cnonce to mix in).
    #[error("cannot answer")]
    Unanswerable,
}

/// One Digest challenge, its strings unescaped (borrowed when they hold no `\`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge<'a> {
    pub realm: Cow<'a, [u8]>,
    pub nonce: Cow<'a, [u8]>,
    pub opaque: Option<Cow<'a, [u8]>>,
    pub algorithm: Algorithm,
    /// `qop=auth` was offered (and is what we answer with); false: no qop (RFC 2069 style).
    pub qop_auth: bool,
    /// The previous nonce was merely out of date (RFC 7616 3.3): answer again at once.
    pub stale: bool,
}

/// The challenges in one header value, in order; a malformed one ends the list, since
/// where the next would start is then unknown.
pub fn challenges(value: &[u8]) -> impl Iterator<Item = Result<Challenge<'_>, DigestError>> + '_ {
    let mut at = Some(0);
    std::iter::from_fn(move || {
        let start = at.filter(|&i| skip_separators(value, i) < value.len())?;
        let (challenge, next) = parse_one(value, start);
        at = next;
        Some(challenge)
    })
}

/// The first challenge of `value` we can answer.
pub fn first_answerable(value: &[u8]) -> Option<Challenge<'_>> {
    challenges(value).find_map(Result::ok)
}

fn skip_separators(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && (is_lws(s[i]) || s[i] == b',') {
        i += 1;
    }
    i
}

/// Parses the challenge at `i`: it, and where the next one starts (`None`: no more).
fn parse_one(s: &[u8], i: usize) -> (Result<Challenge<'_>, DigestError>, Option<usize>) {
    let start = skip_separators(s, i);
    let end = skip_token(s, start);
    let digest = s[start..end].eq_ignore_ascii_case(b"Digest");
    let mut p = Params::default();
    let mut i = end;
    let next = loop {
        let name_at = skip_separators(s, i);
        if name_at == s.len() {
            break None;
        }
        let name_end = skip_token(s, name_at);
        let eq = skip_lws(s, name_end);
        if name_end == name_at || (eq < s.len() && s[eq] != b'=' && s[eq] != b',' && !is_lws(s[name_end])) {
            return (Err(DigestError::Malformed), None);
        }
        if eq == s.len() || s[eq] != b'=' {
            // A bare token after a comma: the next challenge's scheme, or a stray list item.
            if eq < s.len() && s[eq] != b',' {
                break Some(name_at);
            }
            i = eq;
            continue;
        }
        let Some((value, after)) = param_value(s, skip_lws(s, eq + 1)) else {
            return (Err(DigestError::Malformed), None);
        };
        if !p.set(&s[name_at..name_end], value) {
            return (Err(DigestError::Malformed), None);
        }
        i = skip_lws(s, after);
        if i < s.len() && s[i] != b',' {
            return (Err(DigestError::Malformed), None);
        }
    };
    match (end > start, digest) {
        (false, _) => (Err(DigestError::Malformed), None),
        (true, false) => (Err(DigestError::NotDigest), next),
        (true, true) => (p.into_challenge(), next),
    }
}

/// A token or a quoted string at `i`, unescaped; and the position after it.
fn param_value(s: &[u8], i: usize) -> Option<(Cow<'_, [u8]>, usize)> {
    if s.get(i) != Some(&b'"') {
        let end = skip_token(s, i);
        return (end > i).then(|| (Cow::Borrowed(&s[i..end]), end));
    }
    let mut j = i + 1;
    let mut owned: Option<Vec<u8>> = None;
    while j < s.len() {
        match s[j] {
            b'"' => return Some((owned.map_or(Cow::Borrowed(&s[i + 1..j]), Cow::Owned), j + 1)),
            // A control byte (a folded line inside the string too) is refused, so nothing we
            // copy into our own header can break it.
            b if (b < b' ' && b != b'\t') || b == 0x7f => return None,
            b'\\' => {
                let escaped = *s.get(j + 1).filter(|&&b| (b >= b' ' && b != 0x7f) || b == b'\t')?;
                owned.get_or_insert_with(|| s[i + 1..j].to_vec()).push(escaped);
                j += 2;
                continue;
            }
            b => {
                if let Some(o) = owned.as_mut() {
                    o.push(b);
                }
            }
        }
        j += 1;
    }
    None
}

/// The parameters a Digest challenge is read for; each may appear once.
#[derive(Default)]
struct Params<'a> {
    realm: Option<Cow<'a, [u8]>>,
    nonce: Option<Cow<'a, [u8]>>,
    opaque: Option<Cow<'a, [u8]>>,
    algorithm: Option<Cow<'a, [u8]>>,
    qop: Option<Cow<'a, [u8]>>,
    stale: Option<Cow<'a, [u8]>>,
}

impl<'a> Params<'a> {
    /// Records a parameter; false for a repeated one (RFC 7235 2.1: each at most once).
    fn set(&mut self, name: &[u8], value: Cow<'a, [u8]>) -> bool {
        let slot = match name.to_ascii_lowercase().as_slice() {
            b"realm" => &mut self.realm,
            b"nonce" => &mut self.nonce,
            b"opaque" => &mut self.opaque,
            b"algorithm" => &mut self.algorithm,
            b"qop" => &mut self.qop,
            b"stale" => &mut self.stale,
            _ => return true,
        };
        slot.replace(value).is_none()
    }

    fn into_challenge(self) -> Result<Challenge<'a>, DigestError> {
        let (Some(realm), Some(nonce)) = (self.realm, self.nonce) else { return Err(DigestError::Missing) };
        let algorithm = match self.algorithm.as_deref().map(<[u8]>::to_ascii_lowercase).as_deref() {
            None | Some(b"md5") => Algorithm::Md5,
            Some(b"md5-sess") => Algorithm::Md5Sess,
            Some(b"sha-256") => Algorithm::Sha256,
            Some(b"sha-256-sess") => Algorithm::Sha256Sess,
            Some(_) => return Err(DigestError::Algorithm),
        };
        let qop_auth = match &self.qop {
            None => false,
            Some(q) if q.split(|&b| b == b',').any(|o| crate::sip::lex::trim(o).eq_ignore_ascii_case(b"auth")) => true,
            Some(_) => return Err(DigestError::Qop),
        };
        if algorithm.is_sess() && !qop_auth {
            return Err(DigestError::Unanswerable);
        }
        let stale = self.stale.is_some_and(|v| v.eq_ignore_ascii_case(b"true"));
        Ok(Challenge { realm, nonce, opaque: self.opaque, algorithm, qop_auth, stale })
    }
}
