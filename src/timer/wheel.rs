//! A hashed timer wheel: O(1) arm and cancel, expiry by walking the slots the clock passed.
//!
//! Every SIP timer (A to M, the 100 Trying delay, 2xx retransmission, ring delays) of a shard
//! lives in one wheel. Deadlines are rounded up to the next tick, so a timer never fires early.
//! Time is an argument: the wheel never reads a clock.

use std::cell::Cell;
use std::time::{Duration, Instant};

use super::slab::{GenSlab, Handle};

/// A timer that can be cancelled.
pub type TimerId = Handle;

struct Entry<T> {
    tick: u64,
    value: T,
    slot: u32,
    prev: Option<TimerId>,
    next: Option<TimerId>,
}

/// The wheel. `T` is what a timer carries back when it fires (usually a small key).
pub struct TimerWheel<T> {
    origin: Instant,
    resolution: Duration,
    /// Every tick up to and including this one has been expired.
    done_tick: u64,
    heads: Vec<Option<TimerId>>,
    entries: GenSlab<Entry<T>>,
    /// The capacity asked for at creation: never released below it.
    entries_reserved: usize,
    /// The last answer of [`TimerWheel::next_deadline`]'s slot scan, kept until the clock
    /// passes it (arming earlier lowers it; a cancel leaves it, a lower bound still). The
    /// runtime asks every loop turn, and a scan over quiet slots costs microseconds.
    nearest: Cell<Option<u64>>,
}

impl<T> TimerWheel<T> {
    /// A wheel of `slots` slots (rounded up to a power of two) of `resolution` each,
    /// starting at `origin`.
    pub fn new(origin: Instant, resolution: Duration, slots: usize) -> Self {
        TimerWheel::with_capacity(origin, resolution, slots, 0)
    }

    /// A wheel with room for `timers` armed timers before its storage has to grow (growing
    /// copies every entry at once, a stall under load).
    pub fn with_capacity(origin: Instant, resolution: Duration, slots: usize, timers: usize) -> Self {
        let slots = slots.max(2).next_power_of_two();
        TimerWheel {
            origin,
            resolution,
            done_tick: 0,
            heads: vec![None; slots],
            entries: GenSlab::with_capacity(timers),
            entries_reserved: timers,
            nearest: Cell::new(None),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn nanos_since_origin(&self, at: Instant) -> (u128, u128) {
        (at.saturating_duration_since(self.origin).as_nanos(), self.resolution.as_nanos().max(1))
    }

    /// The first tick at or after `at`: a timer never fires early.
    fn tick_at_or_after(&self, at: Instant) -> u64 {
        let (nanos, res) = self.nanos_since_origin(at);
        nanos.div_ceil(res) as u64
    }

    /// The last tick at or before `now`: every tick up to it is due.
    fn tick_at_or_before(&self, now: Instant) -> u64 {
        let (nanos, res) = self.nanos_since_origin(now);
        (nanos / res) as u64
    }

    fn instant_of(&self, tick: u64) -> Instant {
        let nanos = (self.resolution.as_nanos() as u64).saturating_mul(tick);
        self.origin + Duration::from_nanos(nanos)
    }

    /// Arms a timer for `at`; a time already past fires on the next [`TimerWheel::expire`].
    pub fn arm(&mut self, at: Instant, value: T) -> TimerId {
        let tick = self.tick_at_or_after(at).max(self.done_tick + 1);
        let slot = (tick as usize & (self.heads.len() - 1)) as u32;
        let next = self.heads[slot as usize];
        let id = self.entries.insert(Entry { tick, value, slot, prev: None, next });
        if let Some(e) = next.and_then(|n| self.entries.get_mut(n)) {
            e.prev = Some(id);
        }
        self.heads[slot as usize] = Some(id);
        if self.nearest.get().is_some_and(|n| tick < n) {
            self.nearest.set(Some(tick));
        }
        id
    }

    /// Cancels a timer; `None` when it already fired or was cancelled.
    pub fn cancel(&mut self, id: TimerId) -> Option<T> {
        let entry = self.entries.remove(id)?;
        match entry.prev.and_then(|p| self.entries.get_mut(p)) {
            Some(prev) => prev.next = entry.next,
            None => self.heads[entry.slot as usize] = entry.next,
        }
        if let Some(next) = entry.next.and_then(|n| self.entries.get_mut(n)) {
            next.prev = entry.prev;
        }
        Some(entry.value)
    }

    /// Fires every timer due at `now`, calling `fire` with each value, in tick order (within
    /// one revolution of the wheel; after a longer pause, overdue timers fire in slot order).
    pub fn expire(&mut self, now: Instant, mut fire: impl FnMut(T)) {
        let now_tick = self.tick_at_or_before(now);
        if now_tick <= self.done_tick {
            return;
        }
        // One revolution visits every slot; a longer gap needs no more than that.
        let last = now_tick.min(self.done_tick + self.heads.len() as u64);
        if !self.entries.is_empty() {
            for tick in self.done_tick + 1..=last {
                let slot = tick as usize & (self.heads.len() - 1);
                let mut cursor = self.heads[slot];
                while let Some(id) = cursor {
                    let Some(entry) = self.entries.get(id) else { break };
                    cursor = entry.next;
                    if entry.tick <= now_tick {
                        if let Some(value) = self.cancel(id) {
                            fire(value);
                        }
                    }
                }
            }
        }
        self.done_tick = now_tick;
        if self.nearest.get().is_some_and(|n| n <= now_tick) {
            self.nearest.set(None);
        }
        self.entries.release_if_empty(self.entries_reserved.max(1024));
    }

    /// A lower bound for the next deadline: the tick of the nearest non-empty slot within
    /// one revolution. `None` when no timer is armed. The runtime sleeps until then.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.entries.is_empty() {
            return None;
        }
        if let Some(tick) = self.nearest.get() {
            return Some(self.instant_of(tick));
        }
        let n = self.heads.len() as u64;
        let tick =
            (self.done_tick + 1..=self.done_tick + n).find(|t| self.heads[*t as usize & (n as usize - 1)].is_some());
        self.nearest.set(tick);
        tick.map(|t| self.instant_of(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn fired(w: &mut TimerWheel<u32>, now: Instant) -> Vec<u32> {
        let mut v = Vec::new();
        w.expire(now, |x| v.push(x));
        v
    }

    #[test]
    fn fires_in_order_never_early() {
        let t0 = Instant::now();
        let mut w = TimerWheel::new(t0, ms(1), 64);
        w.arm(t0 + ms(5), 5);
        w.arm(t0 + Duration::from_micros(2500), 3);
        w.arm(t0 + ms(1), 1);
        assert_eq!(fired(&mut w, t0 + Duration::from_micros(999)), Vec::<u32>::new());
        assert_eq!(fired(&mut w, t0 + ms(2)), [1]);
        assert_eq!(fired(&mut w, t0 + ms(10)), [3, 5]);
        assert!(w.is_empty());
        assert_eq!(w.next_deadline(), None);
    }

    #[test]
    fn the_remembered_next_deadline_follows_arms_and_expiry() {
        let t0 = Instant::now();
        let mut w = TimerWheel::new(t0, ms(1), 64);
        let late = w.arm(t0 + ms(50), 50);
        assert_eq!(w.next_deadline(), Some(t0 + ms(50)));
        w.arm(t0 + ms(20), 20);
        assert_eq!(w.next_deadline(), Some(t0 + ms(20)), "an earlier timer lowers it");
        assert_eq!(fired(&mut w, t0 + ms(30)), [20]);
        assert_eq!(w.next_deadline(), Some(t0 + ms(50)), "found again once the clock passed it");
        w.cancel(late);
        w.arm(t0 + ms(70), 70);
        // A cancel leaves a lower bound: waking at 50 is early, never late.
        assert!(w.next_deadline().is_some_and(|d| d <= t0 + ms(70)));
        assert_eq!(fired(&mut w, t0 + ms(50)), Vec::<u32>::new());
        assert_eq!(w.next_deadline(), Some(t0 + ms(70)));
    }

    #[test]
    fn cancel_and_long_timers_across_revolutions() {
        let t0 = Instant::now();
        let mut w = TimerWheel::new(t0, ms(1), 16);
        let a = w.arm(t0 + ms(3), 1);
        w.arm(t0 + ms(3), 2);
        w.arm(t0 + ms(40), 40);
        assert_eq!(w.cancel(a), Some(1));
        assert_eq!(w.cancel(a), None);
        assert_eq!(w.next_deadline(), Some(t0 + ms(3)));
        assert_eq!(fired(&mut w, t0 + ms(20)), [2]);
        assert_eq!(fired(&mut w, t0 + ms(39)), Vec::<u32>::new());
        assert_eq!(fired(&mut w, t0 + ms(40)), [40]);
        // A past deadline fires at the next expiry, not before the clock moves on.
        w.arm(t0, 7);
        assert_eq!(fired(&mut w, t0 + ms(41)), [7]);
    }

    #[test]
    fn a_long_pause_fires_everything_due() {
        let t0 = Instant::now();
        let mut w = TimerWheel::new(t0, ms(1), 8);
        for i in 0..100u32 {
            w.arm(t0 + ms(u64::from(i) * 7), i);
        }
        let mut all = fired(&mut w, t0 + ms(10_000));
        all.sort();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }
}
