//! One shard's loop: drain the socket and the inbox, run due timers, send, and when there is
//! nothing to do block in `ppoll` on the socket and the inbox's eventfd until the next timer.
//!
//! It runs as the only task of its glommio executor and parks in `ppoll`, not in glommio's
//! reactor: a glommio park (io_uring submits and a `membarrier`) measured 17-20 µs of CPU,
//! paid on nearly every datagram at moderate rates, while a `ppoll` costs about 1 µs.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::inbox::Inbox;
use super::stats::ShardStats;
use super::worker::Shard;

/// Longest sleep: how soon an idle shard publishes statistics and notices a stop request.
const MAX_SLEEP: Duration = Duration::from_millis(100);

/// The stop request and, once it came, each shard's calls still alive (`usize::MAX` until the
/// shard has looked). Touched once per loop turn while stopping, never per message.
pub struct Stopping {
    pub stop: Arc<AtomicBool>,
    pub calls_left: Vec<AtomicUsize>,
}

/// Runs shard `shard.id` until a stop request and the drain are over.
pub fn run(
    mut shard: Shard,
    inboxes: &[Inbox],
    stopping: &Stopping,
    live: &Mutex<Vec<ShardStats>>,
    drain: Duration,
    publish: Duration,
) -> ShardStats {
    let id = shard.id;
    let (mut next_publish, mut drain_until) = (Instant::now(), None::<Instant>);
    let mut woken = vec![false; inboxes.len()];
    loop {
        let now = Instant::now();
        let mut busy = inboxes[id].drain(|(data, from)| shard.on_handoff(data, from, now)) > 0;
        busy |= shard.poll_socket(now);
        for (owner, data, from) in shard.handoffs.drain(..) {
            match inboxes[owner].push((data, from)) {
                Ok(()) => woken[owner] = true,
                Err(_) => shard.counters.handoff_dropped += 1,
            }
        }
        for (owner, flag) in woken.iter_mut().enumerate() {
            if std::mem::take(flag) {
                inboxes[owner].notify();
            }
        }
        shard.on_timer(Instant::now());
        if now >= next_publish {
            if let Some(slot) = live.lock().unwrap_or_else(|e| e.into_inner()).get_mut(id) {
                *slot = shard.snapshot();
            }
            next_publish = now + publish;
        }
        if stopping.stop.load(Ordering::Relaxed) && drain_until.is_none() {
            shard.ep.set_draining(true);
            drain_until = Some(now + drain);
        }
        if let Some(until) = drain_until {
            // Every shard stays until all are empty: a stopped shard could not take the
            // datagrams the others hand to it.
            stopping.calls_left[id].store(shard.ep.active_calls(), Ordering::Relaxed);
            if now >= until || stopping.calls_left.iter().all(|c| c.load(Ordering::Relaxed) == 0) {
                return shard.snapshot();
            }
        }
        if !busy && inboxes[id].is_empty() {
            let wait = shard.ep.next_deadline().map_or(MAX_SLEEP, |d| d.saturating_duration_since(Instant::now()));
            let _ = wait_readable(shard.io.fd(), inboxes[id].fd(), wait.min(MAX_SLEEP));
        }
    }
}

/// Blocks until the socket or the eventfd is readable, or `timeout` passes.
fn wait_readable(socket: i32, wake: i32, timeout: Duration) -> io::Result<()> {
    let mut fds = [
        libc::pollfd { fd: socket, events: libc::POLLIN, revents: 0 },
        libc::pollfd { fd: wake, events: libc::POLLIN, revents: 0 },
    ];
    let ts = libc::timespec { tv_sec: timeout.as_secs() as libc::time_t, tv_nsec: timeout.subsec_nanos().into() };
    // SAFETY: two live pollfd entries and a live timespec; no signal mask change.
    let n = unsafe { libc::ppoll(fds.as_mut_ptr(), 2, &ts, std::ptr::null()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
