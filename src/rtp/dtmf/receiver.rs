//! Receiving telephone events: one report per key press, however many packets carried it.
//!
//! A sender reports one event in many packets that share the event's start timestamp, each
//! with the duration so far, and sends the end packet three times (RFC 4733 2.5.1.4). The
//! receiver reports the event once, at its first end packet. An event whose end never came
//! is reported, marked `ended: false`, when the next event starts (a new timestamp, RFC 4733
//! 2.5.2.2) or when the caller says the stream has gone quiet ([`DtmfReceiver::on_timeout`]).
//!
//! Long events (RFC 4733 2.5.1.3, 2.5.2.3): past 0xFFFF units the sender starts a new segment,
//! a new timestamp with the same event code, the E bit only on the last segment. A packet is
//! taken as the next segment when it has the same event, no marker (a segment is not a new
//! event), and starts more than half the maximum (0x8000 units) and no earlier than the last
//! duration seen after the segment before it; the durations then add up in a `u32`. Anything
//! else with a new timestamp is a new event, so a sender that cuts segments short is reported
//! as separate, unfinished presses rather than merged with a later press of the same key.

use smallvec::SmallVec;

use super::{event_to_digit, DtmfError, TelephoneEvent, MAX_DURATION};

/// One key press as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DtmfDigit {
    /// The event code (RFC 4733 3.2); see [`DtmfDigit::digit`].
    pub event: u8,
    /// The RTP timestamp of the event's start (its first segment).
    pub timestamp: u32,
    /// How long it lasted, in RTP timestamp units, all segments together.
    pub duration: u32,
    /// The same in milliseconds at the receiver's clock rate, rounded down.
    pub duration_ms: u32,
    /// The volume of the last packet seen, in -dBm0.
    pub volume: u8,
    /// Whether its end packet arrived; `false` when it was cut short by a new event or a timeout.
    pub ended: bool,
}

impl DtmfDigit {
    /// The key, if the event is a DTMF one (0-15).
    pub fn digit(&self) -> Option<char> {
        event_to_digit(self.event)
    }
}

/// What one packet completes: at most the event it cut short and itself.
pub type Reported = SmallVec<[DtmfDigit; 2]>;

/// The event being received.
#[derive(Clone, Copy, Debug)]
struct Current {
    event: u8,
    volume: u8,
    start: u32,
    /// The timestamp of the segment being received.
    segment: u32,
    /// The durations of the segments before it.
    before: u32,
    /// The longest duration seen in this segment (packets may be reordered).
    duration: u16,
    ended: bool,
}

/// Turns telephone-event packets into key presses. Feed it every packet of the
/// telephone-event payload type, in arrival order.
#[derive(Clone, Debug)]
pub struct DtmfReceiver {
    clock_rate: u32,
    current: Option<Current>,
}

impl DtmfReceiver {
    /// A receiver for an event stream at `clock_rate` Hz (the `a=rtpmap` rate, usually 8000).
    pub fn new(clock_rate: u32) -> DtmfReceiver {
        DtmfReceiver { clock_rate: clock_rate.max(1), current: None }
    }

    /// One packet: its RTP timestamp, marker bit and payload. Returns the presses it completes,
    /// oldest first; an unreadable payload is an error and changes nothing.
    pub fn on_packet(&mut self, timestamp: u32, marker: bool, payload: &[u8]) -> Result<Reported, DtmfError> {
        let block = TelephoneEvent::parse(payload)?;
        let mut reported = Reported::new();
        if let Some(current) = &mut self.current {
            if timestamp == current.segment {
                // More of the same segment: an update, the end, or the end again (2.5.1.4).
                if !current.ended {
                    current.update(&block);
                    reported.extend(current.ended.then(|| current.report(self.clock_rate)));
                }
                return Ok(reported);
            }
            let offset = timestamp.wrapping_sub(current.segment);
            if (offset as i32) < 0 {
                return Ok(reported); // late packet of an earlier event or segment
            }
            if !current.ended && !marker && block.event == current.event && current.continues_at(offset) {
                current.before = current.before.saturating_add(offset);
                current.segment = timestamp;
                current.duration = 0;
                current.update(&block);
                reported.extend(current.ended.then(|| current.report(self.clock_rate)));
                return Ok(reported);
            }
        }
        // A new event (RFC 4733 2.5.2.2): whatever was running without an end stops here.
        reported.extend(self.on_timeout());
        let mut current = Current {
            event: block.event,
            volume: block.volume,
            start: timestamp,
            segment: timestamp,
            before: 0,
            duration: 0,
            ended: false,
        };
        current.update(&block);
        reported.extend(current.ended.then(|| current.report(self.clock_rate)));
        self.current = Some(current);
        Ok(reported)
    }

    /// The stream went quiet (the caller's timer, e.g. no event packet for a few intervals):
    /// report the running event, if any, as cut short. It is not reported again.
    pub fn on_timeout(&mut self) -> Option<DtmfDigit> {
        let current = self.current.as_mut().filter(|c| !c.ended)?;
        current.ended = true;
        let mut digit = current.report(self.clock_rate);
        digit.ended = false;
        Some(digit)
    }
}

impl Current {
    fn update(&mut self, block: &TelephoneEvent) {
        self.duration = self.duration.max(block.duration);
        self.volume = block.volume;
        self.ended = block.end;
    }

    /// RFC 4733 2.5.1.3: the next segment starts where this one ended, at most 0xFFFF later.
    fn continues_at(&self, offset: u32) -> bool {
        offset > u32::from(MAX_DURATION / 2) && offset <= u32::from(MAX_DURATION) && offset >= u32::from(self.duration)
    }

    fn report(&self, clock_rate: u32) -> DtmfDigit {
        let duration = self.before.saturating_add(u32::from(self.duration));
        let duration_ms = u64::from(duration) * 1000 / u64::from(clock_rate);
        DtmfDigit {
            event: self.event,
            timestamp: self.start,
            duration,
            duration_ms: u32::try_from(duration_ms).unwrap_or(u32::MAX),
            volume: self.volume,
            ended: self.ended,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn block(event: u8, end: bool, duration: u16) -> [u8; 4] {
        TelephoneEvent { event, end, volume: 10, duration }.to_bytes()
    }

    fn feed(receiver: &mut DtmfReceiver, timestamp: u32, marker: bool, payload: [u8; 4]) -> Vec<DtmfDigit> {
        receiver.on_packet(timestamp, marker, &payload).unwrap().into_vec()
    }

    #[test]
    fn a_press_is_reported_once_at_its_first_end_packet() {
        let mut rx = DtmfReceiver::new(8000);
        assert!(feed(&mut rx, 1000, true, block(1, false, 160)).is_empty());
        assert!(feed(&mut rx, 1000, false, block(1, false, 320)).is_empty());
        let reported = feed(&mut rx, 1000, false, block(1, true, 400));
        let want = DtmfDigit { event: 1, timestamp: 1000, duration: 400, duration_ms: 50, volume: 10, ended: true };
        assert_eq!(reported, [want]);
        assert_eq!(reported[0].digit(), Some('1'));
        // The two retransmissions of the end (RFC 4733 2.5.1.4), and a timeout, add nothing.
        assert!(feed(&mut rx, 1000, false, block(1, true, 400)).is_empty());
        assert!(feed(&mut rx, 1000, false, block(1, true, 400)).is_empty());
        assert_eq!(rx.on_timeout(), None);
    }

    #[test]
    fn a_press_without_its_end_is_reported_when_the_next_begins() {
        let mut rx = DtmfReceiver::new(8000);
        feed(&mut rx, 0, true, block(11, false, 160));
        feed(&mut rx, 0, false, block(11, false, 480));
        feed(&mut rx, 0, false, block(11, false, 320)); // reordered: the duration does not shrink
        let reported = feed(&mut rx, 4000, true, block(11, false, 160));
        assert_eq!(reported.len(), 1);
        assert_eq!((reported[0].digit(), reported[0].duration, reported[0].ended), (Some('#'), 480, false));
        // A late end packet of the first press is older than the running one: ignored.
        assert!(feed(&mut rx, 0, false, block(11, true, 800)).is_empty());
        let timed_out = rx.on_timeout().unwrap();
        assert_eq!((timed_out.timestamp, timed_out.duration_ms, timed_out.ended), (4000, 20, false));
        assert_eq!(rx.on_timeout(), None);
    }

    #[test]
    fn a_lone_end_packet_reports_both_the_cut_press_and_itself() {
        let mut rx = DtmfReceiver::new(8000);
        feed(&mut rx, 0, true, block(2, false, 160));
        let reported = feed(&mut rx, 2000, false, block(3, true, 800));
        let keys: Vec<_> = reported.iter().map(|d| (d.digit(), d.ended)).collect();
        assert_eq!(keys, [(Some('2'), false), (Some('3'), true)]);
    }

    #[test]
    fn the_same_key_twice_is_two_presses() {
        let mut rx = DtmfReceiver::new(8000);
        feed(&mut rx, 0, true, block(5, false, 160));
        assert_eq!(feed(&mut rx, 0, false, block(5, true, 800)).len(), 1);
        feed(&mut rx, 2400, true, block(5, false, 160));
        assert_eq!(feed(&mut rx, 2400, false, block(5, true, 640)).len(), 1);
    }

    #[test]
    fn segments_of_a_long_press_add_up() {
        let mut rx = DtmfReceiver::new(8000);
        feed(&mut rx, 100, true, block(0, false, 160));
        feed(&mut rx, 100, false, block(0, false, 0xFFFF));
        assert!(feed(&mut rx, 100 + 0xFFFF, false, block(0, false, 160)).is_empty());
        let reported = feed(&mut rx, 100 + 0xFFFF, false, block(0, true, 14465));
        assert_eq!(reported.len(), 1);
        assert_eq!((reported[0].timestamp, reported[0].duration), (100, 80_000));
        assert_eq!((reported[0].duration_ms, reported[0].ended), (10_000, true));
    }

    #[test]
    fn a_marked_packet_is_a_new_press_even_where_a_segment_could_start() {
        let mut rx = DtmfReceiver::new(8000);
        feed(&mut rx, 0, true, block(7, false, 0xFFFF));
        let reported = feed(&mut rx, 0xFFFF, true, block(7, false, 160));
        assert_eq!(reported.len(), 1);
        assert_eq!((reported[0].duration, reported[0].ended), (0xFFFF, false));
    }

    #[test]
    fn a_short_payload_is_an_error_that_changes_nothing() {
        let mut rx = DtmfReceiver::new(8000);
        feed(&mut rx, 0, true, block(9, false, 160));
        assert_eq!(rx.on_packet(800, false, &[9, 0]), Err(DtmfError::ShortPayload { len: 2 }));
        assert_eq!(feed(&mut rx, 0, false, block(9, true, 320))[0].duration, 320);
    }

    proptest! {
        /// Whatever arrives, no panic, and no press (start timestamp) is reported twice.
        #[test]
        fn any_packets_report_each_press_at_most_once(
            packets in proptest::collection::vec(
                (0u32..4000, any::<bool>(), proptest::collection::vec(any::<u8>(), 0..6)), 0..60),
        ) {
            let mut rx = DtmfReceiver::new(8000);
            let mut seen = Vec::new();
            for (timestamp, marker, payload) in &packets {
                if let Ok(reported) = rx.on_packet(*timestamp, *marker, payload) {
                    seen.extend(reported.iter().map(|d| d.timestamp));
                } else {
                    prop_assert!(payload.len() < 4);
                }
            }
            seen.extend(rx.on_timeout().map(|d| d.timestamp));
            let mut unique = seen.clone();
            unique.sort_unstable();
            unique.dedup();
            prop_assert_eq!(unique.len(), seen.len());
        }
    }
}
