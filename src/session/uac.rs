//! Placing calls (RFC 3261 13.2): the INVITE, CANCEL before an answer (9.1), and what the
//! responses do to the call.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::BytesMut;

use super::call::{Call, CallState, Role};
use super::endpoint::Endpoint;
use super::events::{CallEvent, CallId, EndReason, Output};
use super::uas::CallError;
use crate::sdp::Direction;
use crate::sip::write::{DialogRequest, Party};
use crate::sip::Message;
use crate::transaction::{ClientTxId, TxError};

/// The CSeq of every INVITE we place (the dialog counts up from it).
pub const INITIAL_CSEQ: u32 = 1;

/// A call to place.
#[derive(Clone, Copy, Debug)]
pub struct PlaceCall<'a> {
    /// Request-URI, e.g. `sip:bob@127.0.0.1:5070`.
    pub request_uri: &'a [u8],
    /// To URI (often the Request-URI).
    pub to: &'a [u8],
    /// From URI; `None`: our Contact URI (`sip:<user>@<our address>`).
    pub from: Option<&'a [u8]>,
    /// Where to send the INVITE.
    pub peer: SocketAddr,
    /// Send the INVITE without SDP: our offer then goes in the ACK (late offer).
    pub late_offer: bool,
}

impl<'a> PlaceCall<'a> {
    /// A call to `uri` sent to `peer`: To is the URI, From our Contact, SDP in the INVITE.
    pub fn new(uri: &'a [u8], peer: SocketAddr) -> PlaceCall<'a> {
        PlaceCall { request_uri: uri, to: uri, from: None, peer, late_offer: false }
    }
}

impl Endpoint {
    /// Sends an INVITE; the call's events follow as responses arrive.
    pub fn place_call(&mut self, p: PlaceCall<'_>, now: Instant) -> Result<CallId, CallError> {
        let port = match self.calls.len() < self.cfg.max_calls {
            true => self.ports.take().ok_or(CallError::Busy)?,
            false => return Err(CallError::Busy),
        };
        let local = self.local_for(p.peer);
        let mut sdp = self.new_sdp_session(port, local);
        let mut body = BytesMut::new();
        if !p.late_offer {
            sdp.offer(Direction::SendRecv).map_err(|_| CallError::Build)?;
            sdp.write_local(&mut body);
        }
        let h = self.calls.insert(Box::new(Call::new(Role::Uac, sdp, port, (p.peer, local))));
        let tag = self.tags.encode(h);
        let mut ids = BytesMut::with_capacity(96);
        self.ids.put_branch(&mut ids);
        let branch = ids.split();
        self.ids.put_call_id(self.cfg.locals[local as usize].ip().to_string().as_bytes(), self.cfg.shard, &mut ids);
        let me = &self.addresses[local as usize];
        let request = DialogRequest {
            method: b"INVITE",
            request_uri: p.request_uri,
            transport: b"UDP",
            sent_by: &me.sent_by,
            branch: &branch,
            from: Party { display: b"", uri: p.from.unwrap_or(&me.contact), tag: Some(&tag) },
            to: Party { display: b"", uri: p.to, tag: None },
            call_id: &ids,
            cseq: INITIAL_CSEQ,
            contact: Some(&me.contact),
            max_forwards: 70,
            body: (!body.is_empty()).then_some((&b"application/sdp"[..], &body[..])),
            ..DialogRequest::default()
        };
        request.write(&mut self.buf);
        let invite = Message::parse(self.buf.split().freeze());
        let sent = invite
            .map_err(|_| TxError::BadRequest)
            .and_then(|m| self.tx.send_request(m, (p.peer, local), now, &mut self.tx_out));
        match sent {
            Ok(tx) => {
                self.by_client_tx.insert(tx, h);
                if let Some(c) = self.calls.get_mut(h) {
                    c.client_invite = Some(tx);
                }
                self.stats.outgoing += 1;
                self.pump(now);
                Ok(CallId(h))
            }
            Err(_) => {
                if let Some(c) = self.calls.remove(h) {
                    self.ports.give_back(c.rtp_port);
                }
                Err(CallError::Build)
            }
        }
    }

    /// Cancels a call we placed that is not answered yet; it ends when the 487 arrives.
    pub fn cancel(&mut self, call: CallId, now: Instant) -> Result<(), CallError> {
        let c = self.calls.get_mut(call.0).ok_or(CallError::UnknownCall)?;
        let (Role::Uac, CallState::Calling | CallState::Early, Some(invite)) = (c.role, c.state, c.client_invite)
        else {
            return Err(CallError::WrongState);
        };
        c.cancelled = true;
        match self.tx.cancel(invite, now, &mut self.tx_out) {
            // RFC 3261 9.1: no CANCEL before a provisional response; sent when one arrives.
            Ok(None) => c.cancel_pending = true,
            Ok(Some(cancel)) => {
                self.by_client_tx.insert(cancel, call.0);
            }
            Err(_) => return Err(CallError::WrongState),
        }
        self.pump(now);
        Ok(())
    }

    /// A response to one of a call's client transactions.
    pub(super) fn on_response(&mut self, tx: ClientTxId, resp: &Message, now: Instant) {
        let Some(&h) = self.by_client_tx.get(&tx) else { return };
        let code = resp.status().unwrap_or(0);
        let is_invite = resp.cseq().is_ok_and(|c| c.method == crate::sip::Method::Invite);
        if is_invite && (200..300).contains(&code) {
            // Every 2xx, first or retransmitted, from any fork, is ACKed (RFC 3261 13.2.2.4).
            return self.on_invite_2xx(h, tx, resp, now);
        }
        let Some(c) = self.calls.get(h) else { return };
        if c.client_invite != Some(tx) {
            return; // BYE, CANCEL: nothing more to do
        }
        match c.state {
            CallState::Confirmed if code >= 300 => {
                let retry_after = resp.header_named(b"Retry-After").and_then(|v| {
                    let digits = v.iter().take_while(|b| b.is_ascii_digit()).count();
                    crate::sip::lex::parse_decimal(&v[..digits], 3600)
                });
                self.on_reinvite_failed(h, code, retry_after, now)
            }
            CallState::Confirmed => {}
            _ => self.on_invite_response(h, tx, resp, now),
        }
    }

    /// Timer B or F for one of a call's requests.
    pub(super) fn on_client_timeout(&mut self, tx: ClientTxId, now: Instant) {
        let Some(&h) = self.by_client_tx.get(&tx) else { return };
        let Some(c) = self.calls.get(h) else { return };
        if c.client_invite != Some(tx) {
            return;
        }
        match c.state {
            CallState::Confirmed => self.on_reinvite_failed(h, 408, None, now),
            _ => self.end_call(h, EndReason::Timeout),
        }
    }

    pub(super) fn progress(&mut self, h: crate::timer::Handle, status: u16) {
        let early_dialogs = self.calls.get(h).map_or(0, |c| c.early.len());
        self.out.push(Output::Event(CallEvent::Progress { call: CallId(h), status, early_dialogs }));
    }
}
