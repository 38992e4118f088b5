//! NTP timestamps and round-trip time (RFC 3550 4 and 6.4.1). The wall-clock time is always
//! an argument, as a duration since the UNIX epoch (`SystemTime::now().duration_since(
//! UNIX_EPOCH)` at the shard): the core never reads a clock.
//!
//! An SR carries the 64-bit NTP time of sending; a report block echoes its middle 32 bits
//! (LSR) and the delay since it arrived (DLSR), both in the "compact" unit of 1/65536 s, so
//! the SR's sender can subtract them from the arrival time of the report.

use std::time::Duration;

use super::ReportBlock;

/// Seconds from the NTP prime epoch, 1900-01-01, to the UNIX epoch (RFC 868).
pub const UNIX_EPOCH_NTP_SECONDS: u64 = 2_208_988_800;

/// The 64-bit NTP timestamp (32.32 fixed point seconds since 1900) of `since_unix_epoch`.
/// After 2036-02-07 the seconds wrap into NTP era 1, as on the wire (RFC 4330 3).
pub fn ntp_from_unix(since_unix_epoch: Duration) -> u64 {
    let seconds = since_unix_epoch.as_secs().wrapping_add(UNIX_EPOCH_NTP_SECONDS);
    let fraction = (u64::from(since_unix_epoch.subsec_nanos()) << 32) / 1_000_000_000;
    // The shift drops the era: NTP seconds are modulo 2^32.
    seconds << 32 | fraction
}

/// The time since the UNIX epoch of an NTP timestamp, reading a seconds field with its top
/// bit clear as era 1 (2036 to 2104), as RFC 4330 3 suggests; `None` before 1970.
pub fn unix_from_ntp(ntp: u64) -> Option<Duration> {
    let seconds = ntp >> 32;
    let era_seconds = if seconds & 0x8000_0000 == 0 { seconds + (1 << 32) } else { seconds };
    let unix_seconds = era_seconds.checked_sub(UNIX_EPOCH_NTP_SECONDS)?;
    // Round the fraction up, so that `unix_from_ntp(ntp_from_unix(t)) == t` to the nanosecond.
    let nanos = ((ntp & 0xffff_ffff) * 1_000_000_000).div_ceil(1 << 32);
    Some(Duration::from_secs(unix_seconds) + Duration::from_nanos(nanos))
}

/// The middle 32 bits of an NTP timestamp: what a report block echoes as LSR and what the
/// round-trip time is computed in (RFC 3550 6.4.1).
pub fn ntp_middle(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

/// A duration in the compact unit of 1/65536 s, as DLSR is sent; saturates at about 18 hours.
pub fn compact_from_duration(d: Duration) -> u32 {
    let units = d.as_secs().saturating_mul(65_536).saturating_add((u64::from(d.subsec_nanos()) << 16) / 1_000_000_000);
    u32::try_from(units).unwrap_or(u32::MAX)
}

/// A duration given in units of 1/65536 s.
pub fn duration_from_compact(units: u32) -> Duration {
    let nanos = (u64::from(units & 0xffff) * 1_000_000_000) >> 16;
    Duration::from_secs(u64::from(units >> 16)) + Duration::from_nanos(nanos)
}

/// The round-trip time to the source of `block`, a report on our own SRs, that arrived at
/// `arrival` (the middle 32 bits of our NTP time then): A - LSR - DLSR (RFC 3550 6.4.1).
///
/// The arithmetic is modulo 2^32, so it holds across the compact clock's wrap every 18.2
/// hours. `None` when the peer has not had an SR of ours yet (LSR 0), or when the result is
/// negative (a DLSR larger than the time since our SR: a broken or lying peer), which shows as
/// a value above half the range.
pub fn round_trip_time(block: &ReportBlock, arrival: u32) -> Option<Duration> {
    if block.lsr == 0 {
        return None;
    }
    let rtt = arrival.wrapping_sub(block.lsr).wrapping_sub(block.dlsr);
    (rtt <= i32::MAX as u32).then(|| duration_from_compact(rtt))
}
