//! Transaction matching keys (RFC 3261 17.1.3 and 17.2.3), packed into one byte string.
//!
//! A lookup packs the key of a message on the stack ([`KeyBuf`]); a transaction keeps a copy
//! ([`TxKey`]), inline in the transaction when it is short (SIPp's keys are 44 bytes). A key
//! made of `Bytes` slices of the request would keep the whole datagram alive, and in the
//! runtime a datagram is a slice of a 256 KiB receive buffer shared with many others: one
//! transaction lingering for 64*T1 would hold all of it.
//!
//! Layout: a kind byte, then each part as a 2-byte big-endian length and its bytes. The first
//! part, the id (the branch, or an RFC 2543 request's matching fields), is unique by
//! construction and alone is hashed; equality compares the whole string.

use smallvec::SmallVec;

use crate::sip::{HeaderName, Message, Method};

/// Server transaction, branch with the magic cookie: branch, sent-by and method (17.2.3).
const SERVER_RFC3261: u8 = 1;
/// Server transaction of an RFC 2543 peer: Request-URI, From tag, Call-ID, CSeq number and
/// top Via, then method (the To tag is left out, so an ACK matches its INVITE too).
const SERVER_RFC2543: u8 = 2;
/// Client transaction: our branch and the CSeq method (17.1.3).
const CLIENT: u8 = 3;

/// A key packed from a message, for lookups: on the stack unless it is unusually long.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyBuf(SmallVec<[u8; KEY_ON_STACK]>);

/// Bytes of key a lookup packs on the stack.
const KEY_ON_STACK: usize = 128;

/// Bytes of key a transaction holds inline: 64 bytes with the length, 48 more than the boxed
/// slice it replaced and no larger than the allocation that slice needed for a 44-byte key
/// (and one allocation per transaction fewer). Longer keys go to the heap.
const INLINE_KEY: usize = 56;

/// The key a transaction keeps: owned, inline up to [`INLINE_KEY`] bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxKey(SmallVec<[u8; INLINE_KEY]>);

/// The id (first part) of a packed key.
fn id_of(packed: &[u8]) -> &[u8] {
    parts(packed).next().unwrap_or_default()
}

fn parts(packed: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = packed.get(1..).unwrap_or_default();
    std::iter::from_fn(move || {
        let (len, tail) = rest.split_first_chunk::<2>()?;
        let (part, tail) = tail.split_at_checked(usize::from(u16::from_be_bytes(*len)))?;
        rest = tail;
        Some(part)
    })
}

impl KeyBuf {
    /// Packs `parts` under `kind`; `None` if a part is longer than 65 535 bytes.
    /// A key that fits is written into a plain array, one copy per part: `SmallVec`'s
    /// `extend_from_slice` made two `memcpy` calls per piece, a length being one.
    fn pack(kind: u8, parts: &[&[u8]]) -> Option<KeyBuf> {
        let total = 1 + parts.iter().map(|p| 2 + p.len()).sum::<usize>();
        if total > KEY_ON_STACK {
            let mut buf = SmallVec::new();
            buf.push(kind);
            for part in parts {
                put(&mut buf, part)?;
            }
            return Some(KeyBuf(buf));
        }
        let mut bytes = [0u8; KEY_ON_STACK];
        bytes[0] = kind;
        let mut at = 1;
        for part in parts {
            bytes[at..at + 2].copy_from_slice(&(part.len() as u16).to_be_bytes());
            bytes[at + 2..at + 2 + part.len()].copy_from_slice(part);
            at += 2 + part.len();
        }
        Some(KeyBuf(SmallVec::from_buf_and_len(bytes, total)))
    }

    /// The server transaction key of a request; `None` when its top Via cannot be read.
    pub fn server(msg: &Message) -> Option<KeyBuf> {
        let via = msg.top_via().ok()?;
        let method = match_method(msg);
        match via.branch() {
            Some(branch) if via.has_rfc3261_branch() => KeyBuf::pack(SERVER_RFC3261, &[branch, via.sent_by, method]),
            _ => {
                let top_via = msg.values(HeaderName::Via).next().unwrap_or_default();
                let from_tag = msg.from().ok().and_then(|f| f.tag()).unwrap_or_default();
                let cseq = msg.cseq().ok()?.seq.to_be_bytes();
                let mut id = SmallVec::new();
                for field in [msg.request_uri(), from_tag, msg.call_id().ok()?, &cseq[..], top_via] {
                    put(&mut id, field)?;
                }
                KeyBuf::pack(SERVER_RFC2543, &[&id[..], method])
            }
        }
    }

    /// The client transaction key a message carries: top Via branch and CSeq method. Works
    /// for the requests we send and for the responses that come back.
    pub fn client(msg: &Message) -> Option<KeyBuf> {
        let branch = msg.top_via().ok()?.branch()?;
        KeyBuf::pack(CLIENT, &[branch, msg.cseq().ok()?.method_bytes])
    }

    /// The key of the INVITE transaction a CANCEL (whose key is `cancel`) cancels: the same
    /// key with method INVITE (RFC 3261 9.2).
    pub fn invite_of_cancel(cancel: &TxKey) -> Option<KeyBuf> {
        let mut parts: SmallVec<[&[u8]; 3]> = parts(&cancel.0).collect();
        *parts.last_mut()? = b"INVITE";
        KeyBuf::pack(*cancel.0.first()?, &parts)
    }

    pub fn id(&self) -> &[u8] {
        id_of(&self.0)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The key to keep in a transaction.
    pub fn to_key(&self) -> TxKey {
        TxKey(SmallVec::from_slice(&self.0))
    }
}

impl TxKey {
    pub fn id(&self) -> &[u8] {
        id_of(&self.0)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Appends one length-prefixed part; `None` if it is longer than 65 535 bytes.
fn put(buf: &mut SmallVec<[u8; KEY_ON_STACK]>, part: &[u8]) -> Option<()> {
    buf.extend_from_slice(&u16::try_from(part.len()).ok()?.to_be_bytes());
    buf.extend_from_slice(part);
    Some(())
}

/// The method a request is matched under: an ACK belongs to its INVITE's transaction.
fn match_method(msg: &Message) -> &[u8] {
    match msg.method() {
        Some(Method::Invite | Method::Ack) => b"INVITE",
        _ => msg.method_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(start: &str, via_branch: &str, cseq: &str, to_tag: &str) -> Message {
        let text = format!(
            "{start}\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch={via_branch}\r\nMax-Forwards: 70\r\n\
             From: <sip:a@x>;tag=f1\r\nTo: <sip:b@y>{to_tag}\r\nCall-ID: c1@x\r\nCSeq: {cseq}\r\n\
             Content-Length: 0\r\n\r\n"
        );
        Message::parse(bytes::Bytes::from(text)).unwrap()
    }

    #[test]
    fn an_ack_and_a_cancel_find_their_invite() {
        let invite = KeyBuf::server(&msg("INVITE sip:b@y SIP/2.0", "z9hG4bK1", "1 INVITE", "")).unwrap();
        let ack = KeyBuf::server(&msg("ACK sip:b@y SIP/2.0", "z9hG4bK1", "1 ACK", ";tag=t")).unwrap();
        let cancel = KeyBuf::server(&msg("CANCEL sip:b@y SIP/2.0", "z9hG4bK1", "1 CANCEL", "")).unwrap();
        assert_eq!(ack, invite);
        assert_ne!(cancel, invite);
        assert_eq!(cancel.id(), b"z9hG4bK1");
        assert_eq!(KeyBuf::invite_of_cancel(&cancel.to_key()), Some(invite.clone()));
        assert_eq!(invite.to_key().as_bytes(), invite.as_bytes());
        let other = KeyBuf::server(&msg("INVITE sip:b@y SIP/2.0", "z9hG4bK2", "1 INVITE", "")).unwrap();
        assert_ne!(other, invite);
    }

    #[test]
    fn rfc_2543_keys_leave_the_to_tag_out() {
        let invite = KeyBuf::server(&msg("INVITE sip:b@y SIP/2.0", "old1", "7 INVITE", "")).unwrap();
        let ack = KeyBuf::server(&msg("ACK sip:b@y SIP/2.0", "old1", "7 ACK", ";tag=t")).unwrap();
        let cancel = KeyBuf::server(&msg("CANCEL sip:b@y SIP/2.0", "old1", "7 CANCEL", "")).unwrap();
        assert_eq!(ack, invite);
        assert_eq!(KeyBuf::invite_of_cancel(&cancel.to_key()), Some(invite.clone()));
        let later = KeyBuf::server(&msg("INVITE sip:b@y SIP/2.0", "old1", "8 INVITE", "")).unwrap();
        assert_ne!(later, invite);
    }

    #[test]
    fn a_response_finds_its_client_transaction_by_branch_and_method() {
        let sent = KeyBuf::client(&msg("BYE sip:b@y SIP/2.0", "z9hG4bKc", "2 BYE", ";tag=t")).unwrap();
        let ok = KeyBuf::client(&msg("SIP/2.0 200 OK", "z9hG4bKc", "2 BYE", ";tag=t")).unwrap();
        let other = KeyBuf::client(&msg("SIP/2.0 200 OK", "z9hG4bKc", "2 INVITE", ";tag=t")).unwrap();
        assert_eq!(ok, sent);
        assert_ne!(other, sent);
        let server = KeyBuf::server(&msg("BYE sip:b@y SIP/2.0", "z9hG4bKc", "2 BYE", ";tag=t")).unwrap();
        assert_ne!(server.as_bytes(), sent.as_bytes(), "the kind byte keeps the tables apart");
    }
}
