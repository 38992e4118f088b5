//! RFC 4733 telephone events (DTMF): the 4-byte payload, a receiver that turns a stream of
//! event packets into one report per key press, and a sender that turns a key press into the
//! packets to send.
//!
//! Only the named DTMF events 0-15 (RFC 4733 3.2) have characters; any other event code
//! parses and is reported with its number, since RFC 4734 and later registries define more.

mod receiver;
mod sender;

pub use receiver::{DtmfDigit, DtmfReceiver, Reported};
pub use sender::{DtmfPacket, DtmfSender};

/// The size of one event block (RFC 4733 2.3).
pub const PAYLOAD_LEN: usize = 4;

/// The largest value of the duration field; longer events are cut into segments (RFC 4733 2.5.1.3).
pub const MAX_DURATION: u16 = 0xFFFF;

/// The characters of events 0-15, in event-code order (RFC 4733 3.2, table 7).
const DIGITS: &[u8; 16] = b"0123456789*#ABCD";

/// Why a telephone-event payload could not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// Fewer than the 4 bytes of one event block.
    #[error("telephone-event payload of {len} bytes, shorter than 4")]
    ShortPayload { len: usize },
    /// The output buffer cannot hold one event block.
    #[error("buffer of {len} bytes cannot hold a 4-byte telephone event")]
    ShortBuffer { len: usize },
}

/// One event block (RFC 4733 2.3):
///
/// ```text
///  0                   1                   2                   3
/// |     event     |E|R| volume    |          duration             |
/// ```
///
/// The R bit is reserved: written as zero and ignored on receipt (RFC 4733 2.3), so it is not
/// kept here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TelephoneEvent {
    /// The event code; 0-15 are the DTMF keys (RFC 4733 3.2).
    pub event: u8,
    /// The E bit: this packet reports the end of the event (RFC 4733 2.5.1.4).
    pub end: bool,
    /// Power level in -dBm0, 0 (loudest) to 63; only 6 bits go on the wire.
    pub volume: u8,
    /// Duration so far in RTP timestamp units, counted from the packet's timestamp.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Read the first event block of a payload. Bytes past the first block are ignored:
    /// DTMF senders put one event in a packet (RFC 4733 2.5.1.5 allows more, for events
    /// that follow each other closely; reading them is left to a later step).
    pub fn parse(payload: &[u8]) -> Result<TelephoneEvent, DtmfError> {
        let &[event, flags, high, low, ..] = payload else {
            return Err(DtmfError::ShortPayload { len: payload.len() });
        };
        Ok(TelephoneEvent {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([high, low]),
        })
    }

    /// The block as wire bytes. A volume above 63 is sent as 63, the quietest level.
    pub fn to_bytes(&self) -> [u8; PAYLOAD_LEN] {
        let flags = if self.end { 0x80 } else { 0 } | self.volume.min(0x3F);
        let [high, low] = self.duration.to_be_bytes();
        [self.event, flags, high, low]
    }

    /// Write the block at the start of `out`; returns the bytes written (4).
    pub fn write(&self, out: &mut [u8]) -> Result<usize, DtmfError> {
        let Some(block) = out.get_mut(..PAYLOAD_LEN) else {
            return Err(DtmfError::ShortBuffer { len: out.len() });
        };
        block.copy_from_slice(&self.to_bytes());
        Ok(PAYLOAD_LEN)
    }

    /// The key this event stands for, if it is a DTMF event.
    pub fn digit(&self) -> Option<char> {
        event_to_digit(self.event)
    }
}

/// Event code to key: 0-9, `*` (10), `#` (11), `A`-`D` (12-15), RFC 4733 3.2.
pub fn event_to_digit(event: u8) -> Option<char> {
    DIGITS.get(usize::from(event)).map(|&c| char::from(c))
}

/// Key to event code, the inverse of [`event_to_digit`]; lower-case `a`-`d` are accepted.
pub fn digit_to_event(digit: char) -> Option<u8> {
    let upper = digit.to_ascii_uppercase();
    DIGITS.iter().position(|&c| char::from(c) == upper).map(|i| i as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_an_end_packet() {
        // Event 5, E bit, R bit set (ignored), volume 10, duration 1280 (160 ms at 8 kHz).
        let event = TelephoneEvent::parse(&[5, 0xC0 | 10, 0x05, 0x00]).unwrap();
        assert_eq!(event, TelephoneEvent { event: 5, end: true, volume: 10, duration: 1280 });
        assert_eq!(event.digit(), Some('5'));
        assert_eq!(event.to_bytes(), [5, 0x80 | 10, 0x05, 0x00]);
    }

    #[test]
    fn short_payloads_and_buffers_are_errors() {
        assert_eq!(TelephoneEvent::parse(&[1, 2, 3]), Err(DtmfError::ShortPayload { len: 3 }));
        let event = TelephoneEvent { event: 1, end: false, volume: 70, duration: 8 };
        assert_eq!(event.write(&mut [0; 3]), Err(DtmfError::ShortBuffer { len: 3 }));
        let mut out = [0; 6];
        assert_eq!(event.write(&mut out), Ok(4));
        assert_eq!(out, [1, 63, 0, 8, 0, 0]);
    }

    #[test]
    fn events_map_to_keys() {
        let keys: String = (0..16).filter_map(event_to_digit).collect();
        assert_eq!(keys, "0123456789*#ABCD");
        assert_eq!(event_to_digit(16), None);
        assert_eq!(digit_to_event('#'), Some(11));
        assert_eq!(digit_to_event('d'), Some(15));
        assert_eq!(digit_to_event('E'), None);
    }

    proptest! {
        #[test]
        fn any_bytes_parse_or_fail_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            match TelephoneEvent::parse(&bytes) {
                Ok(event) => {
                    prop_assert!(bytes.len() >= 4);
                    // Everything but the R bit survives a round trip.
                    let want = [bytes[0], bytes[1] & !0x40, bytes[2], bytes[3]];
                    prop_assert_eq!(event.to_bytes(), want);
                }
                Err(e) => prop_assert_eq!(e, DtmfError::ShortPayload { len: bytes.len() }),
            }
        }

        #[test]
        fn events_round_trip(event in any::<u8>(), end in any::<bool>(), volume in 0u8..64, duration in any::<u16>()) {
            let sent = TelephoneEvent { event, end, volume, duration };
            prop_assert_eq!(TelephoneEvent::parse(&sent.to_bytes()), Ok(sent));
        }
    }
}
