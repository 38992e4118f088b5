//! Transaction matching keys (RFC 3261 17.1.3 and 17.2.3). Keys hold `Bytes` slices of the
//! request, so building one copies nothing.

use bytes::Bytes;

use crate::sip::{HeaderName, Message, Method};

/// Identifies a server transaction from a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerKey {
    /// Branch with the magic cookie: branch, sent-by and method decide (17.2.3).
    Rfc3261 { branch: Bytes, sent_by: Bytes, method: Bytes },
    /// RFC 2543 peers: Request-URI, From tag, Call-ID, CSeq number and top Via, copied into
    /// one buffer (the To tag is left out, so an ACK matches its INVITE too).
    Rfc2543 { fields: Bytes, method: Bytes },
}

/// Hashes the branch (or the RFC 2543 fields) alone: it is unique by construction, so hashing
/// sent-by and method too would only cost time on every lookup and every table growth.
impl std::hash::Hash for ServerKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            ServerKey::Rfc3261 { branch, .. } => branch.hash(state),
            ServerKey::Rfc2543 { fields, .. } => fields.hash(state),
        }
    }
}

/// The method a request is matched under: an ACK belongs to its INVITE's transaction.
fn match_method(msg: &Message) -> Bytes {
    match msg.method() {
        Some(Method::Invite | Method::Ack) => Bytes::from_static(b"INVITE"),
        _ => msg.bytes().slice_ref(msg.method_bytes()),
    }
}

impl ServerKey {
    /// The key of a request; `None` when its top Via cannot be read.
    pub fn of(msg: &Message) -> Option<ServerKey> {
        let via = msg.top_via().ok()?;
        let bytes = msg.bytes();
        let method = match_method(msg);
        match via.branch() {
            Some(branch) if via.has_rfc3261_branch() => Some(ServerKey::Rfc3261 {
                branch: bytes.slice_ref(branch),
                sent_by: bytes.slice_ref(via.sent_by),
                method,
            }),
            _ => {
                let mut fields = Vec::with_capacity(128);
                let top_via = msg.values(HeaderName::Via).next().unwrap_or_default();
                let from_tag = msg.from().ok().and_then(|f| f.tag()).unwrap_or_default();
                let cseq = msg.cseq().ok()?.seq.to_be_bytes();
                for part in [msg.request_uri(), from_tag, msg.call_id().ok()?, &cseq[..], top_via] {
                    fields.extend_from_slice(&(part.len() as u32).to_be_bytes());
                    fields.extend_from_slice(part);
                }
                Some(ServerKey::Rfc2543 { fields: fields.into(), method })
            }
        }
    }

    /// The key of the INVITE transaction a CANCEL cancels: same key, method INVITE (9.2).
    pub fn invite_of_cancel(&self) -> ServerKey {
        let invite = Bytes::from_static(b"INVITE");
        match self {
            ServerKey::Rfc3261 { branch, sent_by, .. } => {
                ServerKey::Rfc3261 { branch: branch.clone(), sent_by: sent_by.clone(), method: invite }
            }
            ServerKey::Rfc2543 { fields, .. } => ServerKey::Rfc2543 { fields: fields.clone(), method: invite },
        }
    }
}

/// Identifies a client transaction: our branch and the CSeq method (17.1.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientKey {
    pub branch: Bytes,
    pub method: Bytes,
}

impl ClientKey {
    /// The key a message carries: top Via branch and CSeq method. Works for the requests we
    /// send and for the responses that come back.
    pub fn of(msg: &Message) -> Option<ClientKey> {
        let branch = msg.top_via().ok()?.branch()?;
        let cseq = msg.cseq().ok()?;
        Some(ClientKey { branch: msg.bytes().slice_ref(branch), method: msg.bytes().slice_ref(cseq.method_bytes) })
    }
}

/// Our branches are unique: the branch alone is the hash (the method still takes part in `Eq`).
impl std::hash::Hash for ClientKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.branch.hash(state);
    }
}
