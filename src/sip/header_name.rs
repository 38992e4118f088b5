//! Header field names: case-insensitive, with the compact forms of RFC 3261 7.3.3 and
//! the IANA "SIP Parameters" registry.

/// A header the stack reads or writes itself. Anything else is `Other` and is still kept,
/// byte for byte, in the message index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum HeaderName {
    Accept,
    AcceptContact,
    Allow,
    AllowEvents,
    CallId,
    Contact,
    ContentEncoding,
    ContentLength,
    ContentType,
    CSeq,
    Date,
    Event,
    Expires,
    From,
    Identity,
    MaxForwards,
    ProxyRequire,
    RecordRoute,
    ReferTo,
    ReferredBy,
    RejectContact,
    RequestDisposition,
    Require,
    RetryAfter,
    Route,
    SessionExpires,
    Subject,
    Supported,
    To,
    Unsupported,
    Via,
    Other,
}

/// Canonical spelling and compact form of each known header, in enum order.
const NAMES: [(&str, Option<u8>); 31] = [
    ("Accept", None),
    ("Accept-Contact", Some(b'a')),
    ("Allow", None),
    ("Allow-Events", Some(b'u')),
    ("Call-ID", Some(b'i')),
    ("Contact", Some(b'm')),
    ("Content-Encoding", Some(b'e')),
    ("Content-Length", Some(b'l')),
    ("Content-Type", Some(b'c')),
    ("CSeq", None),
    ("Date", None),
    ("Event", Some(b'o')),
    ("Expires", None),
    ("From", Some(b'f')),
    ("Identity", Some(b'y')),
    ("Max-Forwards", None),
    ("Proxy-Require", None),
    ("Record-Route", None),
    ("Refer-To", Some(b'r')),
    ("Referred-By", Some(b'b')),
    ("Reject-Contact", Some(b'j')),
    ("Request-Disposition", Some(b'd')),
    ("Require", None),
    ("Retry-After", None),
    ("Route", None),
    ("Session-Expires", Some(b'x')),
    ("Subject", Some(b's')),
    ("Supported", Some(b'k')),
    ("To", Some(b't')),
    ("Unsupported", None),
    ("Via", Some(b'v')),
];

const ALL: [HeaderName; 31] = {
    use HeaderName::*;
    [
        Accept,
        AcceptContact,
        Allow,
        AllowEvents,
        CallId,
        Contact,
        ContentEncoding,
        ContentLength,
        ContentType,
        CSeq,
        Date,
        Event,
        Expires,
        From,
        Identity,
        MaxForwards,
        ProxyRequire,
        RecordRoute,
        ReferTo,
        ReferredBy,
        RejectContact,
        RequestDisposition,
        Require,
        RetryAfter,
        Route,
        SessionExpires,
        Subject,
        Supported,
        To,
        Unsupported,
        Via,
    ]
};

impl HeaderName {
    /// Classifies a raw header name. Runs once per header line while indexing, so it
    /// compares against the handful of names of the same length only.
    pub fn classify(name: &[u8]) -> HeaderName {
        if let [c] = name {
            let c = c.to_ascii_lowercase();
            return NAMES.iter().position(|(_, compact)| *compact == Some(c)).map_or(HeaderName::Other, |i| ALL[i]);
        }
        NAMES
            .iter()
            .position(|(full, _)| full.len() == name.len() && full.as_bytes().eq_ignore_ascii_case(name))
            .map_or(HeaderName::Other, |i| ALL[i])
    }

    /// The canonical spelling, as written into messages we build.
    pub fn as_str(self) -> &'static str {
        match self {
            HeaderName::Other => "",
            known => NAMES[known as usize].0,
        }
    }

    /// Headers whose value is a comma-separated list (RFC 3261 7.3.1), which
    /// [`crate::sip::Message::values`] splits into elements.
    pub fn is_list(self) -> bool {
        use HeaderName::*;
        matches!(
            self,
            Accept
                | Allow
                | AllowEvents
                | Contact
                | ContentEncoding
                | ProxyRequire
                | RecordRoute
                | Require
                | Route
                | Supported
                | Unsupported
                | Via
        )
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
    }

    #[test]
    fn table_order_matches_enum() {
        for (i, (name, _)) in super::NAMES.iter().enumerate() {
            assert_eq!(super::ALL[i] as usize, i);
            assert_eq!(HeaderName::classify(name.as_bytes()), super::ALL[i]);
        }
    }
}
