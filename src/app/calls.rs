//! What an application can do, from any of its callbacks: answer, refuse, hold, send keys,
//! bridge and hang up calls, place new ones, set timers, stop the server. Every command
//! takes effect when the callback returns (the runtime sends what it queued).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::core::Wire;
use super::incoming::IncomingCall;
use super::outgoing::OutgoingCall;
use super::ShardInfo;
use crate::rtp::{MediaAction, MediaPlane, MediaStats};
use crate::session::{CallError, CallId, Endpoint};
use crate::timer::TimerWheel;

/// An application's handle on its shard's calls for the length of one callback.
pub struct Calls<'a> {
    pub(super) ep: &'a mut Endpoint,
    pub(super) plane: &'a mut MediaPlane,
    pub(super) wakes: &'a mut TimerWheel<u64>,
    pub(super) wire: &'a mut dyn Wire,
    pub(super) info: &'a ShardInfo,
    pub(super) stop: Option<&'a AtomicBool>,
    pub(super) now: Instant,
}

impl Calls<'_> {
    /// The time of the event being handled (the runtime's clock; virtual in tests).
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The shard this application instance runs on.
    pub fn shard(&self) -> &ShardInfo {
        self.info
    }

    /// The INVITE of a call not answered yet: caller, callee, headers, offered media.
    pub fn incoming(&self, call: CallId) -> Option<IncomingCall<'_>> {
        self.ep.invite_of(call).map(IncomingCall::new)
    }

    /// Sends 180 Ringing.
    pub fn ring(&mut self, call: CallId) -> Result<(), CallError> {
        self.ep.ring(call, self.now)
    }

    /// Sends 183 with our SDP answer; `media` starts at once (early media: a tone, a prompt).
    pub fn early_media(&mut self, call: CallId, media: MediaAction) -> Result<(), CallError> {
        self.set_media(call, media);
        self.ep.early_media(call, self.now)
    }

    /// Answers with 200 OK; `media` is what the call's media does once agreed.
    pub fn answer(&mut self, call: CallId, media: MediaAction) -> Result<(), CallError> {
        self.set_media(call, media);
        self.ep.answer(call, self.now)
    }

    /// Refuses a call not answered yet with a 3xx-6xx final response.
    pub fn reject(&mut self, call: CallId, code: u16) -> Result<(), CallError> {
        self.ep.reject(call, code, self.now)
    }

    /// Redirects a call not answered yet (3xx, RFC 3261 21.3) to `contact`, a URI.
    pub fn redirect(&mut self, call: CallId, code: u16, contact: &[u8]) -> Result<(), CallError> {
        self.ep.redirect(call, code, contact, self.now)
    }

    /// Ends a call whatever its state: BYE, CANCEL, or 603 for one not answered yet.
    pub fn hangup(&mut self, call: CallId) -> Result<(), CallError> {
        self.ep.hangup(call, self.now)
    }

    /// Puts the peer on hold with a re-INVITE (`sendonly`); our media stops sending.
    pub fn hold(&mut self, call: CallId) -> Result<(), CallError> {
        self.ep.hold(call, self.now)
    }

    /// Takes the peer off hold with a re-INVITE (`sendrecv`).
    pub fn resume(&mut self, call: CallId) -> Result<(), CallError> {
        self.ep.resume(call, self.now)
    }

    /// Asks the peer of an established call to call `target` (a SIP URI) instead: a blind
    /// transfer with REFER (RFC 3515). Progress comes as [`super::Event::TransferProgress`].
    pub fn transfer(&mut self, call: CallId, target: &[u8]) -> Result<(), CallError> {
        self.ep.transfer(call, target, self.now)
    }

    /// Reports the progress of a transfer the peer asked for (NOTIFY with the new call's
    /// status; 200 and up ends the reports).
    pub fn notify_transfer(&mut self, call: CallId, status: u16) -> Result<(), CallError> {
        self.ep.notify_transfer(call, status, self.now)
    }

    /// Sends a key press as RFC 4733 events; `false` when the call has no media running or
    /// the peer did not agree to telephone-events.
    pub fn send_digit(&mut self, call: CallId, digit: char, duration_ms: u32) -> bool {
        let Some(port) = self.ep.media_port(call) else { return false };
        self.plane.send_digit(port.port, digit, duration_ms, self.now)
    }

    /// Joins two calls' media (a B2BUA's legs): each peer hears the other, payload untouched,
    /// so both legs should agree on one codec. It may be made as soon as both calls exist (in
    /// the callback that answers one, say): a call whose media is not agreed yet joins the
    /// bridge when it is. `false` for the same call twice or a call that is gone.
    pub fn bridge(&mut self, a: CallId, b: CallId) -> bool {
        match (self.ep.media_port(a), self.ep.media_port(b)) {
            (Some(a), Some(b)) => self.plane.bridge(a.port, b.port),
            _ => false,
        }
    }

    /// Separates a call from its bridge; both go back to their own media action.
    pub fn unbridge(&mut self, call: CallId) {
        if let Some(port) = self.ep.media_port(call) {
            self.plane.unbridge(port.port);
        }
    }

    /// The media figures of a call whose media runs, so far.
    pub fn media_stats(&self, call: CallId) -> Option<MediaStats> {
        self.plane.stats(self.ep.media_port(call)?.port)
    }

    /// Places a call from this shard; its events come to this shard's application.
    /// [`CallError::HeldBack`]: the server asked for fewer new calls (RFC 7339) and this one
    /// is one of the share held back; nothing was sent.
    pub fn call(&mut self, call: &OutgoingCall<'_>) -> Result<CallId, CallError> {
        self.wire.top_up(self.ep);
        let id = self.ep.place_call(call.place_call()?, self.now)?;
        if let Some(port) = self.ep.media_port(id) {
            self.plane.assign(port.port, call.media, id.to_u64());
        }
        Ok(id)
    }

    /// Sets a timer on a call, reported as [`super::Event::Timer`] with `token`; it dies
    /// with the call. `false` for an unknown call.
    pub fn set_timer(&mut self, call: CallId, at: Instant, token: u32) -> bool {
        self.ep.set_timer(call, at, token)
    }

    /// Asks for [`super::Application::on_wake`] with `token` at `at` (1 ms resolution).
    pub fn wake_at(&mut self, at: Instant, token: u64) {
        self.wakes.arm(at.max(self.now), token);
    }

    /// Calls alive on this shard.
    pub fn active(&self) -> usize {
        self.ep.active_calls()
    }

    /// Read access to the shard's user agent (statistics, tables).
    pub fn endpoint(&self) -> &Endpoint {
        self.ep
    }

    /// Stops the whole server as SIGTERM does: new calls get 503, the others drain.
    pub fn stop_server(&mut self) {
        if let Some(stop) = self.stop {
            stop.store(true, Ordering::Relaxed);
        }
    }

    fn set_media(&mut self, call: CallId, media: MediaAction) {
        if let Some(port) = self.ep.media_port(call) {
            self.plane.set_action(port.port, media, self.now);
        }
    }
}
