//! The answering side: a new INVITE becomes a call (or a refusal that says why), and the
//! application rings, answers or rejects it. RFC 3261 13.3, RFC 3264 6.

use std::net::SocketAddr;
use std::time::Instant;

use super::call::{Call, CallState, CallTimerKind, Pending2xx, Role};
use super::config::ACCEPT;
use super::endpoint::Endpoint;
use super::events::{CallEvent, CallId, EndReason, Output};
use super::respond::{decimal, Reply};
use crate::dialog::{Dialog, DialogState};
use crate::sdp::{LocalConfig, LocalOrigin, NegotiationError, SdpSession, SessionDescription};
use crate::sip::Message;
use crate::transaction::{Local, ServerTxId};

/// Why an application command could not be carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("no such call")]
    UnknownCall,
    #[error("the call is not in a state that allows this")]
    WrongState,
    #[error("an offer/answer exchange is already in progress")]
    OfferPending,
    #[error("no RTP port or call slot free")]
    Busy,
    #[error("the request could not be built")]
    Build,
    #[error("held back: the server asked (RFC 7339 overload control) that this share of new calls not be sent")]
    HeldBack,
    #[error("the target is not a SIP URI we can send to, or names no IP address and no peer was given (no DNS here)")]
    BadTarget,
}

impl Endpoint {
    /// A new INVITE (no To tag). Refusals first, each with the header that explains it.
    pub(super) fn on_new_invite(&mut self, tx: ServerTxId, req: &Message, from: SocketAddr, now: Instant) {
        if !accepts_sdp(req) {
            // RFC 3261 21.4.7 (RFC 4475 3.3.15): our answers carry SDP, which it refuses.
            super::log::refused(req, from, 406, "Not Acceptable: its Accept excludes SDP");
            self.reply(tx, 406, Reply { headers: &[(b"Accept", ACCEPT)], ..Reply::default() }, now);
            return;
        }
        let is_sdp = req.content_type().ok().flatten().is_some_and(|t| t.is(b"application", b"sdp"));
        if !req.body().is_empty() && !is_sdp {
            super::log::refused(req, from, 415, "Unsupported Media Type: a body that is not SDP");
            self.reply(tx, 415, Reply { headers: &[(b"Accept", ACCEPT)], ..Reply::default() }, now);
            return;
        }
        let refusal = self.refusal();
        let port = match refusal.is_none().then(|| self.ports.take()).flatten() {
            Some(port) => port,
            None => {
                self.stats.refused_busy += 1;
                let retry = decimal(self.cfg.retry_after_secs.into());
                let reason = refusal.unwrap_or(b"No Free Media Port");
                super::log::refused(req, from, 503, &String::from_utf8_lossy(reason));
                self.reply(tx, 503, Reply { reason, headers: &[(b"Retry-After", &retry)], ..Reply::default() }, now);
                return;
            }
        };
        let local = self.tx.response_target(tx).map_or(0, |(_, l)| l);
        let mut sdp = self.new_sdp_session(port, local);
        if !req.body().is_empty() {
            let answered =
                SessionDescription::parse(req.body()).map_err(NegotiationError::from).and_then(|o| sdp.answer_to(&o));
            if let Err(e) = answered {
                // 488 when nothing is acceptable, 400 naming the bad SDP line otherwise.
                self.ports.give_back(port);
                let reason = e.to_string();
                super::log::refused(req, from, e.status_code(), &reason);
                self.reply(tx, e.status_code(), Reply { reason: reason.as_bytes(), ..Reply::default() }, now);
                return;
            }
        }
        let h = self.calls.insert(Box::new(Call::new(Role::Uas, sdp, port, (from, local), self.ids.next_u32())));
        let tag = self.our_tag(h);
        let Some(dialog) = Dialog::uas(req, &tag, from) else {
            self.end_call(h, EndReason::Rejected(400));
            return;
        };
        let Some(call) = self.calls.get_mut(h) else { return };
        call.dialog = Some(dialog);
        call.invite_tx = Some(tx);
        self.tx.set_server_owner(tx, Some(h.to_u64()));
        self.stats.incoming += 1;
        self.out.push(Output::Event(CallEvent::Incoming { call: CallId(h) }));
    }

    /// A call's SDP session on `port`, offered on the media address of the port, or else on the
    /// address of the socket (`local`) the call's signalling goes through.
    pub(super) fn new_sdp_session(&mut self, port: super::ports::MediaPort, local: Local) -> SdpSession {
        let signalling = self.cfg.locals[crate::transport::listener_of(local) as usize % self.cfg.locals.len()].ip();
        let address = self.cfg.media_addresses.get(usize::from(port.address)).copied().unwrap_or(signalling);
        let mut config = LocalConfig::new(address, port.port);
        config.codecs = self.cfg.codecs.iter().copied().collect();
        let id = self.ids.next_u64() >> 2;
        SdpSession::new(
            config,
            LocalOrigin { username: self.cfg.user.iter().copied().collect(), session_id: id, version: id },
        )
    }

    /// The INVITE of a call still waiting for our answer.
    pub fn invite_of(&self, call: CallId) -> Option<&Message> {
        self.calls.get(call.0)?.invite_tx.and_then(|tx| self.tx.request(tx))
    }

    /// Sends 180 Ringing.
    pub fn ring(&mut self, call: CallId, now: Instant) -> Result<(), CallError> {
        self.provisional(call, 180, false, now)
    }

    /// Sends 183 Session Progress with our SDP answer (early media). Needs an offer in the
    /// INVITE: a late offer cannot go in an unreliable provisional response.
    pub fn early_media(&mut self, call: CallId, now: Instant) -> Result<(), CallError> {
        let c = self.calls.get(call.0).ok_or(CallError::UnknownCall)?;
        if c.sdp.local().is_none() {
            return Err(CallError::WrongState);
        }
        self.provisional(call, 183, true, now)?;
        self.media_changed(call.0);
        Ok(())
    }

    fn provisional(&mut self, call: CallId, code: u16, sdp: bool, now: Instant) -> Result<(), CallError> {
        let c = self.calls.get_mut(call.0).ok_or(CallError::UnknownCall)?;
        let (CallState::Received | CallState::Early, Some(tx)) = (c.state, c.invite_tx) else {
            return Err(CallError::WrongState);
        };
        c.state = CallState::Early;
        let r = Reply { call: Some(call.0), contact: true, record_route: true, sdp, ..Reply::default() };
        self.reply(tx, code, r, now).map(|_| ()).ok_or(CallError::WrongState)
    }

    /// Sends 200 OK with our SDP (the answer, or our offer when the INVITE had none) and
    /// retransmits it until the ACK (RFC 3261 13.3.1.4).
    pub fn answer(&mut self, call: CallId, now: Instant) -> Result<(), CallError> {
        let c = self.calls.get_mut(call.0).ok_or(CallError::UnknownCall)?;
        let (CallState::Received | CallState::Early, Some(tx)) = (c.state, c.invite_tx) else {
            return Err(CallError::WrongState);
        };
        if c.sdp.local().is_none() {
            c.sdp.offer(crate::sdp::Direction::SendRecv).map_err(|_| CallError::OfferPending)?;
        }
        let answered = c.sdp.negotiated().is_some();
        c.state = CallState::Answered;
        if let Some(d) = c.dialog.as_mut() {
            d.state = DialogState::Confirmed;
        }
        self.send_2xx(call.0, tx, now)?;
        if answered {
            self.media_changed(call.0);
        }
        Ok(())
    }

    /// Sends a 2xx to an INVITE or re-INVITE and starts its retransmission and ACK timers.
    pub(super) fn send_2xx(&mut self, h: crate::timer::Handle, tx: ServerTxId, now: Instant) -> Result<(), CallError> {
        let cseq = self.tx.request(tx).and_then(|m| m.cseq().ok()).map_or(0, |c| c.seq);
        let r = Reply { call: Some(h), contact: true, record_route: true, sdp: true, ..Reply::default() };
        let data = self.reply(tx, 200, r, now).ok_or(CallError::Build)?;
        let target = self.tx.response_target(tx);
        let t1 = self.cfg.tx.t1;
        let c = self.calls.get_mut(h).ok_or(CallError::UnknownCall)?;
        c.invite_tx = None;
        let (to, local) = target.unwrap_or((c.peer, c.local));
        // Kept until the ACK (up to 64*T1): copied out of the table's send buffer.
        c.pending_2xx = Some(Pending2xx { data: bytes::Bytes::copy_from_slice(&data), cseq, to, local, interval: t1 });
        self.tx.set_server_owner(tx, None);
        self.arm(h, CallTimerKind::Retransmit2xx, now + t1);
        self.arm(h, CallTimerKind::AckTimeout, now + self.cfg.tx.timeout());
        Ok(())
    }

    /// A CANCEL matched a call's pending INVITE: 487 and the call is over (RFC 3261 9.2).
    pub(super) fn on_cancelled(&mut self, invite: ServerTxId, cancel: ServerTxId, now: Instant) {
        let h = self.tx.server_owner(invite).map(crate::timer::Handle::from_u64);
        self.reply(cancel, 200, Reply { call: h, ..Reply::default() }, now);
        let Some(h) = h else { return };
        let initial = self.calls.get(h).is_some_and(|c| c.state != CallState::Confirmed);
        self.reply(invite, 487, Reply { call: Some(h), ..Reply::default() }, now);
        self.tx.set_server_owner(invite, None);
        if initial {
            self.end_call(h, EndReason::Cancelled);
        } else if let Some(c) = self.calls.get_mut(h) {
            // A cancelled re-INVITE leaves the call as it was (RFC 3261 14.2... 9.2).
            c.invite_tx = None;
        }
    }

    /// Queues a media update event with the call's current agreement.
    pub(super) fn media_changed(&mut self, h: crate::timer::Handle) {
        if let Some(media) = self.calls.get(h).and_then(|c| c.sdp.negotiated().copied()) {
            self.out.push(Output::Event(CallEvent::MediaChanged { call: CallId(h), media }));
        }
    }
}

/// True when the request has no Accept, or one that admits `application/sdp`.
fn accepts_sdp(req: &Message) -> bool {
    let mut ranges = req.values(crate::sip::HeaderName::Accept).peekable();
    ranges.peek().is_none()
        || ranges.any(|r| {
            let media = crate::sip::lex::trim(r.split(|&b| b == b';').next().unwrap_or_default());
            [&b"application/sdp"[..], b"application/*", b"*/*"].iter().any(|m| m.eq_ignore_ascii_case(media))
        })
}
