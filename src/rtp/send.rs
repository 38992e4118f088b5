//! The stream callshard sends on a call: its own SSRC, sequence numbers and timestamps
//! (RFC 3550 5.1: random starting values, consecutive from there), and the counts a sender
//! report carries (6.4.1). Echo, tone and silence all send through one, so a change of
//! action, or of the peer's source, never makes a jump the peer's jitter buffer must absorb.

use super::packet::RtpHeader;

#[derive(Clone, Debug)]
pub struct SendStream {
    ssrc: u32,
    next_sequence: u16,
    /// The timestamp of the next packet if it follows the last one without a gap.
    next_timestamp: u32,
    /// The timestamp of the last packet sent, and whether any was.
    last_timestamp: Option<u32>,
    pub packets: u32,
    /// Payload octets sent (RFC 3550 6.4.1: header and padding not included).
    pub octets: u32,
}

impl SendStream {
    /// A stream with the given random SSRC, first sequence number and first timestamp
    /// (the caller draws them: RFC 3550 5.1 wants them unpredictable).
    pub fn new(ssrc: u32, first_sequence: u16, first_timestamp: u32) -> SendStream {
        SendStream {
            ssrc,
            next_sequence: first_sequence,
            next_timestamp: first_timestamp,
            last_timestamp: None,
            packets: 0,
            octets: 0,
        }
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The header of the next packet: `samples` of media since the previous one's start
    /// (the previous packet's length, or more after a silence the sender skipped).
    pub fn next(&mut self, payload_type: u8, marker: bool, samples_since_last: u32, payload_len: usize) -> RtpHeader {
        let timestamp = match self.last_timestamp {
            Some(last) => last.wrapping_add(samples_since_last),
            None => self.next_timestamp,
        };
        self.record(timestamp, payload_len);
        RtpHeader { marker, payload_type, sequence: self.next_sequence.wrapping_sub(1), timestamp, ssrc: self.ssrc }
    }

    /// The header for a packet that keeps the timestamp of an earlier one (RFC 4733 2.5.1.2:
    /// every packet of a telephone event carries the event's start).
    pub fn next_at(&mut self, payload_type: u8, marker: bool, timestamp: u32, payload_len: usize) -> RtpHeader {
        self.record(timestamp, payload_len);
        RtpHeader { marker, payload_type, sequence: self.next_sequence.wrapping_sub(1), timestamp, ssrc: self.ssrc }
    }

    fn record(&mut self, timestamp: u32, payload_len: usize) {
        self.next_sequence = self.next_sequence.wrapping_add(1);
        self.last_timestamp = Some(timestamp);
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add(payload_len as u32);
    }

    /// The timestamp of the last packet sent, if any.
    pub fn last_timestamp(&self) -> Option<u32> {
        self.last_timestamp
    }
}

/// Echo's timestamp rule: the peer's packets keep their spacing, moved onto our own
/// timeline. The offset is fixed at the first packet of a source; when the peer's source
/// changes (it restarted, or a new leg), the new one continues ours one packet later.
#[derive(Clone, Debug, Default)]
pub struct EchoTimeline {
    source: Option<(u32, u32)>,
    last_samples: u32,
}

impl EchoTimeline {
    /// Samples between our last packet and the echo of this one (`ssrc`, `timestamp`,
    /// carrying `samples` of media), for [`SendStream::next`].
    pub fn advance(&mut self, ssrc: u32, timestamp: u32, samples: u32) -> u32 {
        let step = match self.source {
            Some((s, last)) if s == ssrc => timestamp.wrapping_sub(last),
            Some(_) | None => self.last_samples,
        };
        self.source = Some((ssrc, timestamp));
        self.last_samples = samples;
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_and_timestamps_continue_across_wraps() {
        let mut s = SendStream::new(9, u16::MAX, u32::MAX - 100);
        let a = s.next(0, true, 160, 160);
        let b = s.next(0, false, 160, 160);
        assert_eq!((a.sequence, a.timestamp, a.marker), (u16::MAX, u32::MAX - 100, true));
        assert_eq!((b.sequence, b.timestamp), (0, 59));
        let e = s.next_at(101, false, b.timestamp, 4);
        assert_eq!((e.sequence, e.timestamp, e.payload_type), (1, 59, 101));
        assert_eq!((s.packets, s.octets, s.ssrc()), (3, 324, 9));
    }

    #[test]
    fn echo_keeps_the_spacing_and_bridges_a_new_source() {
        let mut t = EchoTimeline::default();
        assert_eq!(t.advance(1, 1000, 160), 0);
        assert_eq!(t.advance(1, 1160, 160), 160);
        // A gap of two packets at the source stays a gap of two packets.
        assert_eq!(t.advance(1, 1640, 160), 480);
        // Late packet: a negative step wraps, and the sender's timestamp goes back too.
        assert_eq!(t.advance(1, 1480, 160), 160u32.wrapping_sub(320));
        // A new source far away on its own timeline continues ours by one packet.
        assert_eq!(t.advance(2, 77, 80), 160);
        assert_eq!(t.advance(2, 157, 80), 80);
    }
}
