//! One shard's loop, the same for both backends: a turn of the backend (send what is queued,
//! wait until something arrives or the next timer is due, collect arrivals), then route and
//! handle the arrivals, run due timers, and queue what they produced for the next turn.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::io::ShardIo;
use super::stats::ShardStats;
use super::worker::Shard;
use crate::app::Application;

/// Longest sleep: how soon an idle shard publishes statistics and notices a stop request.
const MAX_SLEEP: Duration = Duration::from_millis(100);

/// The stop request and, once it came, each shard's calls still alive (`usize::MAX` until the
/// shard has looked). Touched once per loop turn while stopping, never per message.
pub struct Stopping {
    pub stop: Arc<AtomicBool>,
    pub calls_left: Vec<AtomicUsize>,
}

/// How often a shard publishes its statistics, and how long it may drain when stopping.
#[derive(Clone, Copy, Debug)]
pub struct Cadence {
    pub publish: Duration,
    pub drain: Duration,
    /// Media ports to bind before the application starts.
    pub ports_ahead: usize,
    /// Datagrams at the head of a turn whose answers are sent as soon as each is handled.
    pub send_early: usize,
}

/// Runs shard `shard.id` until a stop request and the drain are over.
pub fn run<A: Application>(
    mut shard: Shard<A>,
    io: &mut impl ShardIo,
    stopping: &Stopping,
    live: &Mutex<Vec<ShardStats>>,
    cadence: Cadence,
) -> ShardStats {
    let id = shard.id;
    let (mut next_publish, mut drain_until) = (Instant::now(), None::<Instant>);
    let mut arrivals = Vec::with_capacity(1024);
    let mut timeout = Duration::ZERO;
    shard.start(cadence.ports_ahead, io);
    loop {
        if io.turn(timeout, &mut arrivals).is_err() {
            // The backend cannot wait (an unexpected errno): do not spin on it.
            std::thread::sleep(Duration::from_millis(1));
        }
        let now = Instant::now();
        shard.on_turn(io, now);
        for (i, arrival) in arrivals.drain(..).enumerate() {
            shard.on_arrival(arrival, now, io);
            // The head of the turn answered at once, while the peer that sent the burst may
            // still be awake; the rest leaves in one batch (`--send-early`, ARCHITECTURE).
            if i < cadence.send_early {
                shard.flush(now, io);
                io.send_now();
            }
        }
        shard.on_timer(Instant::now(), io);
        shard.flush(now, io);
        if now >= next_publish {
            if let Some(slot) = live.lock().unwrap_or_else(|e| e.into_inner()).get_mut(id) {
                shard.snapshot_into(slot, io.counters());
            }
            next_publish = now + cadence.publish;
        }
        if stopping.stop.load(Ordering::Relaxed) && drain_until.is_none() {
            shard.stopping(now, io);
            drain_until = Some(now + cadence.drain);
        }
        if let Some(until) = drain_until {
            // Every shard stays until all are empty: a stopped shard could not take the
            // datagrams the others hand to it.
            stopping.calls_left[id].store(shard.core.ep.active_calls(), Ordering::Relaxed);
            if now >= until || stopping.calls_left.iter().all(|c| c.load(Ordering::Relaxed) == 0) {
                shard.finish(Instant::now(), io);
                return shard.snapshot(io.counters());
            }
        }
        timeout =
            shard.next_deadline().map_or(MAX_SLEEP, |d| d.saturating_duration_since(Instant::now())).min(MAX_SLEEP);
    }
}
