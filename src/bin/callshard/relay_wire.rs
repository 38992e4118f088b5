//! What the relay does to the datagrams of one direction, without sockets: drop, duplicate,
//! hold back to reorder, each decided by a seeded generator, so a test can check the rules
//! on a virtual clock and a run can be repeated with its seed.

use std::time::{Duration, Instant};

/// What happened to one direction's datagrams. `forwarded` counts every copy sent, so at the
/// end `forwarded == received - dropped + duplicated`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub received: u64,
    pub forwarded: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub reordered: u64,
}

/// A datagram held back: its bytes, how many copies to send, when it goes at the latest.
struct Held {
    data: Vec<u8>,
    copies: u8,
    until: Instant,
}

/// The impairment of one direction: percentages and the one datagram it may be holding.
pub struct Impair {
    drop: f64,
    duplicate: f64,
    reorder: f64,
    hold: Duration,
    held: Option<Held>,
    rng: SplitMix64,
    pub counts: Counts,
}

impl Impair {
    /// Percentages (0-100) of datagrams dropped, duplicated and reordered; `hold` is the
    /// longest a reordered datagram waits for the next one to overtake it.
    pub fn new((drop, duplicate, reorder): (f64, f64, f64), hold: Duration, seed: u64) -> Impair {
        let rng = SplitMix64(seed);
        Impair { drop, duplicate, reorder, hold, held: None, rng, counts: Counts::default() }
    }

    /// A datagram arrived at `now`: appends what to send now, in order, to `out`. A kept
    /// datagram may be held back (when none is held already); otherwise it goes out, and a
    /// held one goes right after it: the new datagram overtook it.
    pub fn on_datagram(&mut self, data: &[u8], now: Instant, out: &mut Vec<Vec<u8>>) {
        self.counts.received += 1;
        // Three draws per datagram whatever the outcome, so one choice never shifts the others.
        let (drop, dup, reorder) =
            (self.rng.chance(self.drop), self.rng.chance(self.duplicate), self.rng.chance(self.reorder));
        if drop {
            self.counts.dropped += 1;
            return;
        }
        let copies = if dup { 2 } else { 1 };
        self.counts.duplicated += u64::from(dup);
        if reorder && self.held.is_none() {
            self.counts.reordered += 1;
            self.held = Some(Held { data: data.to_vec(), copies, until: now + self.hold });
            return;
        }
        self.emit(data.to_vec(), copies, out);
        if let Some(h) = self.held.take() {
            self.emit(h.data, h.copies, out);
        }
    }

    /// Releases a held datagram whose time is up.
    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<Vec<u8>>) {
        if self.held.as_ref().is_some_and(|h| h.until <= now) {
            self.flush(out);
        }
    }

    /// Sends what is held, whatever the time (at the end of a run).
    pub fn flush(&mut self, out: &mut Vec<Vec<u8>>) {
        if let Some(h) = self.held.take() {
            self.emit(h.data, h.copies, out);
        }
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.held.as_ref().map(|h| h.until)
    }

    fn emit(&mut self, data: Vec<u8>, copies: u8, out: &mut Vec<Vec<u8>>) {
        self.counts.forwarded += u64::from(copies);
        if copies > 1 {
            out.push(data.clone());
        }
        out.push(data);
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): tiny, seedable, good enough to pick datagrams.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: f64) -> bool {
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        unit * 100.0 < percent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOLD: Duration = Duration::from_millis(20);

    fn run(imp: &mut Impair, n: u32) -> Vec<Vec<u8>> {
        let (now, mut out) = (Instant::now(), Vec::new());
        for i in 0..n {
            imp.on_datagram(&i.to_be_bytes(), now, &mut out);
        }
        imp.flush(&mut out);
        out
    }

    #[test]
    fn shares_are_kept_and_counted() {
        let mut imp = Impair::new((5.0, 2.0, 3.0), HOLD, 7);
        let out = run(&mut imp, 20_000);
        let c = imp.counts;
        assert_eq!(c.received, 20_000);
        assert!((800..1200).contains(&c.dropped), "{c:?}");
        assert!((250..550).contains(&c.duplicated), "{c:?}");
        assert!((350..750).contains(&c.reordered), "{c:?}");
        assert_eq!(c.forwarded, c.received - c.dropped + c.duplicated);
        assert_eq!(out.len() as u64, c.forwarded);
    }

    #[test]
    fn the_same_seed_makes_the_same_choices() {
        let a = run(&mut Impair::new((5.0, 5.0, 5.0), HOLD, 42), 1000);
        assert_eq!(a, run(&mut Impair::new((5.0, 5.0, 5.0), HOLD, 42), 1000));
        assert_ne!(a, run(&mut Impair::new((5.0, 5.0, 5.0), HOLD, 43), 1000));
    }

    #[test]
    fn a_held_datagram_goes_after_the_next_or_at_its_time() {
        let now = Instant::now();
        let mut imp = Impair::new((0.0, 0.0, 100.0), HOLD, 1);
        let mut out = Vec::new();
        imp.on_datagram(b"1", now, &mut out);
        assert!(out.is_empty());
        imp.on_datagram(b"2", now, &mut out);
        assert_eq!(out, [b"2".to_vec(), b"1".to_vec()]);
        out.clear();
        imp.on_datagram(b"3", now, &mut out);
        assert_eq!(imp.next_deadline(), Some(now + HOLD));
        imp.on_timer(now + HOLD / 2, &mut out);
        assert!(out.is_empty());
        imp.on_timer(now + HOLD, &mut out);
        assert_eq!(out, [b"3".to_vec()]);
    }

    #[test]
    fn everything_dropped_or_everything_doubled() {
        let mut imp = Impair::new((100.0, 0.0, 0.0), HOLD, 1);
        assert!(run(&mut imp, 100).is_empty());
        let mut imp = Impair::new((0.0, 100.0, 0.0), HOLD, 1);
        assert_eq!(run(&mut imp, 100).len(), 200);
    }
}
