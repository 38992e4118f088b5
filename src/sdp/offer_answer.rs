//! The answerer's and the first offerer's rules of RFC 3264: which offered streams we
//! accept, with which formats and direction, and what our own offer lists.

use std::net::SocketAddr;

use smallvec::SmallVec;

use super::error::NegotiationError;
use super::local::{AudioStream, LocalConfig, LocalDescription, LocalMedia, RtpProfile};
use super::media::MediaDescription;
use super::negotiated::{remote_direction, remote_rtcp, send_ptime, usable_formats, Negotiated};
use super::parse::SessionDescription;

/// Answers an offer (RFC 3264 6). Every offered `m=` line gets a line in the answer, in
/// order. The first audio stream we can take is accepted with the offered formats we
/// support, in the offerer's order and with the offerer's payload type numbers, and never a
/// format that was not offered (6.1). Every other stream gets port 0: video, a second
/// audio, SRTP or other profiles, and streams offered with port 0.
///
/// Fails with [`NegotiationError::NoAcceptableMedia`] (488) when nothing can be accepted.
pub fn answer(
    offer: &SessionDescription<'_>,
    config: &LocalConfig,
) -> Result<(LocalDescription, Negotiated), NegotiationError> {
    let mut media = SmallVec::new();
    let mut negotiated = None;
    for (index, m) in offer.media.iter().enumerate() {
        match negotiated.is_none().then(|| accept_audio(offer, m, config)).flatten() {
            Some((stream, n)) => {
                negotiated = Some(Negotiated { media_index: index, ..n });
                media.push(LocalMedia::Audio(stream));
            }
            None => media.push(LocalMedia::rejected(m)),
        }
    }
    let negotiated = negotiated.ok_or(NegotiationError::NoAcceptableMedia)?;
    Ok((LocalDescription { address: config.address, media }, negotiated))
}

/// Accepts one offered stream if it is unicast RTP audio with a codec we have.
fn accept_audio<'a>(
    sdp: &SessionDescription<'a>,
    m: &MediaDescription<'a>,
    config: &LocalConfig,
) -> Option<(AudioStream, Negotiated)> {
    if m.port == 0 || !m.media.eq_ignore_ascii_case(b"audio") {
        return None;
    }
    let profile = RtpProfile::from_proto(m.proto)?;
    let connection = sdp.connection_of(m)?;
    let ip = connection.ip.filter(|ip| !ip.is_multicast())?;
    let usable = usable_formats(m, |c| config.codecs.contains(&c));
    let &(codec, payload_type) = usable.codecs.first()?;
    let telephone_event = usable.telephone_event.filter(|_| config.telephone_event.is_some());
    // RFC 3264 6.1: the reversed offer, narrowed by ours (sendonly while we hold the call).
    let direction = remote_direction(sdp, m, &connection).reversed().intersect(config.direction);
    // RFC 5761 5.1.1, RFC 8035: mux in the answer only when offered, and then used both ways.
    let rtcp_mux = m.rtcp_mux && config.rtcp_mux;
    let remote = SocketAddr::new(ip, m.port);
    let negotiated = Negotiated {
        media_index: 0,
        remote,
        codec,
        payload_type,
        telephone_event,
        direction,
        ptime: send_ptime(m, config.ptime),
        rtcp_mux,
        remote_rtcp: remote_rtcp(m, remote, rtcp_mux),
    };
    let stream = AudioStream {
        port: config.audio_port,
        profile,
        codecs: usable.codecs,
        telephone_event,
        ptime: config.ptime,
        direction,
        rtcp_mux,
    };
    Some((stream, negotiated))
}

/// A first offer (RFC 3264 5): one RTP/AVP audio stream with our codecs in our order of
/// preference, on their static payload types, plus telephone-event and `a=rtcp-mux` when
/// configured.
/// Without any codec there is nothing to offer ([`NegotiationError::NoAcceptableMedia`]).
pub fn create_offer(config: &LocalConfig) -> Result<LocalDescription, NegotiationError> {
    Ok(LocalDescription::audio(config.address, offered_stream(config, RtpProfile::Avp)?))
}

/// The audio stream of an offer of ours; a re-offer keeps the profile already agreed.
pub(crate) fn offered_stream(config: &LocalConfig, profile: RtpProfile) -> Result<AudioStream, NegotiationError> {
    let mut codecs = SmallVec::new();
    for &c in &config.codecs {
        if !codecs.iter().any(|&(x, _)| x == c) {
            codecs.push((c, c.static_payload_type()));
        }
    }
    if codecs.is_empty() {
        return Err(NegotiationError::NoAcceptableMedia);
    }
    Ok(AudioStream {
        port: config.audio_port,
        profile,
        codecs,
        telephone_event: config.telephone_event,
        ptime: config.ptime,
        direction: config.direction,
        rtcp_mux: config.rtcp_mux,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::{Codec, Direction};

    const OFFER: &[u8] = b"v=0\r\no=- 7 7 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
        m=audio 0 RTP/AVP 0\r\nm=audio 7000 RTP/SAVP 0\r\nm=audio 7002 RTP/AVP 18 9 8\r\na=sendonly\r\n\
        m=audio 7004 RTP/AVP 0\r\n";

    #[test]
    fn first_acceptable_stream_only() {
        let offer = SessionDescription::parse(OFFER).unwrap();
        let config = LocalConfig::new([10, 0, 0, 1].into(), 4000);
        let (desc, neg) = answer(&offer, &config).unwrap();
        assert_eq!(desc.media.len(), 4);
        assert_eq!(
            desc.audio_stream().map(|(i, a)| (i, &a.codecs[..])),
            Some((2, &[(Codec::G722, 9), (Codec::Pcma, 8)][..]))
        );
        assert!(desc.media.iter().filter(|m| matches!(m, LocalMedia::Rejected { .. })).count() == 3);
        assert_eq!((neg.media_index, neg.remote.port(), neg.codec), (2, 7002, Codec::G722));
        assert_eq!((neg.direction, neg.telephone_event, neg.ptime), (Direction::RecvOnly, None, 20));
    }

    #[test]
    fn our_codec_list_limits_the_answer() {
        let offer = SessionDescription::parse(OFFER).unwrap();
        let mut config = LocalConfig::new([10, 0, 0, 1].into(), 4000);
        config.codecs = SmallVec::from_slice(&[Codec::Pcmu]);
        let (_, neg) = answer(&offer, &config).unwrap();
        assert_eq!((neg.media_index, neg.codec, neg.payload_type), (3, Codec::Pcmu, 0));
        config.codecs.clear();
        assert_eq!(answer(&offer, &config).unwrap_err(), NegotiationError::NoAcceptableMedia);
    }

    #[test]
    fn offers_dedupe_codecs_and_follow_config() {
        let mut config = LocalConfig::new([10, 0, 0, 1].into(), 4000);
        config.codecs = SmallVec::from_slice(&[Codec::Pcma, Codec::Pcmu, Codec::Pcma]);
        config.telephone_event = None;
        let desc = create_offer(&config).unwrap();
        let (_, a) = desc.audio_stream().unwrap();
        assert_eq!((&a.codecs[..], a.telephone_event, a.port), (&[(Codec::Pcma, 8), (Codec::Pcmu, 0)][..], None, 4000));
        config.codecs.clear();
        assert_eq!(create_offer(&config), Err(NegotiationError::NoAcceptableMedia));
    }

    #[test]
    fn rtcp_mux_is_answered_only_when_offered_and_wanted() {
        let mux = b"v=0\r\no=- 7 7 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
            m=audio 7002 RTP/AVP 0\r\na=rtcp-mux\r\na=rtcp:7002\r\n";
        let offer = SessionDescription::parse(mux).unwrap();
        let mut config = LocalConfig::new([10, 0, 0, 1].into(), 4000);
        let (desc, neg) = answer(&offer, &config).unwrap();
        assert_eq!((desc.audio_stream().map(|(_, a)| a.rtcp_mux), neg.rtcp_mux), (Some(true), true));
        assert_eq!((neg.remote_rtcp, neg.rtcp_destination()), (None, "192.0.2.9:7002".parse().unwrap()));
        config.rtcp_mux = false;
        let (desc, neg) = answer(&offer, &config).unwrap();
        assert_eq!((desc.audio_stream().map(|(_, a)| a.rtcp_mux), neg.rtcp_mux), (Some(false), false));
        assert_eq!(neg.remote_rtcp, Some("192.0.2.9:7002".parse().unwrap()), "a=rtcp applies unmuxed");
        let (desc, neg) =
            answer(&SessionDescription::parse(OFFER).unwrap(), &LocalConfig::new([10, 0, 0, 1].into(), 4000)).unwrap();
        assert_eq!((desc.audio_stream().map(|(_, a)| a.rtcp_mux), neg.rtcp_mux), (Some(false), false));
        assert_eq!(neg.rtcp_destination(), "192.0.2.9:7003".parse().unwrap());
    }

    #[test]
    fn our_offer_carries_rtcp_mux_per_config() {
        let mut config = LocalConfig::new([10, 0, 0, 1].into(), 4000);
        assert!(create_offer(&config).unwrap().audio_stream().is_some_and(|(_, a)| a.rtcp_mux));
        config.rtcp_mux = false;
        assert!(create_offer(&config).unwrap().audio_stream().is_some_and(|(_, a)| !a.rtcp_mux));
    }
}
