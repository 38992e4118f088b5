//! Our side of a session: what we can do ([`LocalConfig`]) and what we last said
//! ([`LocalDescription`]). Small owned values a call keeps after the datagram is gone.

use std::net::IpAddr;

use smallvec::{smallvec, SmallVec};

use super::codec::Codec;
use super::direction::Direction;
use super::media::MediaDescription;

/// A short byte string kept inline (usernames, tokens echoed from an offer).
pub type Token = SmallVec<[u8; 16]>;

/// What one call can do: its media address and port (from the shard's port range), the
/// codecs in our order of preference, DTMF, packet time, and the direction we want.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalConfig {
    pub address: IpAddr,
    pub audio_port: u16,
    /// Our codecs, most preferred first. Offers list them in this order.
    pub codecs: SmallVec<[Codec; 3]>,
    /// The dynamic payload type we offer telephone-event on; `None` for no RFC 4733 DTMF.
    pub telephone_event: Option<u8>,
    /// The `a=ptime` we ask for, in milliseconds.
    pub ptime: Option<u16>,
    /// `sendonly` (or `inactive`) while we hold the call, else `sendrecv` (RFC 3264 8.4).
    pub direction: Direction,
    /// Offer RTP/RTCP multiplexing, and accept it when offered (RFC 5761 5.1.1). Offering it
    /// costs nothing: an answer without it leaves RTCP on port + 1, which stays reserved.
    pub rtcp_mux: bool,
}

impl LocalConfig {
    /// G.711 mu-law, A-law and G.722, telephone-event on 101, 20 ms packets, sendrecv,
    /// RTCP-mux offered and accepted.
    pub fn new(address: IpAddr, audio_port: u16) -> LocalConfig {
        LocalConfig {
            address,
            audio_port,
            codecs: SmallVec::from_slice(&Codec::ALL),
            telephone_event: Some(101),
            ptime: Some(20),
            direction: Direction::SendRecv,
            rtcp_mux: true,
        }
    }
}

/// The fields of our `o=` line (RFC 4566 5.2). `version` is managed by `SdpSession`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalOrigin {
    /// Written as `-` when empty or not a single visible token.
    pub username: Token,
    pub session_id: u64,
    pub version: u64,
}

/// The RTP profiles we accept on an audio stream; SRTP ones we cannot key are refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RtpProfile {
    /// RTP/AVP (RFC 3551).
    #[default]
    Avp,
    /// RTP/AVPF (RFC 4585): AVP plus early RTCP feedback, which we may simply not send.
    Avpf,
}

impl RtpProfile {
    pub fn from_proto(proto: &[u8]) -> Option<RtpProfile> {
        [RtpProfile::Avp, RtpProfile::Avpf].into_iter().find(|p| p.as_bytes().eq_ignore_ascii_case(proto))
    }

    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            RtpProfile::Avp => b"RTP/AVP",
            RtpProfile::Avpf => b"RTP/AVPF",
        }
    }
}

/// An audio stream we offer or accept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioStream {
    pub port: u16,
    pub profile: RtpProfile,
    /// `(codec, payload type)`, most preferred first.
    pub codecs: SmallVec<[(Codec, u8); 3]>,
    /// The telephone-event payload type, if DTMF events are on.
    pub telephone_event: Option<u8>,
    pub ptime: Option<u16>,
    pub direction: Direction,
    /// Written as `a=rtcp-mux` (RFC 5761 5.1.1).
    pub rtcp_mux: bool,
}

/// One `m=` line of ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalMedia {
    Audio(AudioStream),
    /// A stream refused or removed: `m=<media> 0 <proto> <format>` (RFC 3264 6, 8.2).
    Rejected {
        media: Token,
        proto: Token,
        format: Token,
    },
}

impl LocalMedia {
    /// The port-0 line answering (or keeping the place of) an offered stream. A field that
    /// is not a visible ASCII token is replaced, so that nothing odd is echoed into our body.
    pub fn rejected(offered: &MediaDescription<'_>) -> LocalMedia {
        let token = |s: &[u8], default: &[u8]| -> Token {
            let ok = !s.is_empty() && s.iter().all(u8::is_ascii_graphic);
            Token::from_slice(if ok { s } else { default })
        };
        LocalMedia::Rejected {
            media: token(offered.media, b"application"),
            proto: token(offered.proto, b"RTP/AVP"),
            format: token(offered.formats().next().unwrap_or_default(), b"0"),
        }
    }

    /// The media type of the `m=` line (`audio` for our stream).
    pub fn media_type(&self) -> &[u8] {
        match self {
            LocalMedia::Audio(_) => b"audio",
            LocalMedia::Rejected { media, .. } => media,
        }
    }
}

/// Everything our side puts in a body but the `o=` line: the connection address and the
/// `m=` lines, in the order the offer/answer exchange fixed (RFC 3264 6, 8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalDescription {
    pub address: IpAddr,
    pub media: SmallVec<[LocalMedia; 2]>,
}

impl LocalDescription {
    /// A description with a single audio stream.
    pub fn audio(address: IpAddr, stream: AudioStream) -> LocalDescription {
        LocalDescription { address, media: smallvec![LocalMedia::Audio(stream)] }
    }

    /// The audio stream and its position, if one is on.
    pub fn audio_stream(&self) -> Option<(usize, &AudioStream)> {
        self.media.iter().enumerate().find_map(|(i, m)| match m {
            LocalMedia::Audio(a) => Some((i, a)),
            LocalMedia::Rejected { .. } => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_lines_echo_the_offer_safely() {
        let m = MediaDescription::parse_m_line(b"video 5000 RTP/AVP 31 34").unwrap();
        let r = LocalMedia::rejected(&m);
        let LocalMedia::Rejected { media, proto, format } = &r else { panic!("not rejected") };
        assert_eq!((&media[..], &proto[..], &format[..]), (&b"video"[..], &b"RTP/AVP"[..], &b"31"[..]));
        assert_eq!(r.media_type(), b"video");
        let odd = MediaDescription::parse_m_line("vidéo 0 RTP/AVP".as_bytes()).unwrap();
        let LocalMedia::Rejected { media, format, .. } = LocalMedia::rejected(&odd) else { panic!("not rejected") };
        assert_eq!((&media[..], &format[..]), (&b"application"[..], &b"0"[..]));
    }

    #[test]
    fn profiles_and_defaults() {
        assert_eq!(RtpProfile::from_proto(b"rtp/avpf"), Some(RtpProfile::Avpf));
        assert_eq!(RtpProfile::from_proto(b"RTP/SAVP"), None);
        let c = LocalConfig::new([10, 0, 0, 1].into(), 4000);
        assert_eq!(
            (&c.codecs[..], c.telephone_event, c.ptime, c.rtcp_mux),
            (&Codec::ALL[..], Some(101), Some(20), true)
        );
    }
}
