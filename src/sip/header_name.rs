//! Header field names: case-insensitive, with the compact forms of RFC 3261 7.3.3 and
//! the IANA "SIP Parameters" registry.

use super::lex::is_token_byte;
use super::swar::{splat, zero_bytes};

/// Declares `HeaderName`, `NAMES` and `ALL` from one list, so the three cannot disagree.
macro_rules! header_names {
    ($($variant:ident = $name:literal $(, $compact:literal)?;)*) => {
        /// A header the stack reads or writes itself. Anything else is `Other` and is still
        /// kept, byte for byte, in the message index.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum HeaderName {
            $($variant,)*
            Other,
        }

        /// Canonical spelling and compact form of each known header, in enum order.
        const NAMES: &[(&str, Option<u8>)] = &[$(($name, header_names!(@compact $($compact)?)),)*];

        /// Every known header, in enum order.
        const ALL: &[HeaderName] = &[$(HeaderName::$variant,)*];

        impl HeaderName {
            /// How many kinds there are, `Other` included.
            pub(crate) const KINDS: usize = ALL.len() + 1;
        }
    };
    (@compact $c:literal) => { Some($c) };
    (@compact) => { None };
}

header_names! {
    Accept = "Accept";
    AcceptContact = "Accept-Contact", b'a';
    Allow = "Allow";
    AllowEvents = "Allow-Events", b'u';
    CallId = "Call-ID", b'i';
    Contact = "Contact", b'm';
    ContentEncoding = "Content-Encoding", b'e';
    ContentLength = "Content-Length", b'l';
    ContentType = "Content-Type", b'c';
    CSeq = "CSeq";
    Date = "Date";
    Event = "Event", b'o';
    Expires = "Expires";
    From = "From", b'f';
    Identity = "Identity", b'y';
    MaxForwards = "Max-Forwards";
    ProxyRequire = "Proxy-Require";
    RecordRoute = "Record-Route";
    ReferTo = "Refer-To", b'r';
    ReferredBy = "Referred-By", b'b';
    RejectContact = "Reject-Contact", b'j';
    RequestDisposition = "Request-Disposition", b'd';
    Require = "Require";
    RetryAfter = "Retry-After";
    Route = "Route";
    Server = "Server";
    SessionExpires = "Session-Expires", b'x';
    Subject = "Subject", b's';
    Supported = "Supported", b'k';
    To = "To", b't';
    Unsupported = "Unsupported";
    UserAgent = "User-Agent";
    Via = "Via", b'v';
}

/// Longest full name plus one (Request-Disposition has 19 letters).
const MAX_LEN: usize = 20;

/// Compact form letter -> 1 + index into `NAMES` (0: none).
const COMPACT: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < NAMES.len() {
        if let Some(c) = NAMES[i].1 {
            t[c as usize] = i as u8 + 1;
        }
        i += 1;
    }
    t
};

/// (length, first letter) -> up to two candidates, as 1 + index into `NAMES` (0: none).
/// No length and letter is shared by more than two names (Call-ID/Contact, Referred-By/Retry-After).
/// Indexed by five bits of each (see [`slot`]): a non-letter may land on a letter's slot,
/// and the comparison that follows refuses it.
const BY_LEN_AND_LETTER: [[u8; 2]; 32 * 32] = {
    let mut t = [[0u8; 2]; 32 * 32];
    let mut i = 0;
    while i < NAMES.len() {
        let name = NAMES[i].0.as_bytes();
        let at = slot(name[0], name.len());
        if t[at][0] == 0 {
            t[at][0] = i as u8 + 1;
        } else {
            t[at][1] = i as u8 + 1;
        }
        i += 1;
    }
    t
};

/// The table slot of a name of `len` bytes (below 32) starting with `first`.
#[inline]
const fn slot(first: u8, len: usize) -> usize {
    (len & 31) << 5 | ((first | 0x20) & 31) as usize
}

/// A known name of up to 16 bytes as two little-endian words of its lower-case spelling,
/// and the bits OR-ing folds into them: 0x20 on its letters only, so `-` must match
/// exactly (CR would fold onto it). Longer names are never compared as words.
const WORDS: [([u64; 2], [u64; 2]); ALL.len()] = {
    let mut t = [([0u64; 2], [0u64; 2]); ALL.len()];
    let mut i = 0;
    while i < NAMES.len() {
        let name = NAMES[i].0.as_bytes();
        let mut j = 0;
        while j < name.len() && name.len() <= 16 {
            let fold = if name[j].is_ascii_alphabetic() { 0x20 } else { 0 };
            t[i].0[j / 8] |= (name[j].to_ascii_lowercase() as u64) << (8 * (j % 8));
            t[i].1[j / 8] |= fold << (8 * (j % 8));
            j += 1;
        }
        i += 1;
    }
    t
};

/// Whether the `len` bytes (2 to 15) at the start of the words `w` are the known name
/// `NAMES[i]` in any case. Letters fold onto letters only, so a match is made of token bytes.
#[inline]
fn words_are(i: usize, w: [u64; 2], len: usize) -> bool {
    let (lower, fold) = WORDS[i];
    let low_bytes = |n: usize| u64::MAX >> (64 - 8 * n);
    match len {
        ..=8 => (w[0] | fold[0]) & low_bytes(len) == lower[0],
        _ => (w[0] | fold[0]) == lower[0] && (w[1] | fold[1]) & low_bytes(len - 8) == lower[1],
    }
}

/// The eight bytes of `window` from `at` as a little-endian word, when there are eight.
#[inline]
fn word_at(window: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(window.get(at..at + 8)?.try_into().ok()?))
}

/// Position of the first byte equal to `b` in `word`.
#[inline]
fn find_byte(word: u64, b: u8) -> Option<usize> {
    let hits = zero_bytes(word ^ splat(b));
    (hits != 0).then(|| hits.trailing_zeros() as usize / 8)
}

/// Candidates for a name of `len` bytes starting with `first`, as indexes into `NAMES`.
#[inline]
fn candidates(first: u8, len: usize) -> impl Iterator<Item = usize> {
    let slot = match len {
        2..MAX_LEN => BY_LEN_AND_LETTER[slot(first, len)],
        _ => [0, 0],
    };
    slot.into_iter().map_while(|i| (i as usize).checked_sub(1))
}

impl HeaderName {
    /// Classifies a raw header name. Runs once per header line while indexing: one table
    /// lookup by length and first letter, then one case-insensitive comparison.
    pub fn classify(name: &[u8]) -> HeaderName {
        let (Some(&first), len) = (name.first(), name.len()) else { return HeaderName::Other };
        if len == 1 {
            return HeaderName::compact(first);
        }
        // OR-ing 0x20 folds case; in a token only CR (none) could fold onto `-`.
        let eq = |i: usize| NAMES[i].0.as_bytes().iter().zip(name).all(|(x, y)| x | 0x20 == y | 0x20);
        candidates(first, len).find(|&i| eq(i)).map_or(HeaderName::Other, |i| ALL[i])
    }

    /// The fast path of indexing: when a header line (`window`, the message from the line
    /// on) starts with a known name written right before its colon, that kind and the
    /// name's length. `None` sends the line to the general scan.
    #[inline]
    pub(super) fn known_at(window: &[u8]) -> Option<(HeaderName, usize)> {
        let w0 = word_at(window, 0)?;
        let (len, w1) = match find_byte(w0, b':') {
            Some(len) => (len, 0),
            None => {
                let w1 = word_at(window, 8)?;
                (8 + find_byte(w1, b':')?, w1)
            }
        };
        let first = window[0];
        if len == 1 {
            return Some((HeaderName::compact(first), 1)).filter(|_| is_token_byte(first));
        }
        candidates(first, len).find(|&i| words_are(i, [w0, w1], len)).map(|i| (ALL[i], len))
    }

    /// The header whose compact form (RFC 3261 7.3.3) is the letter `c`.
    fn compact(c: u8) -> HeaderName {
        match COMPACT[c.to_ascii_lowercase() as usize] {
            0 => HeaderName::Other,
            i => ALL[i as usize - 1],
        }
    }

    /// The canonical spelling, as written into messages we build.
    pub fn as_str(self) -> &'static str {
        match self {
            HeaderName::Other => "",
            known => NAMES[known as usize].0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::HeaderName::{self, *};

    #[test]
    fn full_and_compact_forms_in_any_case() {
        assert_eq!(HeaderName::classify(b"call-id"), CallId);
        assert_eq!(HeaderName::classify(b"CALL-ID"), CallId);
        assert_eq!(HeaderName::classify(b"i"), CallId);
        assert_eq!(HeaderName::classify(b"V"), Via);
        assert_eq!(HeaderName::classify(b"cseq"), CSeq);
        assert_eq!(HeaderName::classify(b"l"), ContentLength);
        assert_eq!(HeaderName::classify(b"X-Custom"), Other);
        assert_eq!(HeaderName::classify(b"q"), Other);
        assert_eq!(HeaderName::classify(b"contact"), Contact);
        assert_eq!(HeaderName::classify(b"Retry-After"), RetryAfter);
        assert_eq!(HeaderName::classify(b"Referred-By"), ReferredBy);
        assert_eq!(HeaderName::classify(b"X-Very-Long-Extension-Header-Name"), Other);
        assert_eq!(HeaderName::classify(b"!x"), Other);
        assert_eq!(HeaderName::classify(b""), Other);
    }

    #[test]
    fn table_order_matches_enum() {
        for (i, (name, _)) in super::NAMES.iter().enumerate() {
            assert_eq!(super::ALL[i] as usize, i);
            assert_eq!(HeaderName::classify(name.as_bytes()), super::ALL[i]);
        }
    }
}
