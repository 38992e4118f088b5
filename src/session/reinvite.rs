//! Re-INVITEs we send: hold and resume (RFC 3264 8.4), their answers, and the glare rules
//! of RFC 3261 14.1 (491: try again after a random wait, longer for the Call-ID's owner).

use std::time::{Duration, Instant};

use super::call::{CallState, CallTimerKind, ReInvite, Role};
use super::endpoint::Endpoint;
use super::events::{CallId, EndReason};
use super::uas::CallError;
use crate::sdp::{Direction, SessionDescription};
use crate::sip::Message;
use crate::timer::Handle;

impl Endpoint {
    /// Puts the call on hold: a re-INVITE offering `sendonly`.
    pub fn hold(&mut self, call: CallId, now: Instant) -> Result<(), CallError> {
        self.reinvite(call, Direction::SendOnly, now)
    }

    /// Takes the call off hold: a re-INVITE offering `sendrecv`.
    pub fn resume(&mut self, call: CallId, now: Instant) -> Result<(), CallError> {
        self.reinvite(call, Direction::SendRecv, now)
    }

    /// Changes the codecs the call offers and accepts from now on (most preferred first);
    /// a following re-INVITE renegotiates with them.
    pub fn set_codecs(&mut self, call: CallId, codecs: &[crate::sdp::Codec]) -> Result<(), CallError> {
        let c = self.calls.get_mut(call.0).ok_or(CallError::UnknownCall)?;
        c.sdp.config_mut().codecs = codecs.iter().copied().collect();
        Ok(())
    }

    /// Sends a re-INVITE with a new offer in the given direction.
    pub fn reinvite(&mut self, call: CallId, direction: Direction, now: Instant) -> Result<(), CallError> {
        let c = self.calls.get_mut(call.0).ok_or(CallError::UnknownCall)?;
        if c.state != CallState::Confirmed || c.pending_2xx.is_some() {
            return Err(CallError::WrongState);
        }
        if c.reinvite.is_some() || c.invite_tx.is_some() {
            return Err(CallError::OfferPending);
        }
        c.reinvite = Some(ReInvite { direction });
        self.send_reinvite(call.0, now)
    }

    fn send_reinvite(&mut self, h: Handle, now: Instant) -> Result<(), CallError> {
        let c = self.calls.get_mut(h).ok_or(CallError::UnknownCall)?;
        let direction = c.reinvite.ok_or(CallError::WrongState)?.direction;
        c.sdp.offer(direction).map_err(|_| CallError::OfferPending)?;
        let tx = self.send_in_dialog(h, b"INVITE", None, true, now).ok_or(CallError::Build)?;
        if let Some(c) = self.calls.get_mut(h) {
            c.client_invite = Some(tx);
        }
        self.pump(now);
        Ok(())
    }

    /// The 2xx to our re-INVITE: take the answer, ACK, report the new media.
    pub(super) fn on_reinvite_2xx(&mut self, h: Handle, resp: &Message, now: Instant) {
        let Some(c) = self.calls.get_mut(h) else { return };
        c.client_invite = None;
        c.reinvite = None;
        if let Some(d) = c.dialog.as_mut() {
            d.refresh_target(resp);
        }
        let applied = SessionDescription::parse(resp.body()).is_ok_and(|a| c.sdp.apply_answer(&a).is_ok());
        let cseq = resp.cseq().map(|c| c.seq).unwrap_or(0);
        self.send_in_dialog(h, b"ACK", Some(cseq), false, now);
        if applied {
            self.media_changed(h);
        } else {
            self.hang_up_confirmed(h, EndReason::LocalHangup, now);
        }
    }

    /// A failed re-INVITE leaves the session as it was (RFC 3261 14.1); 491 schedules a
    /// retry, and so does a 500 with Retry-After (the peer was mid-exchange, 14.2); 481 and
    /// 408 mean the dialog is gone (12.2.1.2).
    pub(super) fn on_reinvite_failed(&mut self, h: Handle, code: u16, retry_after: Option<u64>, now: Instant) {
        let Some(c) = self.calls.get_mut(h) else { return };
        c.client_invite = None;
        c.sdp.offer_rejected();
        match code {
            491 => {
                // 2.1 to 4 s if we own the Call-ID (we placed the call), else 0 to 2 s.
                let spread = self.ids.next_u64() % 1901;
                let wait = match c.role {
                    Role::Uac => 2100 + spread,
                    Role::Uas => spread * 2000 / 1900,
                };
                self.arm(h, CallTimerKind::GlareRetry, now + Duration::from_millis(wait));
            }
            500 if retry_after.is_some() => {
                let wait = Duration::from_secs(retry_after.unwrap_or(0)) + Duration::from_millis(1);
                self.arm(h, CallTimerKind::GlareRetry, now + wait);
            }
            481 | 408 => self.hang_up_confirmed(h, EndReason::Timeout, now),
            _ => c.reinvite = None,
        }
    }

    pub(super) fn retry_reinvite(&mut self, h: Handle, now: Instant) {
        if self.send_reinvite(h, now).is_err() {
            if let Some(c) = self.calls.get_mut(h) {
                c.reinvite = None;
            }
        }
    }
}
