//! The load generator's application, one per shard: places this shard's share of the calls
//! on a steady clock, times each from INVITE to 2xx, holds it, hangs up, and counts how every
//! call ended. Its figures go to a shared slot a few times a second, never per call.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ahash::AHashMap;
use callshard::app::{Application, Calls, Event, OutgoingCall};
use callshard::rtp::MediaAction;
use callshard::session::{CallError, CallId, EndReason};

pub use super::load_stats::LoadStats;

/// The pacing tick: calls due are placed at most this late.
const TICK: Duration = Duration::from_millis(1);
/// How often a shard publishes its figures.
const PUBLISH: Duration = Duration::from_millis(200);
/// A placed call gets this long (Timer B is 32 s) before the run stops without it.
const LAST_CALL_GRACE: Duration = Duration::from_secs(40);
/// The call timer that hangs up after the hold time.
const HANG_UP: u32 = 1;

/// What all shards share: their published figures, and how many are still running.
pub struct Shared {
    pub slots: Mutex<Vec<LoadStats>>,
    pub running: AtomicUsize,
}

/// What one shard is to do.
#[derive(Clone, Debug)]
pub struct Plan {
    pub uri: String,
    pub target: std::net::SocketAddr,
    /// Calls per second for this shard.
    pub rate: f64,
    /// This shard's calls; `None`: until `duration` is over.
    pub calls: Option<u64>,
    pub duration: Option<Duration>,
    pub hold: Duration,
    /// The rate rises from 0 over this long (both sides' tables, ports and caches warm up).
    pub ramp: Duration,
    pub media: MediaAction,
}

pub struct LoadApp {
    plan: Plan,
    shared: Arc<Shared>,
    stats: LoadStats,
    /// Calls placed and not answered yet: when their INVITE went.
    ringing: AHashMap<CallId, Instant>,
    shard: usize,
    start: Instant,
    published: Instant,
}

impl LoadApp {
    pub fn new(plan: Plan, shared: Arc<Shared>) -> LoadApp {
        let now = Instant::now();
        let (stats, ringing) = (LoadStats::new(), AHashMap::new());
        LoadApp { plan, shared, stats, ringing, shard: 0, start: now, published: now }
    }

    /// Calls due by `now` on the steady clock, within this shard's total.
    fn due(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.start);
        let within = self.plan.duration.is_none_or(|d| elapsed < d);
        let by_clock = if within { self.placed_by(elapsed.as_secs_f64()) as u64 + 1 } else { self.stats.started };
        self.plan.calls.map_or(by_clock, |n| by_clock.min(n))
    }

    /// Calls placed `t` seconds in: the rate rises linearly over the ramp, then holds.
    fn placed_by(&self, t: f64) -> f64 {
        let (rate, ramp) = (self.plan.rate, self.plan.ramp.as_secs_f64());
        match t < ramp {
            true => rate * t * t / (2.0 * ramp),
            false => rate * (t - ramp / 2.0),
        }
    }

    fn placing_over(&self, now: Instant) -> bool {
        let all = self.plan.calls.is_some_and(|n| self.stats.started >= n);
        all || self.plan.duration.is_some_and(|d| now.saturating_duration_since(self.start) >= d)
    }

    fn place(&mut self, calls: &mut Calls<'_>) {
        let out = OutgoingCall::new(self.plan.uri.as_bytes()).via(self.plan.target).media(self.plan.media);
        let now = calls.now();
        self.stats.started += 1;
        self.stats.first.get_or_insert(now);
        self.stats.last = Some(now);
        if now.saturating_duration_since(self.start) >= self.plan.ramp {
            self.stats.steady.get_or_insert(now);
            self.stats.steady_started += 1;
        }
        match calls.call(&out) {
            Ok(call) => drop(self.ringing.insert(call, now)),
            Err(CallError::Busy) => self.stats.fail("local-limit".into()),
            Err(CallError::HeldBack) => self.stats.held_back += 1,
            Err(e) => self.stats.fail(format!("local: {e}")),
        }
    }

    fn publish(&mut self) {
        if let Some(slot) = self.shared.slots.lock().unwrap_or_else(|e| e.into_inner()).get_mut(self.shard) {
            slot.clone_from(&self.stats);
        }
    }

    /// This shard is finished: every call placed has ended (or the grace after the last
    /// one is over). The last shard to finish stops the run.
    fn finish(&mut self, calls: &mut Calls<'_>) {
        self.publish();
        if self.shared.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            calls.stop_server();
        }
    }
}

impl Application for LoadApp {
    fn on_incoming(&mut self, calls: &mut Calls<'_>, call: CallId) {
        let _ = calls.reject(call, 486); // a caller, not a callee
    }

    fn on_start(&mut self, calls: &mut Calls<'_>) {
        (self.shard, self.start, self.published) = (calls.shard().index, calls.now(), calls.now());
        calls.wake_at(calls.now(), 0);
    }

    fn on_wake(&mut self, calls: &mut Calls<'_>, _token: u64) {
        let now = calls.now();
        let due = self.due(now);
        while self.stats.started < due {
            self.place(calls);
        }
        if now.saturating_duration_since(self.published) >= PUBLISH {
            self.published = now;
            self.publish();
        }
        let over = self.placing_over(now);
        let grace = self.stats.last.is_some_and(|l| now.saturating_duration_since(l) > LAST_CALL_GRACE);
        if over && (calls.active() == 0 || grace) {
            return self.finish(calls);
        }
        calls.wake_at(now + TICK, 0);
    }

    fn on_event(&mut self, calls: &mut Calls<'_>, event: Event) {
        match event {
            Event::Answered { call } => {
                if let Some(sent) = self.ringing.remove(&call) {
                    let us = calls.now().saturating_duration_since(sent).as_micros() as u64;
                    let _ = self.stats.setup_us.record(us.max(1));
                    self.stats.answered += 1;
                }
                match self.plan.hold.is_zero() {
                    true => drop(calls.hangup(call)),
                    false => drop(calls.set_timer(call, calls.now() + self.plan.hold, HANG_UP)),
                }
            }
            Event::Timer { call, token: HANG_UP } => drop(calls.hangup(call)),
            // Ended before its answer: a failure, by status or cause.
            Event::Ended { call, reason, .. } if self.ringing.remove(&call).is_some() => {
                self.stats.fail(match reason {
                    EndReason::Rejected(code) => code.to_string(),
                    EndReason::Timeout => "timeout".into(),
                    other => format!("{other:?}").to_lowercase(),
                });
            }
            _ => {}
        }
    }

    fn on_stop(&mut self, _calls: &mut Calls<'_>) {
        // Calls still ringing when the run was stopped never got an answer.
        for _ in self.ringing.drain() {
            self.stats.fail("unanswered-at-stop".into());
        }
        self.publish();
    }
}
