//! Header field names: case-insensitive, with the compact forms of RFC 3261 7.3.3 and
//! the IANA "SIP Parameters" registry.

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
    SessionExpires = "Session-Expires", b'x';
    Subject = "Subject", b's';
    Supported = "Supported", b'k';
    To = "To", b't';
    Unsupported = "Unsupported";
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
const BY_LEN_AND_LETTER: [[u8; 2]; MAX_LEN * 26] = {
    let mut t = [[0u8; 2]; MAX_LEN * 26];
    let mut i = 0;
    while i < NAMES.len() {
        let name = NAMES[i].0.as_bytes();
        let slot = name.len() * 26 + (name[0].to_ascii_lowercase() - b'a') as usize;
        if t[slot][0] == 0 {
            t[slot][0] = i as u8 + 1;
        } else {
            t[slot][1] = i as u8 + 1;
        }
        i += 1;
    }
    t
};

/// Case-insensitive equality of a known name (letters and `-`) and a token: OR-ing 0x20
/// folds case, and no token byte other than the letter itself folds onto a letter or onto
/// `-` (only CR, which is no token byte, would).
#[inline]
fn folded_eq(known: &[u8], token: &[u8]) -> bool {
    known.len() == token.len() && known.iter().zip(token).all(|(x, y)| x | 0x20 == y | 0x20)
}

impl HeaderName {
    /// Classifies a raw header name. Runs once per header line while indexing: one table
    /// lookup by length and first letter, then one case-insensitive comparison.
    pub fn classify(name: &[u8]) -> HeaderName {
        let (Some(&first), len) = (name.first(), name.len()) else { return HeaderName::Other };
        if len == 1 {
            return match COMPACT[first.to_ascii_lowercase() as usize] {
                0 => HeaderName::Other,
                i => ALL[i as usize - 1],
            };
        }
        let letter = first.to_ascii_lowercase().wrapping_sub(b'a');
        if len >= MAX_LEN || letter >= 26 {
            return HeaderName::Other;
        }
        for &i in &BY_LEN_AND_LETTER[len * 26 + letter as usize] {
            let Some(&(full, _)) = (i as usize).checked_sub(1).and_then(|i| NAMES.get(i)) else { continue };
            if folded_eq(full.as_bytes(), name) {
                return ALL[i as usize - 1];
            }
        }
        HeaderName::Other
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
