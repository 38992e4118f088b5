//! What a receiver knows about one RTP source: which packets count (RFC 3550 A.1, in
//! `sequence.rs`), packets lost (A.3), interarrival jitter (A.8) and bytes.

use std::time::Instant;

use super::sequence::{Arrival, Sequence};

/// Receive state of one source (SSRC). Time comes in as `now` and is turned into the
/// source's timestamp units with its clock rate (8 000 for G.711), as A.8 needs.
#[derive(Clone, Debug)]
pub struct ReceiveStream {
    ssrc: u32,
    clock_rate: u32,
    epoch: Instant,
    pub sequence: Sequence,
    restarts_seen: u64,
    expected_prior: u32,
    received_prior: u32,
    transit: Option<u32>,
    /// A.8's jitter, in timestamp units times 16.
    jitter: u32,
    /// Payload bytes of the packets counted.
    pub bytes: u64,
}

/// The loss figures a report block carries (RFC 3550 6.4.1), since the previous report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LossReport {
    /// Lost share of the packets expected since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Expected minus received since the start, in 24 signed bits (RFC 3550 6.4.1).
    pub cumulative_lost: i32,
    /// The highest sequence number received, with its wrap count above it.
    pub extended_highest: u32,
}

impl ReceiveStream {
    /// A source heard for the first time at `now`, its first packet `seq`.
    pub fn new(ssrc: u32, seq: u16, clock_rate: u32, now: Instant) -> ReceiveStream {
        ReceiveStream {
            ssrc,
            clock_rate: clock_rate.max(1),
            epoch: now,
            sequence: Sequence::new(seq),
            restarts_seen: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter: 0,
            bytes: 0,
        }
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Counts one packet of this source and, for a packet in order, updates the jitter.
    pub fn on_packet(&mut self, seq: u16, timestamp: u32, payload_len: usize, now: Instant) -> Arrival {
        let arrival = self.sequence.update(seq);
        if self.sequence.restarts != self.restarts_seen {
            // A new sequence from the same source: its timestamps start afresh too.
            self.restarts_seen = self.sequence.restarts;
            (self.expected_prior, self.received_prior, self.transit) = (0, 0, None);
        }
        if arrival == Arrival::InOrder {
            self.update_jitter(timestamp, now);
        }
        if matches!(arrival, Arrival::InOrder | Arrival::Late) {
            self.bytes += payload_len as u64;
        }
        arrival
    }

    fn update_jitter(&mut self, timestamp: u32, now: Instant) {
        let elapsed = now.saturating_duration_since(self.epoch).as_nanos();
        let arrival = (elapsed * u128::from(self.clock_rate) / 1_000_000_000) as u32;
        let transit = arrival.wrapping_sub(timestamp);
        if let Some(previous) = self.transit {
            // Differences of wrapping 32-bit times, read as signed.
            let d = (transit.wrapping_sub(previous) as i32).unsigned_abs();
            // A.8 in integers: J += (|D| - J) / 16, J kept times 16.
            self.jitter = self.jitter.wrapping_add(d).wrapping_sub((self.jitter + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    /// Packets counted (in order or late, not duplicates) since the source was believed.
    pub fn received(&self) -> u32 {
        self.sequence.received()
    }

    /// The highest sequence number with its wrap count.
    pub fn extended_highest(&self) -> u32 {
        self.sequence.extended_highest()
    }

    /// Packets expected from the first to the highest, minus those received (A.3).
    pub fn lost(&self) -> i64 {
        i64::from(self.sequence.expected()) - i64::from(self.received())
    }

    /// Interarrival jitter in timestamp units, as a report block carries it.
    pub fn jitter(&self) -> u32 {
        self.jitter >> 4
    }

    /// Interarrival jitter in milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        f64::from(self.jitter) / 16.0 * 1000.0 / f64::from(self.clock_rate)
    }

    /// The loss figures for a report sent now (A.3), and the start of the next interval.
    pub fn loss_report(&mut self) -> LossReport {
        let expected = self.sequence.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        let received_interval = self.received().wrapping_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received();
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = match expected_interval {
            0 => 0,
            _ if lost_interval <= 0 => 0,
            n => ((lost_interval << 8) / i64::from(n)).min(255) as u8,
        };
        LossReport {
            fraction_lost,
            cumulative_lost: self.lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            extended_highest: self.extended_highest(),
        }
    }
}
