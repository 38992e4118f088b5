//! The RTCP transmission interval (RFC 3550 6.3, A.7): the floor a two-party call meets, the
//! bandwidth split of a large group, and the bounds of the randomized interval.

use std::time::Duration;

use callshard::rtp::rtcp::interval::{
    deterministic_interval, rtcp_bandwidth, transmission_interval, update_avg_rtcp_size, IntervalInput, COMPENSATION,
    MAX_INTERVAL,
};
use proptest::prelude::*;

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// A G.711 call: 64 kb/s of payload, 80 kb/s with RTP, UDP and IPv4 headers at 20 ms.
fn two_party(we_sent: bool, initial: bool) -> IntervalInput {
    IntervalInput {
        members: 2,
        senders: 2,
        rtcp_bandwidth: rtcp_bandwidth(80_000),
        we_sent,
        avg_rtcp_size: 120.0,
        initial,
    }
}

#[test]
fn a_two_party_call_reports_at_the_minimum_interval() {
    assert_eq!(rtcp_bandwidth(80_000), 500.0);
    // 120 octets x 2 members / 500 octets/s is 0.48 s, under the 5 s floor (2.5 s at first).
    assert_eq!(deterministic_interval(&two_party(true, false)), Duration::from_secs(5));
    assert_eq!(deterministic_interval(&two_party(false, true)), ms(2500));
    let low = transmission_interval(&two_party(true, false), 0);
    let high = transmission_interval(&two_party(true, false), u32::MAX);
    assert!(low.abs_diff(Duration::from_secs_f64(2.5 / COMPENSATION)) < Duration::from_micros(1), "{low:?}");
    assert!(high.abs_diff(Duration::from_secs_f64(7.5 / COMPENSATION)) < Duration::from_micros(1), "{high:?}");
    let mid = transmission_interval(&two_party(true, false), 1 << 31);
    assert!(mid.abs_diff(Duration::from_secs_f64(5.0 / COMPENSATION)) < Duration::from_micros(1), "{mid:?}");
}

#[test]
fn in_a_large_group_senders_and_receivers_share_their_own_fractions() {
    let group = |we_sent| IntervalInput {
        members: 1000,
        senders: 1,
        rtcp_bandwidth: 400.0,
        we_sent,
        avg_rtcp_size: 100.0,
        initial: false,
    };
    // Receivers: 999 of them in 3/4 of 400 octets/s, 100 octets each: 333 s.
    assert_eq!(deterministic_interval(&group(false)), Duration::from_secs(333));
    // The one sender has a quarter to itself: 1 s, so the 5 s floor.
    assert_eq!(deterministic_interval(&group(true)), Duration::from_secs(5));
}

#[test]
fn nonsense_inputs_give_a_bounded_interval() {
    let zero_bandwidth = IntervalInput { rtcp_bandwidth: 0.0, ..two_party(true, false) };
    assert_eq!(deterministic_interval(&zero_bandwidth), MAX_INTERVAL);
    let nan = IntervalInput { avg_rtcp_size: f64::NAN, ..two_party(true, false) };
    assert_eq!(deterministic_interval(&nan), Duration::from_secs(5));
    let negative = IntervalInput { rtcp_bandwidth: -1.0, ..two_party(true, false) };
    assert_eq!(deterministic_interval(&negative), Duration::from_secs(5));
}

#[test]
fn the_average_size_moves_a_sixteenth_of_the_way() {
    assert_eq!(update_avg_rtcp_size(100.0, 116), 101.0);
}

proptest! {
    #[test]
    fn the_interval_stays_within_half_and_one_and_a_half_td_compensated(
        members in 1u32..10_000,
        senders in 0u32..10_000,
        rtcp_bandwidth in 1.0f64..1e6,
        we_sent: bool,
        avg_rtcp_size in 28.0f64..2000.0,
        initial: bool,
        random: u32,
    ) {
        let input = IntervalInput { members, senders, rtcp_bandwidth, we_sent, avg_rtcp_size, initial };
        let td = deterministic_interval(&input);
        let floor = if initial { ms(2500) } else { Duration::from_secs(5) };
        prop_assert!(td >= floor && td <= MAX_INTERVAL);
        let t = transmission_interval(&input, random).as_secs_f64();
        let (low, high) = (td.as_secs_f64() * 0.5 / COMPENSATION, td.as_secs_f64() * 1.5 / COMPENSATION);
        prop_assert!(t >= low - 1e-9 && t < high, "{} not in [{}, {})", t, low, high);
    }
}
