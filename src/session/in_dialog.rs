//! Requests other than a new INVITE: OPTIONS, BYE, re-INVITE, and everything we do not do.
//! In-dialog requests find their call by our tag; unknown dialogs get 481 (RFC 3261 12.2.2).

use std::net::SocketAddr;
use std::time::Instant;

use super::config::{ACCEPT, ALLOW, SUPPORTED};
use super::endpoint::Endpoint;
use super::events::EndReason;
use super::respond::{decimal, Reply};
use crate::dialog::DialogReject;
use crate::sdp::{NegotiationError, SessionDescription};
use crate::sip::{Message, Method};
use crate::timer::Handle;
use crate::transaction::ServerTxId;

impl Endpoint {
    pub(super) fn on_request(&mut self, tx: ServerTxId, req: &Message, from: SocketAddr, now: Instant) {
        let method = req.method();
        if method != Some(Method::Cancel) && req.require().next().is_some() {
            // RFC 3261 8.2.2.3: we support no extension, so every Require tag is unsupported.
            let tags: Vec<u8> = req.require().collect::<Vec<_>>().join(&b", "[..]);
            self.reply(tx, 420, Reply { headers: &[(b"Unsupported", &tags)], ..Reply::default() }, now);
            return;
        }
        let Some(to_tag) = req.to().ok().and_then(|t| t.tag()) else {
            return match method {
                Some(Method::Invite) => self.on_new_invite(tx, req, from, now),
                Some(Method::Options) => self.reply_options(tx, now),
                Some(Method::Bye | Method::Notify) => self.reply_plain(tx, 481, now),
                Some(Method::Refer) => {
                    let r = Reply { reason: b"REFER Only Within A Dialog", ..Reply::default() };
                    self.reply(tx, 403, r, now);
                }
                _ => self.reply_unsupported_method(tx, method, now),
            };
        };
        let Some(h) = self.call_for_tag(req, Some(to_tag)) else {
            return self.reply_plain(tx, 481, now);
        };
        let checked = self.calls.get_mut(h).and_then(|c| c.dialog.as_mut()).map(|d| d.on_remote_request(req));
        if let Some(Err(DialogReject::CSeqOutOfOrder)) = checked {
            let r = Reply { call: Some(h), reason: b"CSeq Out Of Order", ..Reply::default() };
            self.reply(tx, 500, r, now);
            return;
        }
        match method {
            Some(Method::Bye) => self.on_bye(h, tx, now),
            Some(Method::Invite) => self.on_reinvite(h, tx, req, now),
            Some(Method::Options) => self.reply_options(tx, now),
            Some(Method::Refer) => self.on_refer(h, tx, req, now),
            Some(Method::Notify) => self.on_notify(h, tx, req, now),
            _ => self.reply_unsupported_method(tx, method, now),
        }
    }

    fn on_bye(&mut self, h: Handle, tx: ServerTxId, now: Instant) {
        // RFC 3261 15.1.2: a request still pending in the dialog gets 487.
        if let Some(pending) = self.calls.get(h).and_then(|c| c.invite_tx) {
            self.reply(pending, 487, Reply { call: Some(h), ..Reply::default() }, now);
        }
        self.reply(tx, 200, Reply { call: Some(h), ..Reply::default() }, now);
        self.end_call(h, EndReason::RemoteHangup);
    }

    /// RFC 3261 14.2: 491 while our own offer is out (glare), 500 with Retry-After while a
    /// previous exchange is unfinished; else answer (or offer, if it has no SDP) in a 200.
    fn on_reinvite(&mut self, h: Handle, tx: ServerTxId, req: &Message, now: Instant) {
        let Some(c) = self.calls.get_mut(h) else { return };
        // Only a re-INVITE of ours actually in flight is glare; one waiting to be retried
        // after a 491 yields to the peer's (RFC 3261 14.1).
        if c.client_invite.is_some() {
            return self.reply_plain(tx, 491, now);
        }
        // RFC 5407 3.1.5: a re-INVITE while our 2xx awaits its ACK means the ACK was lost
        // (the peer had the 2xx to send this). With no offer of ours awaiting an answer in
        // that ACK, the exchange is over: take the re-INVITE as the acknowledgement.
        if c.pending_2xx.is_some() && c.invite_tx.is_none() && !c.sdp.offer_pending() {
            self.confirm_2xx(h, b"", now);
        }
        let Some(c) = self.calls.get_mut(h) else { return };
        if c.invite_tx.is_some() || c.pending_2xx.is_some() || c.sdp.offer_pending() {
            let retry = decimal(self.ids.next_u64() % 11);
            self.reply(tx, 500, Reply { headers: &[(b"Retry-After", &retry)], ..Reply::default() }, now);
            return;
        }
        if let Some(d) = c.dialog.as_mut() {
            d.refresh_target(req);
        }
        let result = match req.body().is_empty() {
            true => c.sdp.offer(c.sdp.config().direction).map(|_| false),
            false => SessionDescription::parse(req.body())
                .map_err(NegotiationError::from)
                .and_then(|offer| c.sdp.answer_to(&offer))
                .map(|_| true),
        };
        match result {
            Ok(answered) => {
                c.invite_tx = Some(tx);
                self.tx.set_server_owner(tx, Some(h.to_u64()));
                if self.send_2xx(h, tx, now).is_ok() && answered {
                    self.media_changed(h);
                }
            }
            Err(e) => {
                let reason = e.to_string();
                let r = Reply { call: Some(h), reason: reason.as_bytes(), ..Reply::default() };
                self.reply(tx, e.status_code(), r, now);
            }
        }
    }

    /// 200 to OPTIONS with what we can do (RFC 3261 11.2).
    fn reply_options(&mut self, tx: ServerTxId, now: Instant) {
        let headers: &[(&[u8], &[u8])] = &[(b"Allow", ALLOW), (b"Accept", ACCEPT), (b"Supported", SUPPORTED)];
        let tag = Some(self.stray_tag());
        self.reply(tx, 200, Reply { call: tag, contact: true, headers, ..Reply::default() }, now);
    }

    /// 405 for a method we know but do not serve, 501 for one we do not know; both with Allow.
    fn reply_unsupported_method(&mut self, tx: ServerTxId, method: Option<Method>, now: Instant) {
        let code = if method == Some(Method::Other) { 501 } else { 405 };
        let tag = Some(self.stray_tag());
        self.reply(tx, code, Reply { call: tag, headers: &[(b"Allow", ALLOW)], ..Reply::default() }, now);
    }

    pub(super) fn reply_plain(&mut self, tx: ServerTxId, code: u16, now: Instant) {
        let tag = Some(self.stray_tag());
        self.reply(tx, code, Reply { call: tag, ..Reply::default() }, now);
    }
}
