//! When to send the next RTCP report (RFC 3550 6.3.1 and appendix A.7).
//!
//! RTCP takes a fixed share of the session bandwidth whatever the number of members: the
//! interval grows with the members and the average report size, with a floor of 5 s (2.5 s
//! before our first report). It is randomized to [0.5, 1.5] times itself so members do not
//! synchronize, and divided by e - 3/2 because timer reconsideration would otherwise send
//! below the target rate (6.3.1).
//!
//! Simplified for a two-party call, where the member count hardly moves: no timer
//! reconsideration (6.3.6; a caller that wants it recomputes the interval when the timer
//! fires and waits longer if it grew), no reverse reconsideration when members leave
//! (6.3.4), no BYE backoff (6.3.7 lets a session below 50 members send BYE at once), and no
//! scaling of the 5 s minimum with the session bandwidth (the optional rule of 6.2). The
//! random draw is an argument, so the interval is deterministic under test.

use std::time::Duration;

/// The floor of the deterministic interval (RFC 3550 6.2); half of it before the first report.
pub const RTCP_MIN_TIME: Duration = Duration::from_secs(5);
/// Senders share this fraction of the RTCP bandwidth when they are a quarter of the members or
/// fewer (RFC 3550 6.2).
pub const RTCP_SENDER_BW_FRACTION: f64 = 0.25;
/// e - 3/2: the compensation for timer reconsideration (RFC 3550 6.3.1, A.7).
pub const COMPENSATION: f64 = std::f64::consts::E - 1.5;
/// A bound that only nonsense inputs (an infinite or negative size, say) would pass: past it
/// the interval stops growing rather than overflowing a `Duration`.
pub const MAX_INTERVAL: Duration = Duration::from_secs(3600);

/// What the interval depends on (RFC 3550 6.3: the state a participant keeps).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntervalInput {
    /// Members of the session we know of, ourselves included (a two-party call: 2).
    pub members: u32,
    /// Members that sent RTP since the report before last, ourselves included.
    pub senders: u32,
    /// The RTCP bandwidth in octets per second, see [`rtcp_bandwidth`].
    pub rtcp_bandwidth: f64,
    /// Whether we sent RTP since the report before last.
    pub we_sent: bool,
    /// Average compound RTCP packet size in octets, UDP and IP headers included (6.3.3).
    pub avg_rtcp_size: f64,
    /// No report sent yet: the minimum is halved so the first report comes sooner (6.2).
    pub initial: bool,
}

/// The deterministic interval Td (RFC 3550 6.3.1 steps 1 to 3): also the unit in which a
/// member times out (6.3.5: no report for 5 Td, computed with `initial` false).
pub fn deterministic_interval(input: &IntervalInput) -> Duration {
    let min_time = if input.initial { RTCP_MIN_TIME.as_secs_f64() / 2.0 } else { RTCP_MIN_TIME.as_secs_f64() };
    let mut bandwidth = input.rtcp_bandwidth;
    let mut n = input.members;
    // RFC 3550 6.2: with few senders, senders get a quarter of the bandwidth and receivers
    // the rest, each group dividing its share among its own members.
    if f64::from(input.senders) <= f64::from(input.members) * RTCP_SENDER_BW_FRACTION {
        if input.we_sent {
            bandwidth *= RTCP_SENDER_BW_FRACTION;
            n = input.senders;
        } else {
            bandwidth *= 1.0 - RTCP_SENDER_BW_FRACTION;
            n = n.saturating_sub(input.senders);
        }
    }
    let t = input.avg_rtcp_size * f64::from(n) / bandwidth;
    // `!(t >= min)` also catches NaN, from a zero bandwidth with no members, say.
    let t = if t >= min_time { t } else { min_time };
    Duration::try_from_secs_f64(t).map_or(MAX_INTERVAL, |d| d.min(MAX_INTERVAL))
}

/// The interval until the next report (RFC 3550 6.3.1 steps 4 and 5, A.7): Td times a factor
/// uniform in [0.5, 1.5), drawn by the caller as `random` (any `u32`, mapped linearly),
/// divided by e - 3/2. Between 0.41 and 1.23 Td.
pub fn transmission_interval(input: &IntervalInput, random: u32) -> Duration {
    let factor = 0.5 + f64::from(random) / 4_294_967_296.0;
    deterministic_interval(input).mul_f64(factor / COMPENSATION)
}

/// The RTCP bandwidth, 5% of the session bandwidth (RFC 3550 6.2), in octets per second from
/// a session bandwidth in bits per second (as of `b=AS`, in kb/s, times 1000).
pub fn rtcp_bandwidth(session_bits_per_second: u64) -> f64 {
    session_bits_per_second as f64 * 0.05 / 8.0
}

/// The running average of compound packet sizes, after one of `packet_size` octets (UDP and
/// IP headers included) was sent or received: 1/16 new, 15/16 old (RFC 3550 6.3.3).
pub fn update_avg_rtcp_size(avg: f64, packet_size: usize) -> f64 {
    packet_size as f64 / 16.0 + avg * 15.0 / 16.0
}
