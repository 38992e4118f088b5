//! RTP/RTCP multiplexing (RFC 5761 5.1.1, RFC 8035) and the `a=rtcp` attribute (RFC 3605)
//! as calls meet them: offers with and without `a=rtcp-mux` and the answers we write, our own
//! offers and the answers we read, and re-INVITEs once mux is on.

use std::net::SocketAddr;

use bytes::BytesMut;
use callshard::sdp::{
    answer, Attribute, Direction, LocalConfig, LocalOrigin, RtcpAddress, SdpSession, SessionDescription,
};

/// A gateway-style offer (Asterisk/FreeSWITCH with WebRTC peers behind them): mux offered,
/// and `a=rtcp` naming the RTP port, as muxing offerers often write it.
const MUX_OFFER: &str = "v=0\r\no=- 3 3 IN IP4 203.0.113.4\r\ns=-\r\nc=IN IP4 203.0.113.4\r\nt=0 0\r\n\
    m=audio 16000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
    a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=rtcp:16000\r\na=rtcp-mux\r\na=sendrecv\r\n";

/// A classic phone: no mux, RTCP on an explicit port and address (RFC 3605 2.1), as behind
/// a NAT that does not keep port parity.
const RTCP_ATTR_OFFER: &str = "v=0\r\no=- 4 4 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n\
    m=audio 20000 RTP/AVP 0\r\na=rtcp:20011 IN IP4 198.51.100.21\r\n";

const PLAIN_OFFER: &str = "v=0\r\no=- 5 5 IN IP4 198.51.100.30\r\ns=-\r\nc=IN IP4 198.51.100.30\r\nt=0 0\r\n\
    m=audio 30000 RTP/AVP 0\r\n";

fn parse(body: &str) -> SessionDescription<'_> {
    SessionDescription::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn config() -> LocalConfig {
    LocalConfig::new("192.0.2.100".parse().unwrap(), 40000)
}

fn session() -> SdpSession {
    SdpSession::new(config(), LocalOrigin { username: b"callshard"[..].into(), session_id: 1, version: 1 })
}

fn body(s: &SdpSession) -> String {
    let mut out = BytesMut::new();
    assert!(s.write_local(&mut out));
    String::from_utf8(out.to_vec()).unwrap()
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// An answer from a peer at 198.51.100.7:41000 to our offer, with `extra` attribute lines.
fn peer_answer(extra: &str) -> String {
    format!("v=0\r\no=- 9 9 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 41000 RTP/AVP 0\r\n{extra}")
}

#[test]
fn an_offer_with_rtcp_mux_gets_it_in_the_answer() {
    let mut s = session();
    let n = s.answer_to(&parse(MUX_OFFER)).unwrap();
    assert!(n.rtcp_mux);
    assert_eq!(
        (n.remote, n.rtcp_destination(), n.remote_rtcp),
        (addr("203.0.113.4:16000"), addr("203.0.113.4:16000"), None)
    );
    let written = body(&s);
    assert!(written.ends_with("a=ptime:20\r\na=rtcp-mux\r\na=sendrecv\r\n"), "{written}");
    // What we wrote reads back as mux on that stream.
    let back = SessionDescription::parse(written.as_bytes()).unwrap();
    assert!(back.media[0].rtcp_mux && back.media[0].attributes().any(|a| a == Attribute::RtcpMux));
}

#[test]
fn an_offer_without_it_keeps_rtcp_on_the_next_port() {
    for offer in [PLAIN_OFFER, RTCP_ATTR_OFFER] {
        let (desc, n) = answer(&parse(offer), &config()).unwrap();
        assert!(!n.rtcp_mux && !desc.audio_stream().unwrap().1.rtcp_mux);
    }
    let mut s = session();
    let n = s.answer_to(&parse(PLAIN_OFFER)).unwrap();
    assert_eq!((n.remote_rtcp, n.rtcp_destination()), (None, addr("198.51.100.30:30001")));
    assert!(!body(&s).contains("rtcp"), "{}", body(&s));
    let n = session().answer_to(&parse(RTCP_ATTR_OFFER)).unwrap();
    assert_eq!((n.remote_rtcp, n.rtcp_destination()), (Some(addr("198.51.100.21:20011")), addr("198.51.100.21:20011")));
    assert_eq!(
        parse(RTCP_ATTR_OFFER).media[0].rtcp,
        Some(RtcpAddress { port: 20011, ip: Some("198.51.100.21".parse().unwrap()) })
    );
}

#[test]
fn a_config_without_mux_answers_without_it() {
    let mut c = config();
    c.rtcp_mux = false;
    let (desc, n) = answer(&parse(MUX_OFFER), &c).unwrap();
    assert!(!n.rtcp_mux && !desc.audio_stream().unwrap().1.rtcp_mux);
    // Unmuxed, the offerer's a=rtcp (its RTP port here) is where RTCP goes.
    assert_eq!(n.rtcp_destination(), addr("203.0.113.4:16000"));
}

#[test]
fn our_offer_has_mux_and_the_answer_decides() {
    let mut s = session();
    s.offer(Direction::SendRecv).unwrap();
    assert!(body(&s).contains("m=audio 40000 RTP/AVP 0 8 9 101\r\n") && body(&s).contains("a=rtcp-mux\r\n"));
    let n = s.apply_answer(&parse(&peer_answer("a=rtcp-mux\r\n"))).unwrap();
    assert_eq!((n.rtcp_mux, n.rtcp_destination()), (true, addr("198.51.100.7:41000")));

    // RFC 5761 5.1.1: an answer without it means RTCP on port + 1, both ways.
    let mut s = session();
    s.offer(Direction::SendRecv).unwrap();
    let n = s.apply_answer(&parse(&peer_answer(""))).unwrap();
    assert_eq!((n.rtcp_mux, n.rtcp_destination()), (false, addr("198.51.100.7:41001")));

    // With mux off in the config we neither offer it nor take it from an answer.
    let mut s = session();
    s.config_mut().rtcp_mux = false;
    s.offer(Direction::SendRecv).unwrap();
    assert!(!body(&s).contains("rtcp-mux"));
    assert!(!s.apply_answer(&parse(&peer_answer("a=rtcp-mux\r\n"))).unwrap().rtcp_mux);
}

#[test]
fn re_invites_keep_mux_on_our_side() {
    // Answered with mux, then we hold and resume: both re-offers carry it, and a config
    // change in between does not take it out.
    let mut s = session();
    assert!(s.answer_to(&parse(MUX_OFFER)).unwrap().rtcp_mux);
    s.config_mut().rtcp_mux = false;
    s.offer(Direction::SendOnly).unwrap();
    assert!(body(&s).contains("a=rtcp-mux\r\na=sendonly\r\n"), "{}", body(&s));
    let held = s.apply_answer(&parse(&peer_answer("a=rtcp-mux\r\na=recvonly\r\n"))).unwrap();
    assert_eq!((held.rtcp_mux, held.direction), (true, Direction::SendOnly));
    // The peer's own re-offer with mux is answered with mux, whatever the config says now.
    let refresh = MUX_OFFER.replace("o=- 3 3", "o=- 3 4");
    assert!(s.answer_to(&parse(&refresh)).unwrap().rtcp_mux);
    assert!(body(&s).contains("a=rtcp-mux\r\n"));
    // A peer re-offer without it ends mux: we may not add it to our answer (RFC 8035).
    let n = s.answer_to(&parse(PLAIN_OFFER)).unwrap();
    assert_eq!((n.rtcp_mux, n.rtcp_destination()), (false, addr("198.51.100.30:30001")));
    assert!(!body(&s).contains("rtcp-mux"));
}
