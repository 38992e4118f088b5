//! The offerer's side of RFC 3264: checking an answer against the offer it answers.

use std::net::SocketAddr;

use super::codec::{identify, Format};
use super::error::NegotiationError;
use super::local::{AudioStream, LocalDescription, LocalMedia};
use super::media::MediaDescription;
use super::negotiated::{remote_direction, remote_rtcp, send_ptime, Negotiated};
use super::parse::SessionDescription;

/// Reads the answer to `offer` (RFC 3264 6, 7). The answer must have as many `m=` lines as
/// the offer, of the same media types, and list only formats we offered on our audio
/// stream. Fails with [`NegotiationError::NoAcceptableMedia`] when the answerer refused
/// the audio stream or kept none of our codecs.
pub fn apply_answer(offer: &LocalDescription, answer: &SessionDescription<'_>) -> Result<Negotiated, NegotiationError> {
    if answer.media.len() != offer.media.len() {
        return Err(NegotiationError::MediaCount { offered: offer.media.len(), answered: answer.media.len() });
    }
    let mut negotiated = None;
    for (index, (ours, theirs)) in offer.media.iter().zip(&answer.media).enumerate() {
        if !theirs.media.eq_ignore_ascii_case(ours.media_type()) {
            return Err(NegotiationError::BadAnswer { reason: "m= line media type differs from the offer" });
        }
        // A stream we offered with port 0 stays off whatever the answer says (RFC 3264 6).
        let (LocalMedia::Audio(stream), true) = (ours, theirs.port != 0) else { continue };
        let n = accepted_audio(answer, theirs, stream, index)?;
        negotiated = negotiated.or(n);
    }
    negotiated.ok_or(NegotiationError::NoAcceptableMedia)
}

/// Checks the answered formats of our audio stream and reads what was agreed.
fn accepted_audio<'a>(
    sdp: &SessionDescription<'a>,
    m: &MediaDescription<'a>,
    ours: &AudioStream,
    index: usize,
) -> Result<Option<Negotiated>, NegotiationError> {
    let not_offered = NegotiationError::FormatNotOffered { media_index: index };
    let (mut first_codec, mut telephone_event) = (None, None);
    for format in m.formats() {
        let pt = crate::sip::lex::parse_decimal(format, 127).ok_or(not_offered)? as u8;
        let offered = match ours.codecs.iter().find(|&&(_, p)| p == pt) {
            Some(&(codec, _)) => Format::Audio(codec),
            None if ours.telephone_event == Some(pt) => Format::TelephoneEvent,
            None => return Err(not_offered),
        };
        // RFC 3264 6.1: the answer keeps our payload type numbers; a different mapping
        // under one of them is a format we did not offer.
        if let Some(map) = m.rtpmap(pt) {
            if identify(pt, Some(&map)) != Some(offered) {
                return Err(not_offered);
            }
        }
        match offered {
            Format::Audio(codec) => first_codec = first_codec.or(Some((codec, pt))),
            Format::TelephoneEvent => telephone_event = Some(pt),
        }
    }
    let Some((codec, payload_type)) = first_codec else { return Ok(None) };
    let connection = sdp.connection_of(m).ok_or(NegotiationError::BadAnswer { reason: "no c= line" })?;
    let ip = connection.ip.ok_or(NegotiationError::BadAnswer { reason: "c= address is not an IP literal" })?;
    // What the answerer does, seen from our end, and never more than we offered.
    let direction = remote_direction(sdp, m, &connection).reversed().intersect(ours.direction);
    // RFC 5761 5.1.1: without `a=rtcp-mux` in the answer we must not mux; one we did not
    // offer is ignored (RFC 8035).
    let rtcp_mux = ours.rtcp_mux && m.rtcp_mux;
    let remote = SocketAddr::new(ip, m.port);
    Ok(Some(Negotiated {
        media_index: index,
        remote,
        codec,
        payload_type,
        telephone_event,
        direction,
        ptime: send_ptime(m, ours.ptime),
        rtcp_mux,
        remote_rtcp: remote_rtcp(m, remote, rtcp_mux),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::{create_offer, Codec, Direction, LocalConfig};

    fn check(answer_media: &str) -> Result<Negotiated, NegotiationError> {
        let offer = create_offer(&LocalConfig::new([10, 0, 0, 1].into(), 4000)).unwrap();
        let body = format!("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\n{answer_media}");
        let answer = SessionDescription::parse(body.as_bytes())?;
        apply_answer(&offer, &answer)
    }

    #[test]
    fn reads_the_first_answered_codec() {
        let n = check("m=audio 8000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n").unwrap();
        assert_eq!((n.codec, n.payload_type, n.telephone_event), (Codec::Pcma, 8, Some(101)));
        assert_eq!((n.remote, n.direction, n.ptime), ("192.0.2.5:8000".parse().unwrap(), Direction::SendOnly, 20));
    }

    #[test]
    fn refuses_what_was_not_offered() {
        let e = |media_index| Err(NegotiationError::FormatNotOffered { media_index });
        assert_eq!(check("m=audio 8000 RTP/AVP 0 18\r\n"), e(0));
        assert_eq!(check("m=audio 8000 RTP/AVP 0 t38\r\n"), e(0));
        assert_eq!(check("m=audio 8000 RTP/AVP 101\r\na=rtpmap:101 PCMU/8000\r\n"), e(0));
        assert_eq!(
            check("m=audio 8000 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n"),
            Err(NegotiationError::MediaCount { offered: 1, answered: 2 })
        );
        assert!(matches!(check("m=video 8000 RTP/AVP 0\r\n"), Err(NegotiationError::BadAnswer { .. })));
        assert_eq!(check("m=audio 0 RTP/AVP 0\r\n"), Err(NegotiationError::NoAcceptableMedia));
        assert_eq!(check("m=audio 8000 RTP/AVP 101\r\n"), Err(NegotiationError::NoAcceptableMedia));
    }

    #[test]
    fn rtcp_mux_only_when_the_answer_has_it_too() {
        let n = check("m=audio 8000 RTP/AVP 0\r\na=rtcp-mux\r\n").unwrap();
        assert_eq!((n.rtcp_mux, n.rtcp_destination()), (true, "192.0.2.5:8000".parse().unwrap()));
        let n = check("m=audio 8000 RTP/AVP 0\r\n").unwrap();
        assert_eq!((n.rtcp_mux, n.rtcp_destination()), (false, "192.0.2.5:8001".parse().unwrap()));
        let n = check("m=audio 8000 RTP/AVP 0\r\na=rtcp:9000 IN IP4 192.0.2.6\r\n").unwrap();
        assert_eq!((n.rtcp_mux, n.remote_rtcp), (false, Some("192.0.2.6:9000".parse().unwrap())));
        // An answer may not add mux to an offer without it (RFC 8035): it is ignored.
        let mut config = LocalConfig::new([10, 0, 0, 1].into(), 4000);
        config.rtcp_mux = false;
        let offer = create_offer(&config).unwrap();
        let body =
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\nm=audio 8000 RTP/AVP 0\r\na=rtcp-mux\r\n";
        let n = apply_answer(&offer, &SessionDescription::parse(body.as_bytes()).unwrap()).unwrap();
        assert_eq!((n.rtcp_mux, n.rtcp_destination().port()), (false, 8001));
    }
}
