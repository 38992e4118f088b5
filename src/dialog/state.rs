//! One dialog (RFC 3261 12): identifiers, route set, remote target and sequence numbers.

use std::net::SocketAddr;

use super::strings::{DialogStrings, Field};
use crate::sip::{check_request_uri, parse_request_uri, HeaderName, Message, Method, NameAddr};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a provisional response with a To tag (12.1).
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
}

/// Why an in-dialog request is refused (RFC 3261 12.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogReject {
    /// CSeq lower than the last one seen: 500.
    CSeqOutOfOrder,
}

#[derive(Clone, Debug)]
pub struct Dialog {
    strings: DialogStrings,
    pub state: DialogState,
    /// CSeq of the last request we sent in this dialog.
    pub local_cseq: u32,
    /// CSeq of the last request the peer sent, once it sent one.
    pub remote_cseq: Option<u32>,
    /// Where requests in this dialog go (first route or remote target, else the peer's
    /// address as seen).
    pub next_hop: SocketAddr,
}

/// Whether we can send requests to `uri`: it must do as our Request-URI (a strict route
/// becomes one), or what we write would not parse at the other end.
fn sendable(uri: &[u8]) -> bool {
    check_request_uri(uri).is_ok()
}

/// The remote target (RFC 3261 12.1.1, 12.1.2): the Contact's URI, or, when a peer that
/// breaks 8.1.1.8 sends none or one we cannot send to, the address the message came from
/// (where the dialog's requests would have gone anyway), written into `fallback`. With it,
/// the address it names, which is the next hop when there is no route set: the check parsed
/// the URI already, and parsing it again was a sixtieth of a call.
fn target<'a>(msg: &'a Message, source: SocketAddr, fallback: &'a mut String) -> (&'a [u8], SocketAddr) {
    let contact = msg.contacts().next().flatten().map(|c| c.uri);
    match contact.map(|uri| (uri, parse_request_uri(uri))) {
        Some((uri, Ok(parsed))) => (uri, super::route::address_of(parsed, source)),
        _ => {
            *fallback = format!("sip:{source}");
            (fallback.as_bytes(), source)
        }
    }
}

/// The `<...>` content of each Record-Route value we can send to, joined in the given order.
fn route_set<'a>(routes: impl Iterator<Item = Option<NameAddr<'a>>>) -> Vec<u8> {
    let mut joined = Vec::new();
    for uri in routes.flatten().map(|r| r.uri).filter(|u| sendable(u)) {
        if !joined.is_empty() {
            joined.extend_from_slice(b", ");
        }
        joined.push(b'<');
        joined.extend_from_slice(uri);
        joined.push(b'>');
    }
    joined
}

impl Dialog {
    /// The UAS dialog for an INVITE we answer with a tag of ours (RFC 3261 12.1.1).
    pub fn uas(invite: &Message, local_tag: &[u8], source: SocketAddr) -> Option<Dialog> {
        let from = invite.from().ok()?;
        let mut fallback = String::new();
        let (target, target_hop) = target(invite, source, &mut fallback);
        let routes = route_set(invite.record_routes());
        // An RFC 2543 caller may send no From tag: the remote tag is then empty (12.1.1).
        let remote_tag = from.tag().unwrap_or_default();
        let values = [invite.call_id().ok()?, local_tag, remote_tag, invite.to().ok()?.uri, from.uri, target, &routes];
        let strings = DialogStrings::new(values)?;
        let next_hop = if routes.is_empty() { target_hop } else { super::route::next_hop(&strings, source) };
        let remote_cseq = invite.cseq().ok().map(|c| c.seq);
        Some(Dialog { strings, state: DialogState::Early, local_cseq: 0, remote_cseq, next_hop })
    }

    /// The UAC dialog a response with a To tag creates (RFC 3261 12.1.2): the route set is
    /// the Record-Route in reverse. Everything else comes from the response too: its From,
    /// Call-ID and CSeq are the INVITE's (8.2.6.2, and the transaction matched our branch),
    /// so a client INVITE transaction need not keep its request for the 32 s of Timer M to
    /// let a late fork's 2xx make its dialog.
    pub fn uac(response: &Message, source: SocketAddr) -> Option<Dialog> {
        let to = response.to().ok()?;
        let mut fallback = String::new();
        let (target, target_hop) = target(response, source, &mut fallback);
        let mut rr: Vec<_> = response.record_routes().collect();
        rr.reverse();
        let routes = route_set(rr.into_iter());
        let from = response.from().ok()?;
        let values = [response.call_id().ok()?, from.tag()?, to.tag()?, from.uri, to.uri, target, &routes];
        let strings = DialogStrings::new(values)?;
        let next_hop = if routes.is_empty() { target_hop } else { super::route::next_hop(&strings, source) };
        let state = if response.status()? < 200 { DialogState::Early } else { DialogState::Confirmed };
        Some(Dialog { strings, state, local_cseq: response.cseq().ok()?.seq, remote_cseq: None, next_hop })
    }

    pub fn get(&self, field: Field) -> &[u8] {
        self.strings.get(field)
    }

    pub fn call_id(&self) -> &[u8] {
        self.get(Field::CallId)
    }

    pub fn remote_tag(&self) -> &[u8] {
        self.get(Field::RemoteTag)
    }

    /// Checks and records the CSeq of a request from the peer (12.2.2). ACK and CANCEL carry
    /// the CSeq of the request they belong to and are not checked.
    pub fn on_remote_request(&mut self, req: &Message) -> Result<(), DialogReject> {
        let Ok(cseq) = req.cseq() else { return Ok(()) };
        if matches!(cseq.method, Method::Ack | Method::Cancel) {
            return Ok(());
        }
        if self.remote_cseq.is_some_and(|last| cseq.seq < last) {
            return Err(DialogReject::CSeqOutOfOrder);
        }
        self.remote_cseq = Some(cseq.seq);
        Ok(())
    }

    /// A target refresh (re-INVITE, UPDATE, or their 2xx) replaces the remote target (12.2).
    pub fn refresh_target(&mut self, msg: &Message) {
        let Some(contact) = msg.contacts().next().flatten().filter(|c| sendable(c.uri)) else { return };
        if contact.uri != self.get(Field::RemoteTarget) {
            if let Some(s) = self.strings.with(Field::RemoteTarget, contact.uri) {
                self.strings = s;
            }
        }
    }

    /// The next CSeq for a request we send.
    pub fn next_cseq(&mut self) -> u32 {
        self.local_cseq = self.local_cseq.wrapping_add(1).max(1);
        self.local_cseq
    }

    /// Heap bytes held by this dialog.
    pub fn heap_bytes(&self) -> usize {
        self.strings.heap_bytes()
    }

    /// True when the message's Call-ID is this dialog's (a tag alone could be guessed).
    pub fn owns(&self, msg: &Message) -> bool {
        msg.header(HeaderName::CallId) == Some(self.call_id())
    }
}
