//! Overload control of one shard: when datagrams keep waiting unread behind the ones being
//! handled, the shard is offered more than it can do, and it sheds new calls (503 with
//! Retry-After before any state is made, `transaction/refuse.rs`) so that what it admitted
//! still completes. Without this, the queue grows until clients retransmit, the
//! retransmissions are more work still, and calls fail whichever they are.
//!
//! The signal is what the kernel holds unread in the SIP sockets (`SO_MEMINFO`), asked at
//! most once a millisecond. A queue above `backlog` bytes at one look is a burst; one that
//! stays above it for `onset` and is no shorter at the end of that time than at its start is
//! overload. A queue that is draining is not: after a stall (the host taking the core away
//! for 20 ms, a burst of retransmissions) a shard at 80 % of its capacity drains its queue
//! with the 20 % it has to spare, which takes four times as long as the stall, and shedding
//! then would refuse calls it can take. Shedding stops at the first look that finds the
//! queue below `backlog` again, so the delay a new call sees stays within a few times `onset`, far
//! below the 500 ms at which clients start retransmitting (RFC 3261 Timer A). No rate is
//! estimated: shedding is cheap work, so while it is on the queue drains, and the share of
//! calls admitted settles where the shard keeps up. (A first version watched the io_uring
//! buffer ring running dry instead; it never did: a multishot receive takes a few dozen
//! datagrams per turn and leaves the rest in the socket, which is where the queue builds.)

use std::time::{Duration, Instant};

/// How often the socket queues are looked at, at most.
const LOOK_EVERY: Duration = Duration::from_millis(1);

/// When a shard sheds new calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverloadConfig {
    /// How long the queue must stay above `backlog` before shedding starts.
    pub onset: Duration,
    /// Bytes waiting in the SIP sockets (as the kernel counts them, 1-2 KiB a small datagram)
    /// above which datagrams are queueing rather than arriving.
    pub backlog: usize,
}

impl Default for OverloadConfig {
    fn default() -> OverloadConfig {
        OverloadConfig { onset: Duration::from_millis(10), backlog: 256 << 10 }
    }
}

/// Decides, once per loop turn, whether new calls are shed.
#[derive(Debug)]
pub struct Overload {
    /// `None`: never shed.
    cfg: Option<OverloadConfig>,
    last_look: Option<Instant>,
    /// Since when every look has found a queue, and how long it was then: the start of the
    /// window at whose end the queue must not have shrunk.
    backlog_since: Option<(Instant, usize)>,
    shedding: bool,
    /// Times shedding started.
    pub episodes: u64,
    /// Time spent shedding, summed.
    pub shed_time: Duration,
    /// When the current episode started.
    started: Option<Instant>,
    /// What the last look found waiting, bytes.
    pub last_queue: usize,
}

impl Overload {
    pub fn new(cfg: Option<OverloadConfig>) -> Overload {
        let shed_time = Duration::ZERO;
        Overload {
            cfg,
            last_look: None,
            backlog_since: None,
            shedding: false,
            episodes: 0,
            shed_time,
            started: None,
            last_queue: 0,
        }
    }

    /// After a loop turn: looks at the queue (`waiting` bytes) if a millisecond has passed
    /// since the last look, and returns whether new calls are shed from now on.
    pub fn on_turn(&mut self, waiting: impl FnOnce() -> usize, now: Instant) -> bool {
        let Some(OverloadConfig { onset, backlog }) = self.cfg else { return false };
        if self.last_look.is_some_and(|t| now.saturating_duration_since(t) < LOOK_EVERY) {
            return self.shedding;
        }
        self.last_look = Some(now);
        let queue = waiting();
        self.last_queue = queue;
        let (since, at_start) = match (queue >= backlog, self.backlog_since) {
            (false, _) => (None, 0),
            (true, None) => (Some(now), queue),
            (true, Some((since, at_start))) => (Some(since), at_start),
        };
        let window_over = since.is_some_and(|since| now.saturating_duration_since(since) >= onset);
        // While shedding, the window never restarts: it goes on until the queue is short.
        let shed = window_over && (self.shedding || queue >= at_start);
        // A window that ends with the queue drained a little starts the next one from here.
        self.backlog_since = since.map(|s| if window_over && !shed { (now, queue) } else { (s, at_start) });
        match (self.shedding, shed) {
            (false, true) => {
                self.episodes += 1;
                self.started = Some(now);
            }
            (true, false) => {
                self.shed_time += self.started.take().map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
            }
            _ => {}
        }
        self.shedding = shed;
        shed
    }

    /// Whether the shard sheds at all.
    pub fn is_on(&self) -> bool {
        self.cfg.is_some()
    }

    /// Whether new calls are shed now: the shard tells its endpoint when this changes.
    pub fn shedding(&self) -> bool {
        self.shedding
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_burst_is_not_overload_but_a_lasting_backlog_is() {
        let t0 = Instant::now();
        let mut o = Overload::new(Some(OverloadConfig { onset: 10 * MS, backlog: 1000 }));
        let (full, low) = (|| 1000, || 999);
        assert!(!o.on_turn(full, t0));
        assert!(!o.on_turn(full, t0 + 5 * MS));
        assert!(!o.on_turn(low, t0 + 6 * MS), "a short queue ends the backlog");
        assert!(!o.on_turn(full, t0 + 12 * MS), "a new backlog starts its own clock");
        assert!(!o.on_turn(full, t0 + 21 * MS));
        assert!(o.on_turn(full, t0 + 22 * MS));
        assert!(o.on_turn(|| panic!("looked again within a millisecond"), t0 + 22 * MS + MS / 2));
        assert!(o.on_turn(full, t0 + 30 * MS));
        assert!(!o.on_turn(low, t0 + 32 * MS), "shedding stops once the queue is short");
        assert_eq!((o.episodes, o.shed_time), (1, 10 * MS));
    }

    #[test]
    fn a_draining_queue_is_not_overload_but_one_that_stops_draining_is() {
        let t0 = Instant::now();
        let mut o = Overload::new(Some(OverloadConfig { onset: 10 * MS, backlog: 1000 }));
        for ms in 0..=30 {
            let queue = 10_000 - 100 * ms as usize; // a stall's queue, drained by the spare capacity
            assert!(!o.on_turn(|| queue, t0 + ms * MS), "shed at {ms} ms while draining");
        }
        // It stops shrinking: the window that starts at 30 ms ends at 40 ms no shorter.
        assert!(!o.on_turn(|| 7_000, t0 + 35 * MS));
        assert!(o.on_turn(|| 7_000, t0 + 40 * MS));
        assert!(o.on_turn(|| 5_000, t0 + 45 * MS), "once shedding, a shrinking queue still sheds");
        assert!(!o.on_turn(|| 999, t0 + 46 * MS));
    }

    #[test]
    fn without_an_onset_nothing_is_shed() {
        let t0 = Instant::now();
        let mut o = Overload::new(None);
        assert!(!o.on_turn(|| usize::MAX, t0));
        assert!(!o.on_turn(|| usize::MAX, t0 + Duration::from_secs(10)));
        assert_eq!(o.episodes, 0);
    }
}
