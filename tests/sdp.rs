//! SDP offer/answer as calls meet it: SIPp's and real phones' offers, hold and resume in
//! both directions, codec changes, rejected streams, IPv6, late offers, malformed bodies,
//! and property tests that no input makes the parser or the answerer panic.

use std::net::{IpAddr, SocketAddr};

use bytes::BytesMut;
use callshard::sdp::{
    answer, apply_answer, create_offer, Attribute, Codec, Direction, LocalConfig, LocalDescription, LocalMedia,
    LocalOrigin, Negotiated, NegotiationError, SdpError, SdpSession, SessionDescription,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;

/// SIPp's built-in uac scenario body.
const SIPP_UAC: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n\
    t=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

/// A desk phone (Yealink-style): Opus first, G.722, G.711, G.729, DTMF events on 101.
const DESK_PHONE: &str = "v=0\r\no=- 20010 20010 IN IP4 192.168.1.50\r\ns=SDP data\r\nc=IN IP4 192.168.1.50\r\n\
    t=0 0\r\nm=audio 11800 RTP/AVP 111 9 0 8 18 101\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n\
    a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:18 G729/8000\r\n\
    a=fmtp:18 annexb=no\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";

/// A softphone (Linphone-style) with bare LF line ends, telephone-event at three clock rates,
/// and audio plus video.
const SOFTPHONE: &str = "v=0\no=alice 1234 5678 IN IP4 10.1.2.3\ns=Talk\nc=IN IP4 10.1.2.3\nt=0 0\n\
    a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\n\
    m=audio 7078 RTP/AVP 96 97 98 0 8 101 99 100\na=rtpmap:96 opus/48000/2\na=fmtp:96 useinbandfec=1\n\
    a=rtpmap:97 speex/16000\na=rtpmap:98 speex/8000\na=rtpmap:101 telephone-event/48000\n\
    a=rtpmap:99 telephone-event/16000\na=rtpmap:100 telephone-event/8000\na=rtcp-fb:* trr-int 1000\n\
    m=video 9078 RTP/AVP 96 97\na=rtpmap:96 VP8/90000\na=rtpmap:97 H264/90000\na=fmtp:97 profile-level-id=42801F\n";

fn parse(body: &str) -> SessionDescription<'_> {
    SessionDescription::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e} ({}): {body}", e.detail()))
}

fn local_config() -> LocalConfig {
    LocalConfig::new("192.0.2.100".parse().unwrap(), 30000)
}

fn origin(version: u64) -> LocalOrigin {
    LocalOrigin { username: b"callshard"[..].into(), session_id: 4242, version }
}

fn session() -> SdpSession {
    SdpSession::new(local_config(), origin(1))
}

fn written(desc: &LocalDescription, version: u64) -> String {
    let mut out = BytesMut::new();
    callshard::sdp::write(&mut out, &origin(version), desc);
    String::from_utf8(out.to_vec()).unwrap()
}

fn session_body(s: &SdpSession) -> String {
    let mut out = BytesMut::new();
    assert!(s.write_local(&mut out));
    String::from_utf8(out.to_vec()).unwrap()
}

/// The `m=` lines of a body.
fn m_lines(body: &str) -> Vec<&str> {
    body.lines().filter(|l| l.starts_with("m=")).collect()
}

fn remote(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// Replaces the first occurrence of `from` (which must be there).
fn edit(body: &str, from: &str, to: &str) -> String {
    assert!(body.contains(from), "{from:?} not in {body}");
    body.replacen(from, to, 1)
}

// ---------------------------------------------------------------------------------------
// Answering offers
// ---------------------------------------------------------------------------------------

#[test]
fn sipp_default_offer_gets_pcmu_without_dtmf() {
    let offer = parse(SIPP_UAC);
    assert_eq!(
        (offer.origin.username, offer.origin.session_id, offer.origin.version),
        (&b"user1"[..], 53655765, 2353687637)
    );
    let (desc, n) = answer(&offer, &local_config()).unwrap();
    assert_eq!(n.remote, remote("127.0.0.1:6000"));
    assert_eq!((n.codec, n.payload_type, n.telephone_event), (Codec::Pcmu, 0, None));
    assert_eq!((n.direction, n.ptime, n.media_index), (Direction::SendRecv, 20, 0));
    let body = written(&desc, 7);
    assert_eq!(
        body,
        "v=0\r\no=callshard 4242 7 IN IP4 192.0.2.100\r\ns=-\r\nc=IN IP4 192.0.2.100\r\nt=0 0\r\n\
         m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n"
    );
}

#[test]
fn desk_phone_offer_keeps_its_order_and_drops_opus_and_g729() {
    let offer = parse(DESK_PHONE);
    let (desc, n) = answer(&offer, &local_config()).unwrap();
    let body = written(&desc, 1);
    assert_eq!(m_lines(&body), ["m=audio 30000 RTP/AVP 9 0 8 101"]);
    for line in ["a=rtpmap:9 G722/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20"] {
        assert!(body.contains(line), "{line} missing from {body}");
    }
    assert!(!body.contains("opus") && !body.contains("G729") && !body.contains(" 111") && !body.contains(" 18"));
    assert_eq!((n.codec, n.payload_type, n.telephone_event), (Codec::G722, 9, Some(101)));
    assert_eq!(n.remote, remote("192.168.1.50:11800"));
}

#[test]
fn softphone_gets_8k_telephone_event_and_video_is_refused_with_port_zero() {
    let offer = parse(SOFTPHONE);
    assert!(offer.attributes().any(|a| matches!(a, Attribute::Other { name: b"rtcp-xr", .. })));
    let (desc, n) = answer(&offer, &local_config()).unwrap();
    assert_eq!((n.codec, n.payload_type, n.telephone_event), (Codec::Pcmu, 0, Some(100)));
    let body = written(&desc, 1);
    assert_eq!(m_lines(&body), ["m=audio 30000 RTP/AVP 0 8 100", "m=video 0 RTP/AVP 96"]);
    // The written answer reads back with the offer's m-line count and order (RFC 3264 6).
    let back = parse(&body);
    let kinds: Vec<_> = back.media.iter().map(|m| (m.media, m.port)).collect();
    assert_eq!(kinds, [(&b"audio"[..], 30000), (&b"video"[..], 0)]);
    assert_eq!(back.media[0].rtpmap(100).map(|r| r.encoding), Some(&b"telephone-event"[..]));
    assert_eq!(back.media[0].fmtp(b"100"), Some(&b"0-16"[..]));
}

#[test]
fn dynamic_payload_types_keep_the_offerers_numbers() {
    let body = edit(
        SIPP_UAC,
        "RTP/AVP 0\r\na=rtpmap:0 PCMU/8000",
        "RTP/AVP 98 127\r\na=rtpmap:98 pcma/8000\r\na=rtpmap:127 telephone-event/8000",
    );
    let (desc, n) = answer(&parse(&body), &local_config()).unwrap();
    assert_eq!((n.codec, n.payload_type, n.telephone_event), (Codec::Pcma, 98, Some(127)));
    let answer_body = written(&desc, 1);
    assert_eq!(m_lines(&answer_body), ["m=audio 30000 RTP/AVP 98 127"]);
    assert!(answer_body.contains("a=rtpmap:98 PCMA/8000\r\n") && answer_body.contains("a=fmtp:127 0-16\r\n"));
}

#[test]
fn remote_ptime_and_maxptime_set_our_packet_time() {
    let n = answer(&parse(&edit(DESK_PHONE, "a=ptime:20", "a=ptime:30")), &local_config()).unwrap().1;
    assert_eq!(n.ptime, 30);
    let n =
        answer(&parse(&edit(SIPP_UAC, "PCMU/8000\r\n", "PCMU/8000\r\na=maxptime:10\r\n")), &local_config()).unwrap().1;
    assert_eq!(n.ptime, 10);
}

#[test]
fn a_port_zero_stream_is_answered_with_port_zero_and_the_next_audio_is_taken() {
    let body = edit(SIPP_UAC, "m=audio 6000 RTP/AVP 0\r\n", "m=audio 0 RTP/AVP 0\r\nm=audio 6002 RTP/AVP 8\r\n");
    let (desc, n) = answer(&parse(&body), &local_config()).unwrap();
    assert_eq!((n.media_index, n.remote.port(), n.codec), (1, 6002, Codec::Pcma));
    assert_eq!(m_lines(&written(&desc, 1)), ["m=audio 0 RTP/AVP 0", "m=audio 30000 RTP/AVP 8"]);
}

#[test]
fn only_the_first_acceptable_audio_stream_is_accepted() {
    let body = format!("{SIPP_UAC}m=audio 6002 RTP/AVP 8\r\nm=image 6004 udptl t38\r\nm=audio 6006 RTP/SAVP 0\r\n");
    let (desc, n) = answer(&parse(&body), &local_config()).unwrap();
    assert_eq!(n.media_index, 0);
    assert_eq!(
        m_lines(&written(&desc, 1)),
        ["m=audio 30000 RTP/AVP 0", "m=audio 0 RTP/AVP 8", "m=image 0 udptl t38", "m=audio 0 RTP/SAVP 0"]
    );
}

#[test]
fn avpf_audio_is_accepted_with_its_profile() {
    let (desc, _) = answer(&parse(&edit(SIPP_UAC, "RTP/AVP", "RTP/AVPF")), &local_config()).unwrap();
    assert_eq!(m_lines(&written(&desc, 1)), ["m=audio 30000 RTP/AVPF 0"]);
}

#[test]
fn nothing_usable_is_a_488() {
    let opus_only = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n\
        m=audio 5000 RTP/AVP 111 110\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:110 telephone-event/48000\r\n";
    let cases = [
        opus_only.to_string(),
        edit(SIPP_UAC, "RTP/AVP 0", "RTP/AVP 18"),
        edit(SIPP_UAC, "m=audio 6000", "m=audio 0"),
        edit(SIPP_UAC, "m=audio 6000 RTP/AVP", "m=audio 6000 RTP/SAVP"),
        edit(SIPP_UAC, "m=audio 6000 RTP/AVP 0", "m=video 6000 RTP/AVP 0"),
        edit(SIPP_UAC, "c=IN IP4 127.0.0.1", "c=IN IP4 pbx.example.com"),
        edit(SIPP_UAC, "c=IN IP4 127.0.0.1", "c=IN IP4 224.2.1.1/127"),
        edit(SIPP_UAC, "RTP/AVP 0\r\na=rtpmap:0 PCMU/8000", "RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000"),
        "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n".to_string(),
    ];
    for body in &cases {
        let e = answer(&parse(body), &local_config()).unwrap_err();
        assert_eq!((e, e.status_code()), (NegotiationError::NoAcceptableMedia, 488), "{body}");
    }
    let mut s = session();
    assert_eq!(s.answer_to(&parse(&cases[0])).unwrap_err().to_string(), "Not Acceptable Here");
    assert!(s.local().is_none() && s.negotiated().is_none(), "a refused offer leaves no state");
}

#[test]
fn ipv6_offers_and_answers() {
    let v6 = edit(
        &edit(SIPP_UAC, "IN IP4 127.0.0.1\r\ns", "IN IP6 2001:db8::5\r\ns"),
        "c=IN IP4 127.0.0.1",
        "c=IN IP6 2001:db8::5",
    );
    let mut config = local_config();
    config.address = "2001:db8:0:0:1::100".parse().unwrap();
    let (desc, n) = answer(&parse(&v6), &config).unwrap();
    assert_eq!(n.remote, remote("[2001:db8::5]:6000"));
    let body = written(&desc, 1);
    assert!(body.contains("o=callshard 4242 1 IN IP6 2001:db8::1:0:0:100\r\n"), "{body}");
    assert!(body.contains("c=IN IP6 2001:db8::1:0:0:100\r\n"), "{body}");
    // A media-level c= overrides the session's, across address families.
    let mixed = edit(SIPP_UAC, "a=rtpmap", "c=IN IP6 fe80::1\r\na=rtpmap");
    assert_eq!(answer(&parse(&mixed), &local_config()).unwrap().1.remote.ip(), "fe80::1".parse::<IpAddr>().unwrap());
    // A literal of the wrong family is a malformed c= line.
    let wrong = edit(SIPP_UAC, "c=IN IP4 127.0.0.1", "c=IN IP4 2001:db8::5");
    assert!(matches!(SessionDescription::parse(wrong.as_bytes()), Err(SdpError::BadLine { line: 'c', .. })));
}

// ---------------------------------------------------------------------------------------
// Hold and resume (RFC 3264 8.4)
// ---------------------------------------------------------------------------------------

#[test]
fn remote_hold_directions_are_mirrored() {
    for (change, ours) in [
        (("a=rtpmap:0 PCMU/8000\r\n", "a=rtpmap:0 PCMU/8000\r\na=sendonly\r\n"), Direction::RecvOnly),
        (("a=rtpmap:0 PCMU/8000\r\n", "a=rtpmap:0 PCMU/8000\r\na=recvonly\r\n"), Direction::SendOnly),
        (("a=rtpmap:0 PCMU/8000\r\n", "a=rtpmap:0 PCMU/8000\r\na=inactive\r\n"), Direction::Inactive),
        (("t=0 0\r\n", "t=0 0\r\na=sendonly\r\n"), Direction::RecvOnly),
        (("t=0 0\r\n", "t=0 0\r\na=inactive\r\n"), Direction::Inactive),
        // RFC 2543 hold: a 0.0.0.0 connection means "do not send to me".
        (("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0"), Direction::RecvOnly),
    ] {
        let body = edit(SIPP_UAC, change.0, change.1);
        let (desc, n) = answer(&parse(&body), &local_config()).unwrap();
        assert_eq!(n.direction, ours, "{body}");
        let line = format!("a={}\r\n", std::str::from_utf8(ours.as_bytes()).unwrap());
        assert!(written(&desc, 1).contains(&line), "{line}");
    }
    // A media-level direction overrides the session-level one.
    let body =
        edit(&edit(SIPP_UAC, "t=0 0\r\n", "t=0 0\r\na=inactive\r\n"), "PCMU/8000\r\n", "PCMU/8000\r\na=sendrecv\r\n");
    assert_eq!(answer(&parse(&body), &local_config()).unwrap().1.direction, Direction::SendRecv);
}

#[test]
fn remote_hold_and_resume_bump_our_answer_version_only_when_it_changes() {
    let mut s = session();
    let n = s.answer_to(&parse(DESK_PHONE)).unwrap();
    assert_eq!((n.direction, s.origin().version), (Direction::SendRecv, 1));

    let hold = edit(&edit(DESK_PHONE, "20010 20010", "20010 20011"), "a=sendrecv", "a=sendonly");
    assert_eq!(s.answer_to(&parse(&hold)).unwrap().direction, Direction::RecvOnly);
    assert_eq!(s.origin().version, 2);
    assert!(session_body(&s).contains("o=callshard 4242 2 IN IP4 192.0.2.100\r\n"));
    assert!(session_body(&s).contains("a=recvonly\r\n"));

    let resume = edit(DESK_PHONE, "20010 20010", "20010 20012");
    assert_eq!(s.answer_to(&parse(&resume)).unwrap().direction, Direction::SendRecv);
    assert_eq!(s.origin().version, 3);
    // A session refresh (same offer again) gets the same answer, at the same version.
    let before = session_body(&s);
    s.answer_to(&parse(&resume)).unwrap();
    assert_eq!((s.origin().version, session_body(&s)), (3, before));
}

#[test]
fn we_hold_with_sendonly_and_resume_with_sendrecv() {
    let mut s = session();
    s.answer_to(&parse(SIPP_UAC)).unwrap();
    assert_eq!(s.origin().version, 1);

    let hold = s.offer(Direction::SendOnly).unwrap().clone();
    assert_eq!(hold.audio_stream().map(|(_, a)| a.direction), Some(Direction::SendOnly));
    let body = session_body(&s);
    assert!(body.contains("o=callshard 4242 2 ") && body.contains("a=sendonly\r\n"), "{body}");
    // Our re-offer lists all our codecs again, in our order (RFC 3264 8.3.2).
    assert_eq!(m_lines(&body), ["m=audio 30000 RTP/AVP 0 8 9 101"]);

    let reply = edit(SIPP_UAC, "PCMU/8000\r\n", "PCMU/8000\r\na=recvonly\r\n");
    let n = s.apply_answer(&parse(&reply)).unwrap();
    assert_eq!((n.direction, n.codec), (Direction::SendOnly, Codec::Pcmu));
    // While we hold, a re-offer from the peer is answered sendonly, not sendrecv.
    assert_eq!(s.answer_to(&parse(SIPP_UAC)).unwrap().direction, Direction::SendOnly);

    s.offer(Direction::SendRecv).unwrap();
    assert!(session_body(&s).contains("a=sendrecv\r\n"));
    let n = s.apply_answer(&parse(SIPP_UAC)).unwrap();
    assert_eq!(n.direction, Direction::SendRecv);
    assert_eq!(s.origin().version, 4, "answer to the hold re-offer (3) then resume (4)");
}

#[test]
fn a_held_peer_answering_sendrecv_still_gets_no_media_from_us_beyond_what_we_offered() {
    let mut s = session();
    s.answer_to(&parse(SIPP_UAC)).unwrap();
    s.offer(Direction::Inactive).unwrap();
    // A non-compliant sendrecv answer to an inactive offer leaves us inactive.
    assert_eq!(s.apply_answer(&parse(SIPP_UAC)).unwrap().direction, Direction::Inactive);
}

// ---------------------------------------------------------------------------------------
// Re-offers, late offers and answers we check
// ---------------------------------------------------------------------------------------

#[test]
fn codec_change_by_remote_re_offer() {
    let mut s = session();
    assert_eq!(s.answer_to(&parse(SIPP_UAC)).unwrap().codec, Codec::Pcmu);
    let pcma = edit(
        &edit(SIPP_UAC, "2353687637", "2353687638"),
        "RTP/AVP 0\r\na=rtpmap:0 PCMU/8000",
        "RTP/AVP 8\r\na=rtpmap:8 PCMA/8000",
    );
    let n = s.answer_to(&parse(&pcma)).unwrap();
    assert_eq!((n.codec, n.payload_type), (Codec::Pcma, 8));
    assert_eq!(s.negotiated(), Some(&n));
    assert_eq!(s.origin().version, 2);
    assert_eq!(m_lines(&session_body(&s)), ["m=audio 30000 RTP/AVP 8"]);
}

#[test]
fn codec_change_by_our_re_offer() {
    let mut s = session();
    s.answer_to(&parse(DESK_PHONE)).unwrap();
    s.config_mut().codecs = [Codec::Pcma].into_iter().collect();
    s.config_mut().audio_port = 30002;
    s.offer(Direction::SendRecv).unwrap();
    assert_eq!(m_lines(&session_body(&s)), ["m=audio 30002 RTP/AVP 8 101"]);
    let reply = edit(DESK_PHONE, "RTP/AVP 111 9 0 8 18 101", "RTP/AVP 8 101");
    let n = s.apply_answer(&parse(&reply)).unwrap();
    assert_eq!((n.codec, n.payload_type, n.telephone_event), (Codec::Pcma, 8, Some(101)));
}

#[test]
fn our_re_offer_keeps_a_rejected_video_line_in_place() {
    let mut s = session();
    s.answer_to(&parse(SOFTPHONE)).unwrap();
    s.offer(Direction::SendOnly).unwrap();
    let body = session_body(&s);
    assert_eq!(m_lines(&body), ["m=audio 30000 RTP/AVP 0 8 9 101", "m=video 0 RTP/AVP 96"]);
    // An answer dropping the video line breaks RFC 3264 6.
    let e = s.apply_answer(&parse(&edit(SOFTPHONE, "m=video 9078", "a=x"))).unwrap_err();
    assert_eq!(e, NegotiationError::MediaCount { offered: 2, answered: 1 });
}

#[test]
fn late_offer_goes_in_the_200_and_the_answer_comes_in_the_ack() {
    let mut s = session();
    // INVITE without SDP: our offer goes in the 200 OK.
    let offer = s.offer(Direction::SendRecv).unwrap().clone();
    assert_eq!(offer, create_offer(&local_config()).unwrap());
    let body = session_body(&s);
    assert!(body.starts_with("v=0\r\no=callshard 4242 1 IN IP4 192.0.2.100\r\n"));
    // A peer offer now is glare.
    assert_eq!(s.answer_to(&parse(SIPP_UAC)).unwrap_err().status_code(), 491);
    // The ACK carries the answer; here the answerer is our own `answer` with another config.
    let mut peer = LocalConfig::new("198.51.100.7".parse().unwrap(), 40000);
    peer.codecs = [Codec::G722, Codec::Pcma].into_iter().collect();
    let (peer_answer, peer_view) = answer(&parse(&body), &peer).unwrap();
    let ack_body = written(&peer_answer, 9);
    let n = s.apply_answer(&parse(&ack_body)).unwrap();
    assert_eq!(n.remote, remote("198.51.100.7:40000"));
    // The answerer kept our order (PCMA before G722); both sides send the same codec.
    assert_eq!((n.codec, n.payload_type, n.telephone_event), (Codec::Pcma, 8, Some(101)));
    assert_eq!((peer_view.codec, peer_view.remote), (Codec::Pcma, remote("192.0.2.100:30000")));
    assert!(!s.offer_pending());
    assert_eq!(s.apply_answer(&parse(&ack_body)).unwrap_err(), NegotiationError::NoOfferPending);
}

#[test]
fn answers_with_formats_we_did_not_offer_are_refused() {
    let offer = create_offer(&local_config()).unwrap();
    let check = |body: String| apply_answer(&offer, &parse(&body));
    let not_offered = Err(NegotiationError::FormatNotOffered { media_index: 0 });
    assert_eq!(check(edit(SIPP_UAC, "RTP/AVP 0", "RTP/AVP 0 18")), not_offered);
    assert_eq!(check(edit(SIPP_UAC, "a=rtpmap:0 PCMU/8000", "a=rtpmap:0 G729/8000")), not_offered);
    assert_eq!(
        check(edit(SIPP_UAC, "RTP/AVP 0\r\na=rtpmap:0 PCMU/8000", "RTP/AVP 111\r\na=rtpmap:111 opus/48000/2")),
        not_offered
    );
    assert_eq!(
        check(format!("{SIPP_UAC}m=video 0 RTP/AVP 31\r\n")),
        Err(NegotiationError::MediaCount { offered: 1, answered: 2 })
    );
    assert_eq!(check(edit(SIPP_UAC, "m=audio 6000", "m=audio 0")), Err(NegotiationError::NoAcceptableMedia));
    assert_eq!(check(SIPP_UAC.to_string()).map(|n| n.codec), Ok(Codec::Pcmu));
}

// ---------------------------------------------------------------------------------------
// Malformed bodies
// ---------------------------------------------------------------------------------------

#[test]
fn malformed_bodies_give_typed_errors() {
    let bad = |body: &[u8]| SessionDescription::parse(body).unwrap_err();
    assert_eq!(bad(&SIPP_UAC.as_bytes()[5..]), SdpError::MissingLine { line: 'v' });
    assert_eq!(bad(b""), SdpError::MissingLine { line: 'v' });
    assert_eq!(bad(b"\x00\xff\x13garbage\r\n\x7f"), SdpError::MissingLine { line: 'v' });
    assert_eq!(
        bad(edit(SIPP_UAC, "v=0", "v=2").as_bytes()),
        SdpError::BadLine { line: 'v', reason: "version is not 0" }
    );
    assert_eq!(
        bad(edit(SIPP_UAC, "6000", "6OOO").as_bytes()),
        SdpError::BadLine { line: 'm', reason: "port is not a number" }
    );
    assert_eq!(
        bad(edit(SIPP_UAC, "6000", "99999").as_bytes()),
        SdpError::BadLine { line: 'm', reason: "port is not a number" }
    );
    assert_eq!(bad(edit(SIPP_UAC, " RTP/AVP 0", "").as_bytes()).detail(), "expected media, port, proto and formats");
    assert_eq!(
        bad(edit(SIPP_UAC, "53655765", "x").as_bytes()),
        SdpError::BadLine { line: 'o', reason: "session id is not a number" }
    );
    assert_eq!(
        bad(edit(SIPP_UAC, "o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n", "").as_bytes()),
        SdpError::MissingLine { line: 'o' }
    );
    assert_eq!(bad(edit(SIPP_UAC, "c=IN IP4 127.0.0.1\r\n", "").as_bytes()), SdpError::MissingLine { line: 'c' });
    assert!(matches!(
        bad(edit(SIPP_UAC, "IN IP4 127.0.0.1\r\nt", "IN IP4 127.0.0.1 x\r\nt").as_bytes()),
        SdpError::BadLine { line: 'c', .. }
    ));
    assert!(matches!(bad(edit(SIPP_UAC, "t=0 0", "\x01binary").as_bytes()), SdpError::BadLine { line: '?', .. }));
    assert!(matches!(bad(format!("{SIPP_UAC}garbage here\r\n").as_bytes()), SdpError::BadLine { line: 'g', .. }));
    let e = NegotiationError::from(bad(edit(SIPP_UAC, "6000", "x").as_bytes()));
    assert_eq!((e.status_code(), e.to_string()), (400, "Bad SDP m= Line".to_string()));
}

#[test]
fn tolerated_deviations() {
    // Unknown line types, missing s= and t=, trailing blank lines, a stray space after the
    // formats and a disabled stream without formats are all read.
    let body = "v=0\r\no=- 1 1 IN IP4 h\r\nc=IN IP4 192.0.2.1\r\nz=0 0\r\nk=prompt\r\nb=AS:64\r\n\
        m=audio 5004 RTP/AVP 0 \r\ni=voice\r\nm=video 0 RTP/AVP\r\n\r\n\r\n";
    let sdp = parse(body);
    assert_eq!((sdp.name, sdp.timing, sdp.media.len()), (&b""[..], None, 2));
    assert_eq!(sdp.media[0].formats().collect::<Vec<_>>(), [&b"0"[..]]);
    let (desc, n) = answer(&sdp, &local_config()).unwrap();
    assert_eq!(n.remote, remote("192.0.2.1:5004"));
    assert_eq!(m_lines(&written(&desc, 1)), ["m=audio 30000 RTP/AVP 0", "m=video 0 RTP/AVP 0"]);
}

#[test]
fn every_truncation_and_byte_deletion_of_the_seeds_is_handled() {
    for seed in [SIPP_UAC, DESK_PHONE, SOFTPHONE] {
        let bytes = seed.as_bytes();
        for cut in 0..bytes.len() {
            exercise(&bytes[..cut]);
            let mut deleted = bytes.to_vec();
            deleted.remove(cut);
            exercise(&deleted);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------

/// Parses and, when that works, answers `body`; checks what an answer promises.
fn exercise(body: &[u8]) {
    let Ok(offer) = SessionDescription::parse(body) else { return };
    for m in &offer.media {
        let _ = (m.attributes().count(), m.formats().count(), offer.connection_of(m), offer.direction_of(m));
    }
    let _ = offer.attributes().count();
    // Read as an answer to our offer, it may only agree on what we offered.
    let ours = create_offer(&local_config()).unwrap();
    if let Ok(n) = apply_answer(&ours, &offer) {
        let (_, stream) = ours.audio_stream().unwrap();
        assert!(stream.codecs.contains(&(n.codec, n.payload_type)));
        assert!(n.telephone_event.is_none() || n.telephone_event == stream.telephone_event);
    }
    let Ok((desc, n)) = answer(&offer, &local_config()) else { return };
    check_answer(&offer, &desc, &n);
}

/// What every successful answer guarantees (RFC 3264 6, 6.1).
fn check_answer(offer: &SessionDescription<'_>, desc: &LocalDescription, n: &Negotiated) {
    assert_eq!(desc.media.len(), offer.media.len(), "one answer line per offered line");
    let offered = &offer.media[n.media_index];
    assert!(offered.payload_types().any(|pt| pt == n.payload_type), "chosen format was offered");
    assert_eq!((n.remote.port(), offered.port != 0), (offered.port, true));
    let body = written(desc, 1);
    let back = SessionDescription::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(back.media.len(), offer.media.len());
    for (i, (ours, theirs)) in back.media.iter().zip(&offer.media).enumerate() {
        if i == n.media_index {
            assert!(ours.payload_types().all(|pt| theirs.payload_types().any(|o| o == pt)), "{body}");
        } else {
            assert_eq!(ours.port, 0, "{body}");
        }
    }
    assert!(matches!(&desc.media[n.media_index], LocalMedia::Audio(_)));
}

fn config(cases: u32) -> Config {
    Config { cases, failure_persistence: None, ..Config::default() }
}

/// One line of SDP shape with a random value, or some raw bytes.
fn sdp_line() -> impl Strategy<Value = Vec<u8>> {
    const KINDS: &[&str] = &[
        "v=0",
        "o=",
        "s=",
        "c=IN IP4 ",
        "c=IN IP6 ",
        "c=",
        "t=",
        "m=audio ",
        "m=",
        "a=rtpmap:",
        "a=fmtp:",
        "a=",
        "b=",
        "z=",
    ];
    prop_oneof![
        (prop::sample::select(KINDS), "[ -~]{0,40}").prop_map(|(k, v)| format!("{k}{v}\r\n").into_bytes()),
        (prop::sample::select(KINDS), "[0-9 ./a-zA-Z:-]{0,30}").prop_map(|(k, v)| format!("{k}{v}\n").into_bytes()),
        prop::collection::vec(any::<u8>(), 0..12),
    ]
}

/// An edit of a seed: replace, insert or delete a byte.
fn mutation() -> impl Strategy<Value = (Index, u8, u8)> {
    (any::<Index>(), any::<u8>(), 0..3u8)
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        exercise(&bytes);
        let mut prefixed = b"v=0\r\no=- 1 1 IN IP4 h\r\nc=IN IP4 10.0.0.1\r\nm=audio 4 RTP/AVP 0\r\n".to_vec();
        prefixed.extend(&bytes);
        exercise(&prefixed);
    }

    #[test]
    fn sdp_shaped_lines_never_panic(lines in prop::collection::vec(sdp_line(), 0..24)) {
        let mut body = b"v=0\r\no=- 1 1 IN IP4 h\r\n".to_vec();
        body.extend(lines.concat());
        exercise(&body);
        exercise(&lines.concat());
    }

    #[test]
    fn mutated_offers_never_panic(seed in 0..3usize, edits in prop::collection::vec(mutation(), 1..10)) {
        let mut body = [SIPP_UAC, DESK_PHONE, SOFTPHONE][seed].as_bytes().to_vec();
        for (at, byte, op) in edits {
            match op {
                0 if !body.is_empty() => { let i = at.index(body.len()); body[i] = byte; }
                1 => { let i = at.index(body.len() + 1); body.insert(i, byte); }
                _ if !body.is_empty() => { body.remove(at.index(body.len())); }
                _ => {}
            }
        }
        exercise(&body);
    }

    /// Generated offers of any mix of formats: the answer keeps the offer's order and numbers.
    #[test]
    fn answers_to_generated_offers_round_trip(
        formats in prop::collection::vec((0u8..128, prop::sample::select(&["PCMU", "pcma", "G722", "opus", "G729", "telephone-event", ""][..]), prop::sample::select(&[8000u32, 16000, 48000][..])), 1..8),
        direction in prop::sample::select(&["", "a=sendonly\r\n", "a=recvonly\r\n", "a=inactive\r\n", "a=sendrecv\r\n"][..]),
    ) {
        let list: Vec<String> = formats.iter().map(|(pt, _, _)| pt.to_string()).collect();
        let maps: String = formats.iter().filter(|(_, name, _)| !name.is_empty())
            .map(|(pt, name, rate)| format!("a=rtpmap:{pt} {name}/{rate}\r\n")).collect();
        let body = format!("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.9.8.7\r\nt=0 0\r\nm=audio 5000 RTP/AVP {}\r\n{maps}{direction}", list.join(" "));
        let offer = parse(&body);
        match answer(&offer, &local_config()) {
            Ok((desc, n)) => {
                check_answer(&offer, &desc, &n);
                let first = offer.media[0].payload_types().position(|pt| pt == n.payload_type);
                let (_, stream) = desc.audio_stream().unwrap();
                // Answered codecs appear in the offer's relative order.
                let positions: Vec<_> = stream.codecs.iter()
                    .map(|&(_, pt)| offer.media[0].payload_types().position(|o| o == pt).unwrap()).collect();
                prop_assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
                prop_assert_eq!(first, positions.first().copied());
            }
            Err(e) => prop_assert_eq!(e, NegotiationError::NoAcceptableMedia),
        }
    }

    /// Our offer, answered by a peer running the same code with another configuration, and
    /// the answer applied: both sides agree on codec, DTMF and each other's address.
    #[test]
    fn offer_answer_apply_round_trip(
        ours in prop::sample::subsequence(Codec::ALL.to_vec(), 0..=3).prop_shuffle(),
        theirs in prop::sample::subsequence(Codec::ALL.to_vec(), 0..=3).prop_shuffle(),
        our_te in prop::option::of(96u8..128),
        their_te in any::<bool>(),
        hold in any::<bool>(),
    ) {
        let mut mine = local_config();
        (mine.codecs, mine.telephone_event) = (ours.iter().copied().collect(), our_te);
        let mut s = SdpSession::new(mine, origin(1));
        let direction = if hold { Direction::SendOnly } else { Direction::SendRecv };
        if ours.is_empty() {
            prop_assert_eq!(s.offer(direction).unwrap_err(), NegotiationError::NoAcceptableMedia);
            return Ok(());
        }
        s.offer(direction).unwrap();
        let offer_body = session_body(&s);
        let mut peer = LocalConfig::new("198.51.100.7".parse().unwrap(), 40000);
        peer.codecs = theirs.iter().copied().collect();
        peer.telephone_event = their_te.then_some(100);
        let offer = parse(&offer_body);
        match answer(&offer, &peer) {
            Ok((desc, peer_view)) => {
                let n = s.apply_answer(&parse(&written(&desc, 1))).unwrap();
                let expected = ours.iter().copied().find(|c| theirs.contains(c));
                prop_assert_eq!(Some(n.codec), expected);
                prop_assert_eq!((n.codec, n.payload_type), (peer_view.codec, peer_view.payload_type));
                prop_assert_eq!(n.telephone_event, our_te.filter(|_| their_te));
                prop_assert_eq!(n.telephone_event, peer_view.telephone_event);
                prop_assert_eq!((n.remote, peer_view.remote), (remote("198.51.100.7:40000"), remote("192.0.2.100:30000")));
                prop_assert_eq!(n.direction, peer_view.direction.reversed());
                prop_assert_eq!(n.direction, if hold { Direction::SendOnly } else { Direction::SendRecv });
            }
            Err(e) => {
                prop_assert_eq!(e, NegotiationError::NoAcceptableMedia);
                prop_assert!(!ours.iter().any(|c| theirs.contains(c)));
            }
        }
    }
}
