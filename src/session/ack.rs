//! The ACK for our 2xx: it stops the retransmissions and confirms the call; without it the
//! call is given up after 64*T1 with a BYE (RFC 3261 13.3.1.4). A late offer's answer comes
//! in the ACK (RFC 3264 and RFC 3261 13.2.1).

use std::time::Instant;

use super::call::{CallState, CallTimerKind};
use super::endpoint::Endpoint;
use super::events::{CallEvent, CallId, EndReason, Output};
use crate::dialog::TagText;
use crate::sdp::SessionDescription;
use crate::sip::Message;
use crate::timer::Handle;

impl Endpoint {
    /// The call an in-dialog message names by our tag, if the tag's random bits are the
    /// call's and the Call-ID agrees: a tag guessed from a handle alone misses (RFC 3261 19.3).
    pub(super) fn call_for_tag(&self, msg: &Message, ours: Option<&[u8]>) -> Option<Handle> {
        let (h, bits) = self.tags.decode(ours?)?;
        let call = self.calls.get(h)?;
        (call.tag_bits == bits && call.dialog.as_ref().is_some_and(|d| d.owns(msg))).then_some(h)
    }

    /// Our tag for the call at `h` (a call that ended meanwhile gets one no call matches).
    pub(super) fn our_tag(&self, h: Handle) -> TagText {
        self.tags.encode(h, self.calls.get(h).map_or(0, |c| c.tag_bits))
    }

    pub(super) fn on_ack(&mut self, ack: &Message, now: Instant) {
        let to_tag = ack.to().ok().and_then(|t| t.tag());
        let Some(h) = self.call_for_tag(ack, to_tag) else { return };
        // An ACK carries its INVITE's CSeq number (RFC 3261 13.2.2.4): a late or repeated ACK
        // of an earlier 2xx does not acknowledge the one pending now.
        let cseq = ack.cseq().ok().map(|c| c.seq);
        let pending = self.calls.get(h).and_then(|c| c.pending_2xx.as_ref());
        if pending.is_none_or(|p| Some(p.cseq) != cseq) {
            return; // a retransmitted ACK, or one for an earlier 2xx
        }
        self.confirm_2xx(h, ack.body(), now);
    }

    /// Our pending 2xx is acknowledged: by its ACK (`body`: a late offer's answer), or, with
    /// an empty body, by a re-INVITE that shows the peer had it (RFC 5407 3.1.5).
    pub(super) fn confirm_2xx(&mut self, h: Handle, body: &[u8], now: Instant) {
        let Some(call) = self.calls.get_mut(h) else { return };
        if call.pending_2xx.take().is_none() {
            return;
        }
        let first = call.state == CallState::Answered;
        call.state = CallState::Confirmed;
        let late_answer = call.sdp.offer_pending();
        self.disarm(h, CallTimerKind::Retransmit2xx);
        self.disarm(h, CallTimerKind::AckTimeout);
        if late_answer {
            let applied =
                SessionDescription::parse(body).ok().map(|a| self.calls.get_mut(h).map(|c| c.sdp.apply_answer(&a)));
            match applied.flatten() {
                Some(Ok(_)) => self.media_changed(h),
                // An ACK cannot be refused: a bad answer ends the call (RFC 3261 13.3.1.4 analog).
                _ => return self.hang_up_confirmed(h, EndReason::LocalHangup, now),
            }
        }
        if first {
            self.stats.established += 1;
            self.out.push(Output::Event(CallEvent::Established { call: CallId(h) }));
        }
        if self.calls.get(h).is_some_and(|c| c.bye_after_ack) {
            self.hang_up_confirmed(h, EndReason::LocalHangup, now);
        }
    }

    pub(super) fn retransmit_2xx(&mut self, h: Handle, now: Instant) {
        let t2 = self.cfg.tx.t2;
        let Some(p) = self.calls.get_mut(h).and_then(|c| c.pending_2xx.as_mut()) else { return };
        p.interval = (p.interval * 2).min(t2);
        let (to, local, data, next) = (p.to, p.local, p.data.clone(), p.interval);
        self.tx_stats_retransmission();
        self.out.push(Output::Transmit { to, local, data });
        self.arm(h, CallTimerKind::Retransmit2xx, now + next);
    }

    pub(super) fn on_ack_timeout(&mut self, h: Handle, now: Instant) {
        let Some(call) = self.calls.get_mut(h) else { return };
        if call.pending_2xx.take().is_none() {
            return;
        }
        self.disarm(h, CallTimerKind::Retransmit2xx);
        let initial = self.calls.get(h).is_some_and(|c| c.state == CallState::Answered);
        if initial {
            self.hang_up_confirmed(h, EndReason::NoAck, now);
        } else if let Some(c) = self.calls.get_mut(h) {
            // A re-INVITE's 2xx went unacknowledged: the offer exchange is over, the call
            // goes on (RFC 3261 14.2 leaves it to the UAS; ending it would be harsher).
            c.sdp.offer_rejected();
        }
    }

    fn tx_stats_retransmission(&mut self) {
        self.stats.retransmitted_2xx += 1;
    }
}
