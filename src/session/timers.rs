//! The call layer's timers: 2xx retransmission, ACK timeout, glare retry and the
//! application's own, on one wheel per endpoint.

use std::time::Instant;

use super::call::{CallTimer, CallTimerKind};
use super::endpoint::Endpoint;
use super::events::{CallEvent, CallId, Output};
use crate::timer::Handle;

impl Endpoint {
    /// Starts a timer for a call.
    pub(super) fn arm(&mut self, h: Handle, kind: CallTimerKind, at: Instant) {
        let id = self.wheel.arm(at, CallTimer { call: h, kind });
        if let Some(call) = self.calls.get_mut(h) {
            call.timers.push((kind, id));
        }
    }

    /// Stops a call's timer of this kind, if running.
    pub(super) fn disarm(&mut self, h: Handle, kind: CallTimerKind) {
        let Some(call) = self.calls.get_mut(h) else { return };
        if let Some(pos) = call.timers.iter().position(|(k, _)| *k == kind) {
            self.wheel.cancel(call.timers.swap_remove(pos).1);
        }
    }

    pub(super) fn on_call_timer(&mut self, t: CallTimer, now: Instant) {
        let Some(call) = self.calls.get_mut(t.call) else { return };
        call.timers.retain(|(k, _)| *k != t.kind);
        match t.kind {
            CallTimerKind::Retransmit2xx => self.retransmit_2xx(t.call, now),
            CallTimerKind::AckTimeout => self.on_ack_timeout(t.call, now),
            CallTimerKind::GlareRetry => self.retry_reinvite(t.call, now),
            CallTimerKind::App(token) => self.out.push(Output::Event(CallEvent::Timer { call: CallId(t.call), token })),
        }
    }

    /// Sets an application timer; its [`CallEvent::Timer`] carries `token`.
    pub fn set_timer(&mut self, call: CallId, at: Instant, token: u32) -> bool {
        let known = self.calls.get(call.0).is_some();
        if known {
            self.arm(call.0, CallTimerKind::App(token), at);
        }
        known
    }
}
