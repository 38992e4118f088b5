//! Responses to an INVITE we sent: early dialogs per To tag (forking, RFC 3261 12.1.2,
//! 13.2.2.4), the ACK for every 2xx, and BYE for any fork answering after the first.

use super::own_address::own;
use std::time::Instant;

use super::call::{CallState, Role};
use super::endpoint::Endpoint;
use super::events::{CallEvent, CallId, EndReason, Output};
use crate::dialog::{Dialog, DialogState, InDialog};
use crate::sdp::SessionDescription;
use crate::sip::Message;
use crate::timer::Handle;
use crate::transaction::ClientTxId;

impl Endpoint {
    /// Provisional and failure responses to the initial INVITE.
    pub(super) fn on_invite_response(&mut self, h: Handle, resp: &Message, now: Instant) {
        let code = resp.status().unwrap_or(0);
        if code >= 300 {
            if matches!(code, 401 | 407) && self.answer_challenge(h, resp, now) {
                return;
            }
            let cancelled = self.calls.get(h).is_some_and(|c| c.cancelled);
            return self.end_call(h, if cancelled { EndReason::Cancelled } else { EndReason::Rejected(code) });
        }
        let Some(c) = self.calls.get_mut(h) else { return };
        c.state = CallState::Early;
        let tag = resp.to().ok().and_then(|t| t.tag());
        if let Some(tag) = tag {
            if !c.early.iter().any(|d| d.remote_tag() == tag) {
                c.early.extend(Dialog::uac(resp, c.peer));
            }
        }
        // Early media: the answer may come in a 183; the 2xx repeats it (RFC 3261 13.2.1), or
        // brings another fork's answer (take_2xx_sdp).
        if !resp.body().is_empty() && c.sdp.offer_pending() {
            c.early_answer = Some(tag.unwrap_or_default().into());
            if let Ok(Ok(_)) = SessionDescription::parse(resp.body()).map(|a| c.sdp.apply_answer(&a)) {
                self.media_changed(h);
            }
        }
        let cancel_now = self.calls.get_mut(h).is_some_and(|c| std::mem::take(&mut c.cancel_pending));
        if cancel_now {
            let _ = self.cancel(CallId(h), now);
        }
        if code > 100 {
            self.progress(h, code);
        }
    }

    /// A 2xx to an INVITE: confirms the call (first one), re-ACKs a retransmission, or ACKs
    /// and hangs up a second fork.
    pub(super) fn on_invite_2xx(&mut self, h: Handle, tx: ClientTxId, resp: &Message, now: Instant) {
        let Some(c) = self.calls.get_mut(h) else { return };
        let tag = resp.to().ok().and_then(|t| t.tag()).unwrap_or_default();
        let cseq = resp.cseq().map(|c| c.seq).unwrap_or(0);
        if let Some(d) = c.dialog.as_ref() {
            if d.remote_tag() == tag {
                // A retransmission (its ACK was lost) or the 2xx of our re-INVITE.
                if c.client_invite == Some(tx) && c.reinvite.is_some() {
                    return self.on_reinvite_2xx(h, resp, now);
                }
                let sdp = c.ack_has_sdp && cseq == c.invite_cseq();
                self.send_in_dialog(h, b"ACK", Some(cseq), sdp, now);
                return;
            }
            return self.ack_and_bye_fork(h, resp, now);
        }
        let pos = c.early.iter().position(|d| d.remote_tag() == tag);
        let dialog = pos.map(|i| c.early.swap_remove(i)).or_else(|| Dialog::uac(resp, c.peer));
        let Some(mut dialog) = dialog else { return };
        dialog.state = DialogState::Confirmed;
        dialog.refresh_target(resp);
        c.dialog = Some(dialog);
        c.early.clear();
        c.state = CallState::Confirmed;
        c.client_invite = None;
        let cancelled = c.cancelled;
        let (media_ok, late) = self.take_2xx_sdp(h, resp, tag);
        if let Some(c) = self.calls.get_mut(h) {
            c.ack_has_sdp = late;
        }
        self.send_in_dialog(h, b"ACK", Some(cseq), late, now);
        self.stats.established += 1;
        self.out.push(Output::Event(CallEvent::Established { call: CallId(h) }));
        if media_ok {
            self.media_changed(h);
        } else {
            // RFC 3261 13.2.2.4: a 2xx cannot be refused; an unusable answer ends the call.
            return self.hang_up_confirmed(h, EndReason::LocalHangup, now);
        }
        if cancelled {
            // The answer crossed our CANCEL (RFC 3261 9.1): ACK it, then BYE.
            self.hang_up_confirmed(h, EndReason::Cancelled, now);
        }
    }

    /// Applies the SDP of the first 2xx (from the fork with To tag `tag`): the answer to our
    /// offer, or (late offer) the UAS's offer, answered in the ACK. An offer a 1xx answered
    /// already (early media) keeps that answer when the same fork confirms the call (its 2xx
    /// repeats it, RFC 3261 13.2.1); when another fork does, the call is that fork's dialog
    /// and takes the answer in its 2xx (RFC 3261 13.2.2.4). Returns (usable, answer goes in
    /// the ACK).
    fn take_2xx_sdp(&mut self, h: Handle, resp: &Message, tag: &[u8]) -> (bool, bool) {
        let Some(c) = self.calls.get_mut(h) else { return (false, false) };
        let sdp = SessionDescription::parse(resp.body());
        if c.sdp.offer_pending() {
            return (sdp.is_ok_and(|a| c.sdp.apply_answer(&a).is_ok()), false);
        }
        if let Some(early) = c.early_answer.take() {
            let keep = *early == *tag && c.sdp.negotiated().is_some();
            if keep || resp.body().is_empty() {
                return (c.sdp.negotiated().is_some(), false);
            }
            return (sdp.is_ok_and(|a| c.sdp.apply_answer_again(&a).is_ok()), false);
        }
        (sdp.is_ok_and(|o| c.sdp.answer_to(&o).is_ok()), true)
    }

    /// RFC 3261 13.2.2.4: a 2xx from another fork after the call is confirmed is ACKed and
    /// its dialog ended at once with a BYE. A retransmission of that 2xx (our ACK crossed it
    /// or was lost) is ACKed again, and gets no second BYE: that would repeat the BYE's CSeq
    /// in the fork's dialog (RFC 3261 12.2.1.1).
    fn ack_and_bye_fork(&mut self, h: Handle, resp: &Message, now: Instant) {
        let Some(c) = self.calls.get_mut(h) else { return };
        let (peer, local) = (c.peer, c.local);
        let Some(mut fork) = Dialog::uac(resp, peer) else { return };
        let again = c.forks_ended.iter().any(|t| **t == *fork.remote_tag());
        if !again {
            c.forks_ended.push(fork.remote_tag().into());
        }
        fork.refresh_target(resp);
        let cseq = fork.local_cseq;
        let requests = [(&b"ACK"[..], cseq), (&b"BYE"[..], cseq + 1)];
        for &(method, seq) in &requests[..if again { 1 } else { 2 }] {
            let branch = self.ids.branch();
            let req = InDialog {
                method,
                cseq: seq,
                branch: &branch,
                transport: own(&self.addresses, local).transport,
                sent_by: &own(&self.addresses, local).sent_by,
                contact: None,
                headers: &[],
                body: None,
            };
            fork.write_request(&req, &mut self.buf);
            let Ok(msg) = Message::parse(self.buf.split().freeze()) else { return };
            if method == b"ACK" {
                self.out.push(Output::Transmit { to: fork.next_hop, local, data: msg.bytes().clone() });
            } else {
                let _ = self.tx.send_request(msg, (fork.next_hop, local), now, &mut self.tx_out);
            }
        }
        if !again {
            self.stats.forks_ended += 1;
        }
    }

    /// A 2xx that matched no transaction (Timer M is over): ACK it again if it is our
    /// dialog's (the ACK was lost).
    pub(super) fn on_stray_response(&mut self, resp: &Message, now: Instant) {
        let is_2xx_invite = resp.status().is_some_and(|s| (200..300).contains(&s))
            && resp.cseq().is_ok_and(|c| c.method == crate::sip::Method::Invite);
        let from_tag = resp.from().ok().and_then(|f| f.tag());
        let Some(h) = self.call_for_tag(resp, from_tag) else { return };
        let Some(c) = self.calls.get(h) else { return };
        let ours = c.role == Role::Uac
            && c.dialog.as_ref().is_some_and(|d| Some(d.remote_tag()) == resp.to().ok().and_then(|t| t.tag()));
        if is_2xx_invite && ours {
            let cseq = resp.cseq().map(|c| c.seq).unwrap_or(0);
            self.send_in_dialog(h, b"ACK", Some(cseq), false, now);
        }
    }
}
