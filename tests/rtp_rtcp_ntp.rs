//! NTP timestamps and round-trip time (RFC 3550 4, 6.4.1): timestamps from a wall-clock time
//! the caller passes in, and the round-trip time read from a report block, across the wrap
//! of the compact clock and of the NTP era.

use std::time::Duration;

use callshard::rtp::rtcp::ntp::{
    compact_from_duration, duration_from_compact, ntp_from_unix, ntp_middle, round_trip_time, unix_from_ntp,
    UNIX_EPOCH_NTP_SECONDS,
};
use callshard::rtp::rtcp::ReportBlock;
use proptest::prelude::*;

/// The first second of NTP era 1, 2036-02-07 06:28:16 UTC, as time since the UNIX epoch.
const ERA_1: u64 = (1 << 32) - UNIX_EPOCH_NTP_SECONDS;

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

#[test]
fn ntp_timestamps_of_known_instants() {
    assert_eq!(ntp_from_unix(Duration::ZERO), UNIX_EPOCH_NTP_SECONDS << 32);
    assert_eq!(ntp_from_unix(ms(1500)), (UNIX_EPOCH_NTP_SECONDS + 1) << 32 | 0x8000_0000);
    // The seconds field wraps to 0 in 2036 and the reading side puts it in era 1.
    assert_eq!(ntp_from_unix(Duration::from_secs(ERA_1)), 0);
    assert_eq!(unix_from_ntp(0), Some(Duration::from_secs(ERA_1)));
    // A top bit set is era 0; before 1970 there is no UNIX time to give.
    assert_eq!(unix_from_ntp(UNIX_EPOCH_NTP_SECONDS << 32), Some(Duration::ZERO));
    assert_eq!(unix_from_ntp(0x8000_0000_0000_0000), None);
    assert_eq!(ntp_middle(0x1234_5678_9abc_def0), 0x5678_9abc);
}

#[test]
fn compact_durations() {
    assert_eq!(compact_from_duration(ms(1500)), 0x0001_8000);
    assert_eq!(duration_from_compact(0x0005_4000), ms(5250));
    assert_eq!(compact_from_duration(Duration::from_secs(1 << 40)), u32::MAX);
    assert_eq!(compact_from_duration(Duration::MAX), u32::MAX);
}

#[test]
fn round_trip_time_of_the_rfc_example() {
    // RFC 3550 6.4.1, figure 2: A 46864.500 s, LSR 46853.125 s, DLSR 5.250 s: 6.125 s.
    let block = ReportBlock { lsr: 0xb705_2000, dlsr: 0x0005_4000, ..Default::default() };
    assert_eq!(round_trip_time(&block, 0xb710_8000), Some(ms(6125)));
}

#[test]
fn round_trip_time_across_the_wrap_of_the_compact_clock() {
    // Our SR left 0.5 s before the compact clock wrapped; the report came back 0.75 s after,
    // having waited 0.25 s at the peer: 1 s.
    let block = ReportBlock { lsr: 0xffff_8000, dlsr: 0x0000_4000, ..Default::default() };
    assert_eq!(round_trip_time(&block, 0x0000_c000), Some(Duration::from_secs(1)));
    // Computed from wall-clock times on both sides of the wrap, through the NTP helpers.
    let sent = Duration::from_secs(ERA_1 - 1);
    let arrived = sent + ms(1250);
    let block = ReportBlock {
        lsr: ntp_middle(ntp_from_unix(sent)),
        dlsr: compact_from_duration(ms(250)),
        ..Default::default()
    };
    let rtt = round_trip_time(&block, ntp_middle(ntp_from_unix(arrived))).unwrap();
    assert!(rtt.abs_diff(Duration::from_secs(1)) < Duration::from_micros(50), "{rtt:?}");
}

#[test]
fn no_round_trip_time_without_an_sr_or_from_a_negative_difference() {
    let none_yet = ReportBlock { lsr: 0, dlsr: 0, ..Default::default() };
    assert_eq!(round_trip_time(&none_yet, 0x1234_5678), None);
    // A DLSR longer than the time since our SR: the peer's clock or arithmetic is wrong.
    let bogus = ReportBlock { lsr: 0x0001_0000, dlsr: 0x0002_0000, ..Default::default() };
    assert_eq!(round_trip_time(&bogus, 0x0001_8000), None);
    // A zero round trip is still one.
    let instant = ReportBlock { lsr: 0x0001_0000, dlsr: 0x8000, ..Default::default() };
    assert_eq!(round_trip_time(&instant, 0x0001_8000), Some(Duration::ZERO));
}

proptest! {
    #[test]
    fn ntp_round_trips_to_the_nanosecond(secs in 0..ERA_1 + (1 << 31), nanos in 0u32..1_000_000_000) {
        let t = Duration::new(secs, nanos);
        prop_assert_eq!(unix_from_ntp(ntp_from_unix(t)), Some(t));
    }
}
