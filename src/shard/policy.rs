//! The serve policy: what `callshard serve` does with each call, from its route table. It is
//! one [`Application`] of the runtime, as an embedding program's would be.

use std::time::{Duration, Instant};

use ahash::AHashMap;
use hdrhistogram::Histogram;

use super::route::{Action, Routes};
use super::stats::ShardStats;
use crate::app::{Application, Calls, Event};
use crate::rtp::MediaAction;
use crate::session::CallId;

/// The application timer that answers a ringing call.
const TOKEN_ANSWER: u32 = 1;

/// Route-driven answering, with the INVITE-to-final-response latency of every call.
pub struct Policy {
    routes: Routes,
    /// The media action of a route that names none (`--media`).
    pub media: MediaAction,
    /// When each unanswered call arrived, and the media its answer will start.
    arrived: AHashMap<CallId, (Instant, MediaAction)>,
    /// Microseconds from the INVITE to our final response.
    pub latency_us: Histogram<u64>,
    /// Commands the endpoint refused (a call that ended meanwhile, say).
    pub refused: u64,
}

impl Policy {
    pub fn new(routes: Routes, media: MediaAction) -> Policy {
        // Constant bounds (1 us to 1 h, 3 significant digits) that hdrhistogram accepts.
        let latency_us = Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid constant bounds");
        Policy { routes, media, arrived: AHashMap::new(), latency_us, refused: 0 }
    }

    /// Records the latency of a call's final response.
    fn finished(&mut self, call: CallId, ok: bool) {
        if !ok {
            self.refused += 1;
        }
        if let Some((start, _)) = self.arrived.remove(&call) {
            // The clock now, not the batch's `now`: the delay includes the datagrams handled before.
            let us = Instant::now().saturating_duration_since(start).as_micros() as u64;
            let _ = self.latency_us.record(us.max(1));
        }
    }
}

impl Application for Policy {
    fn on_incoming(&mut self, calls: &mut Calls<'_>, call: CallId) {
        let route = self.routes.route_for(calls.incoming(call).and_then(|c| c.user()));
        let media = route.media.unwrap_or(self.media);
        self.arrived.insert(call, (calls.now(), media));
        let ok = match route.action {
            Action::Answer => {
                let ok = calls.ring(call).is_ok() && calls.answer(call, media).is_ok();
                return self.finished(call, ok);
            }
            Action::Ok => return self.finished(call, calls.answer(call, media).is_ok()),
            Action::Reject(code) => return self.finished(call, calls.reject(call, code).is_ok()),
            Action::Ringing => calls.ring(call).is_ok(),
            Action::Ring(ms) => {
                calls.ring(call).is_ok() && calls.set_timer(call, calls.now() + millis(ms), TOKEN_ANSWER)
            }
            Action::Early(ms) => {
                // Early media needs the caller's offer; without one, plain ringing.
                let early = calls.early_media(call, media).is_ok() || calls.ring(call).is_ok();
                early && calls.set_timer(call, calls.now() + millis(ms), TOKEN_ANSWER)
            }
        };
        if !ok {
            self.refused += 1;
        }
    }

    fn on_event(&mut self, calls: &mut Calls<'_>, event: Event) {
        match event {
            Event::Timer { call, token: TOKEN_ANSWER } => {
                let media = self.arrived.get(&call).map_or(self.media, |a| a.1);
                let ok = calls.answer(call, media).is_ok();
                self.finished(call, ok);
            }
            Event::Ended { call, .. } => {
                self.arrived.remove(&call);
            }
            // serve places no calls: a transfer it is asked for is declined, and said so.
            Event::TransferRequested { call, .. } if calls.notify_transfer(call, 603).is_err() => {
                self.refused += 1;
            }
            _ => {}
        }
    }

    fn report(&self, stats: &mut ShardStats) {
        // `stats` is this shard's last snapshot or a new one: as many values means the same.
        if stats.latency_us.len() != self.latency_us.len() {
            stats.latency_us.clone_from(&self.latency_us);
        }
        stats.policy_refused = self.refused;
    }
}

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}
