//! Receive statistics of one RTP source (RFC 3550 A.1, A.3, A.8): sequence wraps, loss,
//! late and duplicate packets, restarts, and jitter across the timestamp wrap.

use std::time::{Duration, Instant};

use callshard::rtp::{Arrival, ReceiveStream};
use proptest::prelude::*;

const SSRC: u32 = 7;
const FRAME: Duration = Duration::from_millis(20);

/// A G.711 sender at 20 ms: packet `i` has sequence `seq0 + i` and timestamp `ts0 + 160 i`.
struct Sender {
    seq0: u16,
    ts0: u32,
    start: Instant,
}

impl Sender {
    fn seq(&self, i: u32) -> u16 {
        self.seq0.wrapping_add(i as u16)
    }
    fn ts(&self, i: u32) -> u32 {
        self.ts0.wrapping_add(160 * i)
    }
    /// Packet `i` arriving `late` after its due time.
    fn deliver(&self, s: &mut ReceiveStream, i: u32, late: Duration) -> Arrival {
        s.on_packet(self.seq(i), self.ts(i), 160, self.start + FRAME * i + late)
    }
    fn stream(&self) -> ReceiveStream {
        ReceiveStream::new(SSRC, self.seq0, 8000, self.start)
    }
}

fn sender(seq0: u16, ts0: u32) -> Sender {
    Sender { seq0, ts0, start: Instant::now() }
}

#[test]
fn a_clean_stream_across_both_wraps_has_no_loss_and_no_jitter() {
    let tx = sender(65_000, u32::MAX - 80_000);
    let mut s = tx.stream();
    assert_eq!(tx.deliver(&mut s, 0, Duration::ZERO), Arrival::Unconfirmed, "A.1 probation");
    for i in 1..3000 {
        assert_eq!(tx.deliver(&mut s, i, Duration::ZERO), Arrival::InOrder, "packet {i}");
    }
    assert_eq!(s.received(), 2999);
    assert_eq!(s.lost(), 0);
    assert_eq!(s.extended_highest(), (1 << 16) + u32::from(tx.seq(2999)));
    assert_eq!(s.jitter(), 0);
    assert_eq!(s.bytes, 2999 * 160);
    let r = s.loss_report();
    assert_eq!((r.fraction_lost, r.cumulative_lost), (0, 0));
}

#[test]
fn loss_is_reported_per_interval_and_in_total() {
    let tx = sender(100, 0);
    let mut s = tx.stream();
    // First interval: every 10th packet lost (packet 0 only ends the probation).
    for i in (0..=1000).filter(|i| i % 10 != 5) {
        tx.deliver(&mut s, i, Duration::ZERO);
    }
    assert_eq!(s.lost(), 100);
    let r = s.loss_report();
    assert_eq!(r.fraction_lost, (100 * 256 / 1000) as u8);
    assert_eq!(r.cumulative_lost, 100);
    assert_eq!(r.extended_highest, 1100);
    // Second interval: nothing lost, so the fraction is back to zero while the total stays.
    for i in 1001..1500 {
        tx.deliver(&mut s, i, Duration::ZERO);
    }
    let r = s.loss_report();
    assert_eq!((r.fraction_lost, r.cumulative_lost), (0, 100));
}

#[test]
fn late_packets_fill_their_gap_and_duplicates_count_apart() {
    let tx = sender(65_530, 0);
    let mut s = tx.stream();
    for i in 0..10 {
        tx.deliver(&mut s, i, Duration::ZERO);
    }
    // 12 arrives before 10 and 11.
    assert_eq!(tx.deliver(&mut s, 12, Duration::ZERO), Arrival::InOrder);
    assert_eq!(s.lost(), 2);
    assert_eq!(tx.deliver(&mut s, 10, Duration::ZERO), Arrival::Late);
    assert_eq!(tx.deliver(&mut s, 11, Duration::ZERO), Arrival::Late);
    assert_eq!(s.lost(), 0);
    // The same packets again, the highest and two behind it.
    assert_eq!(tx.deliver(&mut s, 12, Duration::ZERO), Arrival::Duplicate);
    assert_eq!(tx.deliver(&mut s, 10, Duration::ZERO), Arrival::Duplicate);
    assert_eq!(tx.deliver(&mut s, 3, Duration::ZERO), Arrival::Duplicate);
    assert_eq!((s.sequence.late, s.sequence.duplicates, s.lost()), (2, 3, 0));
}

#[test]
fn a_sequence_jump_is_believed_only_when_the_next_packet_follows() {
    let tx = sender(1000, 0);
    let mut s = tx.stream();
    for i in 0..50 {
        tx.deliver(&mut s, i, Duration::ZERO);
    }
    let before = s.received();
    // A stray packet far ahead is not taken as loss of thousands.
    assert_eq!(s.on_packet(30_000, 0, 160, tx.start), Arrival::Unconfirmed);
    assert_eq!(tx.deliver(&mut s, 50, Duration::ZERO), Arrival::InOrder);
    assert_eq!((s.received(), s.lost()), (before + 1, 0));
    // A sender that really restarted at 40 000: the second packet confirms it.
    assert_eq!(s.on_packet(40_000, 0, 160, tx.start), Arrival::Unconfirmed);
    assert_eq!(s.on_packet(40_001, 160, 160, tx.start), Arrival::InOrder);
    assert_eq!((s.received(), s.lost(), s.extended_highest()), (1, 0, 40_001));
    assert_eq!(s.sequence.restarts, 1);
}

#[test]
fn jitter_follows_a_8_across_the_timestamp_wrap() {
    // Every other packet 10 ms late: |D| is 80 timestamp units each time, so J tends to 80.
    let tx = sender(0, u32::MAX - 1000);
    let mut s = tx.stream();
    for i in 0..2000 {
        let late = if i % 2 == 1 { Duration::from_millis(10) } else { Duration::ZERO };
        tx.deliver(&mut s, i, late);
    }
    assert!((78..=80).contains(&s.jitter()), "jitter {}", s.jitter());
    assert!((s.jitter_ms() - 10.0).abs() < 0.3, "{} ms", s.jitter_ms());
}

proptest! {
    /// Any arrival order within A.1's misorder bound, with duplicates thrown in, ends with
    /// nothing lost and every packet after the probation counted once.
    #[test]
    fn reordered_and_duplicated_arrivals_lose_nothing(
        seq0: u16,
        swaps in proptest::collection::vec((2usize..400, 1usize..40), 0..60),
        dups in proptest::collection::vec(2usize..400, 0..20),
    ) {
        let tx = sender(seq0, 0);
        let mut order: Vec<u32> = (0..400).collect();
        for (at, by) in swaps {
            // Each packet moves once at most, so none is more than 80 behind (A.1's bound is 100).
            let other = (at + by).min(399);
            if order[at] == at as u32 && order[other] == other as u32 {
                order.swap(at, other);
            }
        }
        let mut s = tx.stream();
        let mut arrivals = Vec::new();
        for (n, &i) in order.iter().enumerate() {
            arrivals.push(tx.deliver(&mut s, i, Duration::ZERO));
            if dups.contains(&n) {
                arrivals.push(tx.deliver(&mut s, i, Duration::ZERO));
            }
        }
        let counted = arrivals.iter().filter(|a| matches!(a, Arrival::InOrder | Arrival::Late)).count();
        prop_assert_eq!(counted as u32, s.received());
        prop_assert_eq!(s.received(), 399);
        prop_assert_eq!(s.lost(), 0);
        prop_assert_eq!(s.extended_highest().wrapping_sub(u32::from(seq0)) % 65_536, 399);
    }

    #[test]
    fn any_sequence_of_numbers_keeps_the_counts_consistent(seqs in proptest::collection::vec(any::<u16>(), 1..300)) {
        let now = Instant::now();
        let mut s = ReceiveStream::new(SSRC, seqs[0], 8000, now);
        let mut counted = 0u32;
        for (i, &q) in seqs.iter().enumerate() {
            if matches!(s.on_packet(q, i as u32 * 160, 160, now + FRAME * i as u32), Arrival::InOrder | Arrival::Late) {
                counted += 1;
            }
        }
        let r = s.loss_report();
        prop_assert!(counted >= s.received());
        prop_assert!(i64::from(r.cumulative_lost) <= s.lost());
    }
}
