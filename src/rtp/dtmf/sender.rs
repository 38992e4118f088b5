//! Sending telephone events: the packets that carry one key press (RFC 4733 2.5.1).
//!
//! All packets of an event carry the event's start as their RTP timestamp and the duration so
//! far; the first has the marker bit (2.5.1.2); the last has the E bit and goes out three times
//! in all, one interval apart (2.5.1.4). An event longer than 0xFFFF units is sent as segments
//! (2.5.1.3): each segment's timestamp is 0xFFFF after the one before, its last packet carries
//! exactly 0xFFFF and is sent three times back to back (the next segment's first update is due
//! only one interval later), and only the last segment ends with the E bit.
//!
//! The sender is an iterator of [`DtmfPacket`]s; the caller wraps each in an RTP packet of the
//! telephone-event payload type and sends it at `send_offset` after the event began.

use super::{digit_to_event, TelephoneEvent, MAX_DURATION};

/// How many times the final packet of an event or segment goes out (RFC 4733 2.5.1.4).
const END_COPIES: u8 = 3;

/// The volume a key press is sent at unless told otherwise: -10 dBm0, a typical DTMF level.
const DEFAULT_VOLUME: u8 = 10;

/// One packet of an event, ready for an RTP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DtmfPacket {
    /// The RTP marker bit: set on the event's first packet only.
    pub marker: bool,
    /// Added to the event's start timestamp to give the packet's RTP timestamp: 0, except in
    /// the later segments of a long event.
    pub timestamp_offset: u32,
    /// When to send it, in RTP timestamp units after the event began.
    pub send_offset: u32,
    /// The payload.
    pub event: TelephoneEvent,
}

impl DtmfPacket {
    /// The 4-byte payload.
    pub fn payload(&self) -> [u8; super::PAYLOAD_LEN] {
        self.event.to_bytes()
    }
}

/// The packets of one key press, in sending order.
#[derive(Clone, Debug)]
pub struct DtmfSender {
    event: u8,
    volume: u8,
    /// The whole duration, in timestamp units.
    total: u64,
    /// The update interval, in timestamp units.
    step: u64,
    /// The duration covered by the last update sent.
    elapsed: u64,
    /// The last packet, while copies of it are still due: (packet, copies left, spacing).
    repeat: Option<(DtmfPacket, u8, u32)>,
}

impl DtmfSender {
    /// Event `event` lasting `duration_ms` (at least one interval), updated every
    /// `interval_ms` (20 is usual), on an RTP clock of `clock_rate` Hz.
    pub fn new(event: u8, duration_ms: u32, interval_ms: u32, clock_rate: u32) -> DtmfSender {
        let units = |ms: u32| u64::from(ms) * u64::from(clock_rate) / 1000;
        let step = units(interval_ms).clamp(1, u64::from(u32::MAX));
        let total = units(duration_ms).clamp(step, u64::from(u32::MAX));
        DtmfSender { event, volume: DEFAULT_VOLUME, total, step, elapsed: 0, repeat: None }
    }

    /// The same for a key (`0`-`9`, `*`, `#`, `A`-`D`); `None` for any other character.
    pub fn digit(digit: char, duration_ms: u32, interval_ms: u32, clock_rate: u32) -> Option<DtmfSender> {
        digit_to_event(digit).map(|event| DtmfSender::new(event, duration_ms, interval_ms, clock_rate))
    }

    /// Send at `volume` -dBm0 (0-63; larger values are sent as 63).
    pub fn volume(mut self, volume: u8) -> DtmfSender {
        self.volume = volume.min(0x3F);
        self
    }
}

impl Iterator for DtmfSender {
    type Item = DtmfPacket;

    fn next(&mut self) -> Option<DtmfPacket> {
        if let Some((packet, left, spacing)) = &mut self.repeat {
            if *left > 0 {
                *left -= 1;
                packet.marker = false;
                packet.send_offset = packet.send_offset.saturating_add(*spacing);
                return Some(*packet);
            }
            self.repeat = None;
        }
        if self.elapsed >= self.total {
            return None;
        }
        let max = u64::from(MAX_DURATION);
        // The segment the next update falls in ends at `boundary`.
        let boundary = (self.elapsed / max + 1) * max;
        let next = (self.elapsed + self.step).min(self.total).min(boundary);
        let start = (next - 1) / max * max;
        let end = next == self.total;
        let packet = DtmfPacket {
            marker: self.elapsed == 0,
            timestamp_offset: start as u32,
            send_offset: next as u32,
            event: TelephoneEvent { event: self.event, end, volume: self.volume, duration: (next - start) as u16 },
        };
        self.elapsed = next;
        if end || next == boundary {
            let spacing = if end { self.step as u32 } else { 0 };
            self.repeat = Some((packet, END_COPIES - 1, spacing));
        }
        Some(packet)
    }
}

#[cfg(test)]
mod tests {
    use super::super::DtmfReceiver;
    use super::*;
    use proptest::prelude::*;

    fn summary(sender: DtmfSender) -> Vec<(bool, u32, u32, bool, u16)> {
        sender.map(|p| (p.marker, p.timestamp_offset, p.send_offset, p.event.end, p.event.duration)).collect()
    }

    #[test]
    fn a_100_ms_press_is_five_updates_and_three_ends() {
        let sender = DtmfSender::digit('*', 100, 20, 8000).unwrap();
        let want = [
            (true, 0, 160, false, 160),
            (false, 0, 320, false, 320),
            (false, 0, 480, false, 480),
            (false, 0, 640, false, 640),
            (false, 0, 800, true, 800),
            (false, 0, 960, true, 800),
            (false, 0, 1120, true, 800),
        ];
        assert_eq!(summary(sender), want);
    }

    #[test]
    fn a_duration_between_intervals_ends_on_the_exact_duration() {
        let packets: Vec<_> = DtmfSender::new(4, 50, 20, 8000).volume(99).collect();
        let durations: Vec<_> = packets.iter().map(|p| (p.event.duration, p.event.end)).collect();
        assert_eq!(durations, [(160, false), (320, false), (400, true), (400, true), (400, true)]);
        assert!(packets.iter().all(|p| p.event.volume == 63 && p.event.event == 4));
        assert_eq!(packets[2].payload(), [4, 0x80 | 63, 0x01, 0x90]);
        assert_eq!(summary(DtmfSender::new(4, 0, 20, 8000)).len(), 3); // one interval, sent as the end
        assert!(DtmfSender::digit('x', 100, 20, 8000).is_none());
    }

    #[test]
    fn a_long_press_is_cut_into_segments() {
        let packets: Vec<_> = DtmfSender::new(0, 10_000, 20, 8000).collect();
        assert!(packets.iter().skip(1).all(|p| !p.marker));
        let segment_ends: Vec<_> = packets.iter().filter(|p| p.event.duration == MAX_DURATION).collect();
        assert_eq!(segment_ends.len(), 3);
        assert!(segment_ends.iter().all(|p| !p.event.end && p.timestamp_offset == 0 && p.send_offset == 0xFFFF));
        let last = packets.last().unwrap();
        assert_eq!(
            (last.timestamp_offset, last.event.duration, last.event.end),
            (0xFFFF, (80_000 - 0xFFFF) as u16, true)
        );
        assert!(packets.windows(2).all(|w| w[0].send_offset <= w[1].send_offset));
    }

    /// A sender's packets through a receiver, with the end copies and a loss: one press.
    #[test]
    fn the_receiver_reports_what_the_sender_sent_once() {
        for (duration_ms, units) in [(100, 800), (250, 2000), (10_000, 80_000), (20_000, 160_000)] {
            let mut rx = DtmfReceiver::new(8000);
            let mut reported = Vec::new();
            for (i, p) in DtmfSender::digit('9', duration_ms, 20, 8000).unwrap().enumerate() {
                if i == 2 {
                    continue; // lost on the way
                }
                let timestamp = 5000u32.wrapping_add(p.timestamp_offset);
                reported.extend(rx.on_packet(timestamp, p.marker, &p.payload()).unwrap());
            }
            reported.extend(rx.on_timeout());
            assert_eq!(reported.len(), 1, "{duration_ms} ms");
            let digit = reported[0];
            assert_eq!((digit.digit(), digit.timestamp, digit.duration), (Some('9'), 5000, units));
            assert_eq!((digit.duration_ms, digit.ended), (duration_ms, true));
        }
    }

    proptest! {
        /// Any duration and interval: the updates stop, the end goes out three times, and
        /// every duration fits its segment.
        #[test]
        fn any_press_ends_with_three_end_packets(
            duration_ms in 0u32..40_000, interval_ms in 0u32..200, clock_rate in prop_oneof![Just(8000u32), Just(16_000), Just(0)],
        ) {
            let sender = DtmfSender::new(3, duration_ms, interval_ms, clock_rate);
            let bound = (sender.total / sender.step + 3 * (sender.total / u64::from(MAX_DURATION) + 2)) as usize;
            let packets: Vec<_> = sender.take(bound + 1).collect();
            prop_assert!(packets.len() <= bound);
            prop_assert!(packets[0].marker);
            let ends = packets.iter().filter(|p| p.event.end).count();
            prop_assert_eq!(ends, 3);
            prop_assert!(packets[packets.len() - 3..].iter().all(|p| p.event.end));
            prop_assert!(packets.iter().all(|p| p.event.duration > 0));
        }
    }
}
