//! The codecs we can really encode and decode, and how an offered format is recognised as one.
//!
//! Only G.711 (both laws), G.722 and RFC 4733 telephone events: no Opus, which we cannot decode.

use super::attr::Rtpmap;

/// An audio codec we support.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 mu-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
    /// G.722: 16 kHz audio on an 8000 Hz RTP clock, an error RFC 3551 4.5.2 keeps for compatibility.
    G722,
}

/// `telephone-event`, the RFC 4733 DTMF payload, always on a dynamic payload type.
pub const TELEPHONE_EVENT: &[u8] = b"telephone-event";

/// The RTP clock we run every supported format at.
const CLOCK: u32 = 8000;

impl Codec {
    /// Every codec, in our default order of preference.
    pub const ALL: [Codec; 3] = [Codec::Pcmu, Codec::Pcma, Codec::G722];

    /// The static payload type of RFC 3551 table 4.
    pub fn static_payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
            Codec::G722 => 9,
        }
    }

    /// The encoding name of `a=rtpmap` (RFC 3551 4.5).
    pub fn encoding_name(self) -> &'static [u8] {
        match self {
            Codec::Pcmu => b"PCMU",
            Codec::Pcma => b"PCMA",
            Codec::G722 => b"G722",
        }
    }

    /// The RTP clock rate written in `a=rtpmap` and used for timestamps.
    pub fn clock_rate(self) -> u32 {
        CLOCK
    }

    /// The audio sampling rate, which differs from the clock rate for G.722.
    pub fn sample_rate(self) -> u32 {
        match self {
            Codec::G722 => 16_000,
            Codec::Pcmu | Codec::Pcma => CLOCK,
        }
    }

    fn from_static_payload_type(pt: u8) -> Option<Codec> {
        Codec::ALL.into_iter().find(|c| c.static_payload_type() == pt)
    }
}

/// An offered or answered format we can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Audio(Codec),
    TelephoneEvent,
}

/// Recognises a format: by its `a=rtpmap` when there is one (encoding name without regard to
/// case, RFC 4855 3; clock rate; one channel), else by its static payload type (RFC 3551 6).
/// A dynamic payload type without `a=rtpmap` means nothing.
pub fn identify(payload_type: u8, rtpmap: Option<&Rtpmap<'_>>) -> Option<Format> {
    let Some(map) = rtpmap else {
        return Codec::from_static_payload_type(payload_type).map(Format::Audio);
    };
    if map.clock_rate != CLOCK || map.channels.is_some_and(|c| c != 1) {
        return None;
    }
    if map.encoding.eq_ignore_ascii_case(TELEPHONE_EVENT) {
        return Some(Format::TelephoneEvent);
    }
    Codec::ALL.into_iter().find(|c| c.encoding_name().eq_ignore_ascii_case(map.encoding)).map(Format::Audio)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pt: u8, text: &'static [u8]) -> Rtpmap<'static> {
        Rtpmap::parse(text).filter(|r| r.payload_type == pt).unwrap()
    }

    #[test]
    fn static_types_without_rtpmap() {
        assert_eq!(identify(0, None), Some(Format::Audio(Codec::Pcmu)));
        assert_eq!(identify(8, None), Some(Format::Audio(Codec::Pcma)));
        assert_eq!(identify(9, None), Some(Format::Audio(Codec::G722)));
        assert_eq!(identify(18, None), None, "G729 is not supported");
        assert_eq!(identify(101, None), None, "a dynamic type needs an rtpmap");
    }

    #[test]
    fn rtpmap_names_rates_and_channels() {
        assert_eq!(identify(96, Some(&map(96, b"96 pcmu/8000"))), Some(Format::Audio(Codec::Pcmu)));
        assert_eq!(identify(9, Some(&map(9, b"9 G722/8000/1"))), Some(Format::Audio(Codec::G722)));
        assert_eq!(identify(9, Some(&map(9, b"9 G722/16000"))), None, "RFC 3551 says 8000");
        assert_eq!(identify(0, Some(&map(0, b"0 PCMU/8000/2"))), None, "stereo");
        assert_eq!(identify(101, Some(&map(101, b"101 Telephone-Event/8000"))), Some(Format::TelephoneEvent));
        assert_eq!(identify(110, Some(&map(110, b"110 telephone-event/48000"))), None);
        assert_eq!(identify(111, Some(&map(111, b"111 opus/48000/2"))), None);
        assert_eq!(identify(0, Some(&map(0, b"0 PCMA/8000"))), Some(Format::Audio(Codec::Pcma)), "rtpmap wins");
        assert_eq!(Codec::G722.sample_rate(), 16_000);
        assert_eq!(Codec::G722.clock_rate(), 8000);
    }
}
