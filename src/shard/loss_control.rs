//! What a shard asks of clients that can hold back new calls (RFC 7339, loss algorithm): the
//! share of their new calls not to send, decided once a `PERIOD` from what the shard did.
//!
//! Shedding (`overload.rs`) keeps admitted calls completing, but each INVITE it refuses
//! still costs the shard three datagrams; a client that holds the excess back costs it
//! nothing. The share is what the offer exceeds the shard's capacity by: 1 − `TARGET` ×
//! capacity / offer, per period. The offer is what arrived over the part the clients were
//! let send. The capacity is learnt from shedding: in a period in which the shard shed, it
//! was busy throughout, with the INVITEs it admitted and the ones it refused at `REFUSAL` of
//! a call each. In a quiet period (nothing shed, nothing waiting in the sockets) it is
//! believed to take at least `GROWTH` more than it admitted, so a low estimate is outgrown
//! within a second or two while one at capacity (admitting no more as the share falls)
//! stays put; a period that ends with a queue waiting lowers it by `BACKOFF`. Both
//! estimates are smoothed: what arrives lags what was asked by the time the queue takes.
//!
//! Clients that cannot hold back (SIPp) do not ask, are told nothing, and are shed as before.

use std::time::{Duration, Instant};

use crate::sip::overload_control::Advice;

/// How often the share is decided.
const PERIOD: Duration = Duration::from_millis(100);
/// How much more than it admitted in a quiet period the shard is believed to take: the
/// clients are let send that much more, and a shard that admits no more is at capacity.
const GROWTH: f64 = 0.05;
/// What refusing an INVITE costs, as a share of a call: its INVITE, 503 and ACK are three of
/// a call's seven datagrams, and the kernel's work per datagram dominates (measured with
/// `perf/overload.sh`: 0.20-0.26).
const REFUSAL: f64 = 0.25;
/// How much less the shard is believed to take after a period that ends with a queue in its
/// sockets but nothing shed: the clients send too much, and cutting them back now lets the
/// queue drain before it is long enough to shed.
const BACKOFF: f64 = 0.1;
/// How far a new measurement moves an estimate.
const SMOOTHING: f64 = 0.5;
/// The share of the capacity the clients are let fill, so that a queue does not build.
const TARGET: f64 = 0.95;
/// The most that is ever asked: some calls always come, so the shard sees the offer.
const MOST: f64 = 0.95;
/// How long a word holds at the client (`oc-validity`): a few periods, so that a client
/// that stops hearing from us (no calls, the shard stalled) soon sends in full again.
const VALIDITY_MS: u32 = 500;

/// The share asked and what it was decided from.
#[derive(Clone, Debug)]
pub struct LossControl {
    on: bool,
    period_start: Option<Instant>,
    /// Admitted and shed INVITEs, as counted at the start of the period.
    counted: (u64, u64),
    /// The share asked, 0.0-`MOST`, and the one before it.
    share: f64,
    earlier_share: f64,
    /// Calls a period the shard is believed to take; `None` until it first shed.
    capacity: Option<f64>,
    /// New calls a period the clients offer, smoothed.
    offer: Option<f64>,
    /// Whether responses carry a word now.
    saying: bool,
    /// When the share last fell to zero: zero is still said for one validity, so that
    /// clients hear it, then nothing.
    zero_since: Option<Instant>,
}

impl LossControl {
    /// `on`: the shard sheds at all (`--overload-onset-ms` above 0).
    pub fn new(on: bool) -> LossControl {
        LossControl {
            on,
            period_start: None,
            counted: (0, 0),
            share: 0.0,
            earlier_share: 0.0,
            capacity: None,
            offer: None,
            saying: false,
            zero_since: None,
        }
    }

    /// After a loop turn: at the end of a period, from the admitted and shed INVITEs so far
    /// (`counts`) and the bytes the last look found waiting, the new word, if it changed
    /// (`Some(None)`: say nothing any more). `wall_ms` is the time for `oc-seq`.
    pub fn on_turn(
        &mut self,
        now: Instant,
        counts: impl FnOnce() -> (u64, u64),
        queue: usize,
        wall_ms: impl FnOnce() -> u64,
    ) -> Option<Option<Advice>> {
        let start = *self.period_start.get_or_insert(now);
        if !self.on || now.saturating_duration_since(start) < PERIOD {
            return None;
        }
        self.period_start = Some(now);
        let (admitted, shed) = counts();
        let (a, s) = ((admitted - self.counted.0) as f64, (shed - self.counted.1) as f64);
        self.counted = (admitted, shed);
        // What arrives lags what was asked by the queue, so both estimates are smoothed.
        // What arrived in this period was sent under the last two periods' words.
        let offer = (a + s) / (1.0 - (self.share + self.earlier_share) / 2.0);
        self.earlier_share = self.share;
        self.offer = self.offer.map_or(offer, |o| o + SMOOTHING * (offer - o)).into();
        let offer = self.offer.unwrap_or(offer);
        self.capacity = match (s > 0.0, queue > 0, self.capacity) {
            (true, _, c) => Some(c.map_or(a + REFUSAL * s, |c| c + SMOOTHING * (a + REFUSAL * s - c))),
            (false, true, c) => c.map(|c| c * (1.0 - BACKOFF)),
            (false, false, c) => c.map(|c| c.max(a * (1.0 + GROWTH) / TARGET)),
        };
        self.share = match self.capacity {
            Some(c) if offer > 0.0 => (1.0 - TARGET * c / offer).clamp(0.0, MOST),
            _ => 0.0,
        };
        let percent = self.percent();
        tracing::debug!(admitted = a, shed = s, queue, offer, capacity = self.capacity, percent, "overload control");
        if percent == 0 {
            if !self.saying {
                return None;
            }
            let since = *self.zero_since.get_or_insert(now);
            if now.saturating_duration_since(since) >= Duration::from_millis(VALIDITY_MS.into()) {
                (self.saying, self.zero_since) = (false, None);
                return Some(None);
            }
        }
        (self.saying, self.zero_since) = (true, self.zero_since.filter(|_| percent == 0));
        Some(Some(Advice { reduce_pct: percent, validity_ms: VALIDITY_MS, seq_ms: wall_ms() }))
    }

    /// The share asked, in whole percent.
    pub fn percent(&self) -> u8 {
        (self.share * 100.0).round() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(word: Option<Option<Advice>>) -> Option<u8> {
        word.flatten().map(|a| a.reduce_pct)
    }

    /// A shard that takes `capacity` calls a period, refusing at `REFUSAL` of a call each
    /// what it cannot take, offered `offer` a period by clients that obey the last word.
    /// Returns the calls it admitted in each period and the INVITEs it shed in all.
    fn run(c: &mut LossControl, t: &mut Instant, periods: usize, offer: f64, capacity: f64) -> (Vec<f64>, f64) {
        let (mut admitted, mut shed_total) = (Vec::new(), 0.0);
        let mut counted = c.counted;
        for _ in 0..periods {
            let arrivals = offer * (1.0 - f64::from(c.percent()) / 100.0);
            let (a, s) = match arrivals <= capacity {
                true => (arrivals, 0.0),
                false => {
                    let a = ((capacity - REFUSAL * arrivals) / (1.0 - REFUSAL)).max(0.0);
                    (a, arrivals - a)
                }
            };
            counted = (counted.0 + a as u64, counted.1 + s as u64);
            admitted.push(a);
            shed_total += s;
            *t += PERIOD;
            c.on_turn(*t, || counted, usize::from(s > 0.0), || 1);
        }
        (admitted, shed_total)
    }

    #[test]
    fn at_three_times_capacity_the_clients_send_about_what_the_shard_takes() {
        let mut t = Instant::now();
        let mut c = LossControl::new(true);
        c.on_turn(t, || (0, 0), 0, || 1);
        let (_, shed) = run(&mut c, &mut t, 20, 900.0, 300.0);
        assert!(shed > 0.0, "it sheds until the clients hear");
        // The second second: the clients are held to about what the shard takes.
        let (admitted, shed) = run(&mut c, &mut t, 10, 900.0, 300.0);
        let mean = admitted.iter().sum::<f64>() / admitted.len() as f64;
        assert!(mean >= 0.85 * 300.0, "admitted {mean:.0} of 300 a period: {admitted:?}");
        assert!(shed < 0.1 * 9.0 * 300.0, "shed {shed:.0} in a second");
        assert!((60..=75).contains(&c.percent()), "asked {} %", c.percent());
        // The offer falls to half the capacity: nothing is asked within half a second, zero is
        // said for a validity, then nothing.
        let mut words = Vec::new();
        for _ in 0..5 {
            t += PERIOD;
            let counted = (c.counted.0 + 150, c.counted.1);
            words.push(c.on_turn(t, || counted, 0, || 2));
        }
        assert!(words.iter().any(|w| pct(*w) == Some(0)), "{words:?}");
        let (_, shed) = run(&mut c, &mut t, 10, 150.0, 300.0);
        assert_eq!(shed, 0.0);
        assert!(!c.saying, "the word of 0 % stopped after its validity");
    }

    #[test]
    fn a_queue_without_shedding_asks_for_more_and_a_quiet_period_for_less() {
        let mut t = Instant::now();
        let mut c = LossControl::new(true);
        c.on_turn(t, || (0, 0), 0, || 1);
        run(&mut c, &mut t, 20, 900.0, 300.0);
        let (before, counted) = (c.percent(), c.counted);
        // The same arrivals, once with a queue left in the sockets and once without.
        let mut queued = LossControl { counted, ..c.clone() };
        let arrivals = (counted.0 + 340, counted.1);
        let with_queue = pct(queued.on_turn(t + PERIOD, || arrivals, 4_096, || 2)).unwrap();
        let quiet = pct(c.on_turn(t + PERIOD, || arrivals, 0, || 2)).unwrap();
        assert!(with_queue > before && quiet < before, "{before} % -> {with_queue} % / {quiet} %");
    }

    #[test]
    fn the_share_is_bounded_and_off_means_silent() {
        let t0 = Instant::now();
        let mut c = LossControl::new(true);
        c.on_turn(t0, || (0, 0), 0, || 1);
        // Everything shed, period after period: the share climbs to the most ever asked.
        let shed = |i: u32| u64::from(i) * 50_000;
        let asked: Vec<_> = (1..=6).map(|i| pct(c.on_turn(t0 + i * PERIOD, || (0, shed(i)), 0, || 2))).collect();
        assert!(asked.windows(2).all(|w| w[0] <= w[1]), "{asked:?}");
        assert_eq!(asked.last(), Some(&Some(95)), "{asked:?}");
        let mut off = LossControl::new(false);
        off.on_turn(t0, || (0, 0), 0, || 1);
        assert_eq!(off.on_turn(t0 + PERIOD, || (0, 5_000), 0, || 2), None);
    }
}
