//! SIP methods. Method names are case-sensitive (RFC 3261 7.1), so `invite` is an
//! extension method, not INVITE.

/// A request method. Unknown methods are `Other`; their spelling stays in the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Options,
    Register,
    Prack,
    Subscribe,
    Notify,
    Publish,
    Info,
    Refer,
    Message,
    Update,
    Other,
}

const KNOWN: [(Method, &[u8]); 14] = [
    (Method::Invite, b"INVITE"),
    (Method::Ack, b"ACK"),
    (Method::Bye, b"BYE"),
    (Method::Cancel, b"CANCEL"),
    (Method::Options, b"OPTIONS"),
    (Method::Register, b"REGISTER"),
    (Method::Prack, b"PRACK"),
    (Method::Subscribe, b"SUBSCRIBE"),
    (Method::Notify, b"NOTIFY"),
    (Method::Publish, b"PUBLISH"),
    (Method::Info, b"INFO"),
    (Method::Refer, b"REFER"),
    (Method::Message, b"MESSAGE"),
    (Method::Update, b"UPDATE"),
];

impl Method {
    /// Classifies a method token (exact, case-sensitive match).
    pub fn from_bytes(s: &[u8]) -> Method {
        match s {
            b"INVITE" => Method::Invite,
            b"ACK" => Method::Ack,
            b"BYE" => Method::Bye,
            b"CANCEL" => Method::Cancel,
            b"OPTIONS" => Method::Options,
            b"REGISTER" => Method::Register,
            b"PRACK" => Method::Prack,
            b"SUBSCRIBE" => Method::Subscribe,
            b"NOTIFY" => Method::Notify,
            b"PUBLISH" => Method::Publish,
            b"INFO" => Method::Info,
            b"REFER" => Method::Refer,
            b"MESSAGE" => Method::Message,
            b"UPDATE" => Method::Update,
            _ => Method::Other,
        }
    }

    /// The method's name; empty for `Other`, whose name lives in the message.
    pub fn as_bytes(self) -> &'static [u8] {
        KNOWN.iter().find(|(m, _)| *m == self).map_or(b"", |(_, name)| name)
    }
}

#[cfg(test)]
mod tests {
    use super::Method;

    #[test]
    fn methods_are_case_sensitive() {
        assert_eq!(Method::from_bytes(b"INVITE"), Method::Invite);
        assert_eq!(Method::from_bytes(b"invite"), Method::Other);
        assert_eq!(Method::Bye.as_bytes(), b"BYE");
        assert_eq!(Method::Other.as_bytes(), b"");
    }
}
