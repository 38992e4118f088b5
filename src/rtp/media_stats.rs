//! A call's media figures for its end-of-call event, and their sum over a shard's calls for
//! the live line and the final report.

use super::media::MediaSession;
use super::quality::g711_mos;
use super::stream::ReceiveStream;

/// What one call's media did, in both directions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MediaStats {
    pub packets_received: u64,
    pub bytes_received: u64,
    pub packets_sent: u64,
    pub bytes_sent: u64,
    /// Packets of the peer's stream that never came (RFC 3550 A.3; duplicates not counted).
    pub lost: i64,
    pub duplicates: u64,
    pub late: u64,
    /// Datagrams on the call's ports that were neither RTP nor RTCP.
    pub malformed: u64,
    /// Interarrival jitter of the peer's stream (RFC 3550 A.8), in milliseconds.
    pub jitter_ms: f64,
    /// Round-trip time from the peer's last report (RFC 3550 6.4.1), if it sent one.
    pub round_trip_ms: Option<f64>,
    /// The E-model estimate of what the call sounded like to us (G.107); `None` when nothing
    /// was heard (there was no call quality to estimate).
    pub mos: Option<f64>,
    pub digits: u32,
}

/// The counts of the sources a call heard before its current one.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct EarlierSources {
    received: u64,
    bytes: u64,
    lost: i64,
    duplicates: u64,
    late: u64,
}

impl EarlierSources {
    pub(super) fn add(&mut self, r: &ReceiveStream) {
        self.received += u64::from(r.received());
        self.bytes += r.bytes;
        self.lost += r.lost();
        self.duplicates += r.sequence.duplicates;
        self.late += r.sequence.late;
    }
}

impl MediaSession {
    /// The call's figures over every source it heard; jitter and the MOS are the current
    /// source's.
    pub fn stats(&self) -> MediaStats {
        let recv = self.recv.as_ref();
        let e = &self.earlier;
        let received = e.received + recv.map_or(0, |r| u64::from(r.received()));
        let lost = e.lost + recv.map_or(0, |r| r.lost());
        let jitter_ms = recv.map_or(0.0, |r| r.jitter_ms());
        let round_trip_ms = self.reports.peer.round_trip.map(|d| d.as_secs_f64() * 1000.0);
        let expected = received as f64 + lost.max(0) as f64;
        let loss = if expected > 0.0 { lost.max(0) as f64 / expected } else { 0.0 };
        // Mouth to ear: half the round trip, plus a jitter buffer of twice the jitter and a
        // packet time of packetisation.
        let delay = round_trip_ms.unwrap_or(0.0) / 2.0 + 2.0 * jitter_ms + f64::from(self.params.ptime_ms);
        MediaStats {
            packets_received: received,
            bytes_received: e.bytes + recv.map_or(0, |r| r.bytes),
            packets_sent: u64::from(self.send.packets),
            bytes_sent: u64::from(self.send.octets),
            lost,
            duplicates: e.duplicates + recv.map_or(0, |r| r.sequence.duplicates),
            late: e.late + recv.map_or(0, |r| r.sequence.late),
            malformed: self.malformed,
            jitter_ms,
            round_trip_ms,
            mos: (received > 0).then(|| g711_mos(delay, loss)),
            digits: self.digits,
        }
    }
}

/// Media figures summed over calls: totals, and the mean jitter and MOS of the calls that
/// received any media.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MediaTotals {
    pub calls: u64,
    pub packets_received: u64,
    pub packets_sent: u64,
    pub lost: i64,
    pub malformed: u64,
    pub digits: u64,
    jitter_sum: f64,
    mos_sum: f64,
    heard: u64,
}

impl MediaTotals {
    pub fn add(&mut self, s: &MediaStats) {
        self.calls += 1;
        self.packets_received += s.packets_received;
        self.packets_sent += s.packets_sent;
        self.lost += s.lost;
        self.malformed += s.malformed;
        self.digits += u64::from(s.digits);
        if s.packets_received > 0 {
            self.heard += 1;
            self.jitter_sum += s.jitter_ms;
            self.mos_sum += s.mos.unwrap_or_default();
        }
    }

    pub fn merge(&mut self, o: &MediaTotals) {
        self.calls += o.calls;
        self.packets_received += o.packets_received;
        self.packets_sent += o.packets_sent;
        self.lost += o.lost;
        self.malformed += o.malformed;
        self.digits += o.digits;
        self.heard += o.heard;
        self.jitter_sum += o.jitter_sum;
        self.mos_sum += o.mos_sum;
    }

    /// Mean MOS of the calls that heard media; `None` before any did.
    pub fn mean_mos(&self) -> Option<f64> {
        (self.heard > 0).then(|| self.mos_sum / self.heard as f64)
    }

    pub fn mean_jitter_ms(&self) -> Option<f64> {
        (self.heard > 0).then(|| self.jitter_sum / self.heard as f64)
    }
}
