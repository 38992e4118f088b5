//! Placing calls (RFC 3261 13.2): the INVITE, CANCEL before an answer (9.1), and what the
//! responses do to the call.

use std::time::Instant;

use super::call::{Call, CallState, Role};
use super::events::{CallEvent, CallId, EndReason, Output};
use super::place::PlaceCall;
use super::{endpoint::Endpoint, ids::CallIdBuf, uac_auth::CallAuth, uas::CallError};
use crate::sdp::Direction;
use crate::sip::overload_control::CLIENT_SUPPORT;
use crate::sip::write::{DialogRequest, Party};
use crate::sip::{check_request_uri, Message};
use crate::timer::Handle;
use crate::transaction::{ClientTxId, TxError};

/// The CSeq of the first INVITE of a call we place; one answering a challenge has the next,
/// and the dialog counts on from the last.
pub const INITIAL_CSEQ: u32 = 1;

/// What an INVITE we place says. The first one and one answering a challenge differ only in
/// CSeq and the authorization header (RFC 3261 22.2), so both are written from this.
pub(super) struct InviteParts<'a> {
    pub request_uri: &'a [u8],
    pub to: &'a [u8],
    pub from: Option<&'a [u8]>,
    pub call_id: &'a [u8],
    pub cseq: u32,
    /// `(Authorization or Proxy-Authorization, value)`.
    pub authorization: Option<(&'static [u8], &'a [u8])>,
}

impl Endpoint {
    /// Sends an INVITE; events follow as responses arrive. Its URIs must do as a Request-URI.
    pub fn place_call(&mut self, p: PlaceCall<'_>, now: Instant) -> Result<CallId, CallError> {
        let bad = |u: &[u8]| check_request_uri(u).is_err();
        if bad(p.request_uri) || bad(p.to) || p.from.is_some_and(bad) {
            return Err(CallError::BadTarget);
        }
        if self.throttles.holds_back(p.peer, now) {
            self.stats.held_back += 1;
            return Err(CallError::HeldBack);
        }
        let port = match self.calls.len() < self.cfg.max_calls {
            true => self.ports.take().ok_or(CallError::Busy)?,
            false => return Err(CallError::Busy),
        };
        let local = self.local_for(p.peer);
        let mut sdp = self.new_sdp_session(port, local);
        if let Some(codecs) = p.codecs.filter(|c| !c.is_empty()) {
            sdp.config_mut().codecs = codecs.iter().copied().collect();
        }
        if !p.late_offer && sdp.offer(Direction::SendRecv).is_err() {
            self.ports.give_back(port);
            return Err(CallError::Build);
        }
        let mut call_id = CallIdBuf::new();
        self.ids.put_call_id(&self.addresses[local as usize].host, self.cfg.shard, &mut call_id);
        let invite = InviteParts {
            request_uri: p.request_uri,
            to: p.to,
            from: p.from,
            call_id: &call_id,
            cseq: INITIAL_CSEQ,
            authorization: None,
        };
        let mut call = Box::new(Call::new(Role::Uac, sdp, port, (p.peer, local), self.ids.next_u32()));
        call.auth = p.credentials.map(|creds| Box::new(CallAuth::new(creds, &invite)));
        let h = self.calls.insert(call);
        match self.send_invite(h, &invite, now) {
            Ok(_) => {
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

    /// Writes and sends call `h`'s INVITE with a new branch and our offer, if we made one,
    /// as its body; the call's INVITE transaction is then this one (CANCEL goes to it).
    pub(super) fn send_invite(
        &mut self,
        h: Handle,
        inv: &InviteParts<'_>,
        now: Instant,
    ) -> Result<ClientTxId, TxError> {
        let c = self.calls.get(h).ok_or(TxError::Unknown)?;
        let (peer, local) = (c.peer, c.local);
        self.body.clear();
        c.sdp.write_local(&mut self.body);
        let tag = self.tags.encode(h, c.tag_bits);
        let branch = self.ids.branch();
        let me = &self.addresses[local as usize];
        let request = DialogRequest {
            method: b"INVITE",
            request_uri: inv.request_uri,
            transport: b"UDP",
            sent_by: &me.sent_by,
            branch: &branch,
            from: Party { display: b"", uri: inv.from.unwrap_or(&me.contact), tag: Some(&tag) },
            to: Party { display: b"", uri: inv.to, tag: None },
            call_id: inv.call_id,
            cseq: inv.cseq,
            contact: Some(&me.contact),
            max_forwards: 70,
            headers: inv.authorization.as_slice(),
            via_params: CLIENT_SUPPORT,
            body: (!self.body.is_empty()).then_some((&b"application/sdp"[..], &self.body[..])),
            ..DialogRequest::default()
        };
        request.write(&mut self.buf);
        // Our own writing: only what the transaction reads is checked.
        let invite = Message::parse_for_transaction(self.buf.split().freeze()).map_err(|_| TxError::BadRequest)?;
        let tx = self.tx.send_request(invite, (peer, local), now, &mut self.tx_out)?;
        self.tx.set_client_owner(tx, h.to_u64());
        if let Some(c) = self.calls.get_mut(h) {
            c.client_invite = Some(tx);
        }
        Ok(tx)
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
                self.tx.set_client_owner(cancel, call.0.to_u64());
            }
            Err(_) => return Err(CallError::WrongState),
        }
        self.pump(now);
        Ok(())
    }

    /// A response to one of a call's client transactions.
    pub(super) fn on_response(&mut self, tx: ClientTxId, owner: Option<u64>, resp: &Message, now: Instant) {
        let Some(h) = owner.map(Handle::from_u64) else { return };
        let code = resp.status().unwrap_or(0);
        let is_invite = resp.cseq().is_ok_and(|c| c.method == crate::sip::Method::Invite);
        if let (true, Some(c)) = (is_invite, self.calls.get(h)) {
            self.throttles.on_response(c.peer, resp, now);
        }
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
            _ => self.on_invite_response(h, resp, now),
        }
    }

    /// Timer B or F for one of a call's requests.
    pub(super) fn on_client_timeout(&mut self, tx: ClientTxId, owner: Option<u64>, now: Instant) {
        let Some(h) = owner.map(Handle::from_u64) else { return };
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
