//! Fuzz target `sdp`: one SDP body through the parser and the offer/answer model as a call
//! meets it. The body is answered as an offer (by the bare `answer` and by an `SdpSession`,
//! against two local capability sets: IPv4 with DTMF and RTCP-mux, IPv6 G.711 only) and
//! taken as the answer to our own offer (first and again, as for a forked INVITE).
//!
//! Invariants besides "no panic": an answer has one media section per offered one (RFC
//! 3264 6) and accepts a payload type that was offered; whatever we write parses again; a
//! refused offer or answer leaves the session's earlier agreement in place.

use bytes::BytesMut;
use callshard::sdp::{
    answer, identify, write, Codec, Direction, LocalConfig, LocalOrigin, SdpSession, SessionDescription,
};

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let Ok(offer) = SessionDescription::parse(data) else { return };
    exercise(&offer);
    for config in configs() {
        answer_offer(&offer, &config);
        take_answer(&offer, &config);
    }
}

fn configs() -> [LocalConfig; 2] {
    let v4 = LocalConfig::new("192.0.2.10".parse().expect("an address"), 30_000);
    let mut v6 = LocalConfig::new("2001:db8::10".parse().expect("an address"), 40_002);
    v6.codecs = [Codec::Pcma, Codec::Pcmu].into_iter().collect();
    (v6.telephone_event, v6.ptime, v6.rtcp_mux) = (None, None, false);
    [v4, v6]
}

fn origin() -> LocalOrigin {
    LocalOrigin { username: b"callshard"[..].into(), session_id: 4242, version: 1 }
}

/// Every view of a parsed description.
fn exercise(d: &SessionDescription<'_>) {
    let _ = (d.origin, d.name, d.connection.map(|c| c.is_unspecified()), d.timing, d.direction);
    let _ = d.attributes().count();
    for m in &d.media {
        let _ = (d.connection_of(m), d.direction_of(m), m.formats().count(), m.attributes().count());
        for pt in m.payload_types() {
            let rtpmap = m.rtpmap(pt);
            let _ = (identify(pt, rtpmap.as_ref()), m.fmtp(pt.to_string().as_bytes()));
        }
    }
}

/// `data` as an offer: the answer matches it stream for stream and parses again.
fn answer_offer(offer: &SessionDescription<'_>, config: &LocalConfig) {
    if let Ok((desc, negotiated)) = answer(offer, config) {
        assert_eq!(desc.media.len(), offer.media.len(), "one answer stream per offered stream");
        let offered = &offer.media[negotiated.media_index];
        assert!(offered.payload_types().any(|pt| pt == negotiated.payload_type), "answered a payload type not offered");
        let _ = negotiated.rtcp_destination();
        let mut out = BytesMut::new();
        write(&mut out, &origin(), &desc);
        let again = SessionDescription::parse(&out).unwrap_or_else(|e| panic!("our answer does not parse: {e:?}"));
        assert_eq!(again.media.len(), offer.media.len());
    }
    let mut session = SdpSession::new(config.clone(), origin());
    let first = session.answer_to(offer);
    let mut out = BytesMut::new();
    if first.is_ok() {
        assert!(session.write_local(&mut out));
        assert!(SessionDescription::parse(&out).is_ok(), "the session's answer does not parse");
        // A re-INVITE with the same offer, then a hold of ours and its answer being this body.
        let _ = session.answer_to(offer);
        let before = session.negotiated().copied();
        if session.offer(Direction::SendOnly).is_ok() && session.apply_answer(offer).is_err() {
            assert_eq!(session.negotiated().copied(), before, "a refused answer changed the agreement");
        }
    }
}

/// `data` as the answer to our offer.
fn take_answer(answer: &SessionDescription<'_>, config: &LocalConfig) {
    let mut session = SdpSession::new(config.clone(), origin());
    if session.offer(Direction::SendRecv).is_err() {
        return;
    }
    let mut out = BytesMut::new();
    assert!(session.write_local(&mut out));
    assert!(SessionDescription::parse(&out).is_ok(), "our offer does not parse");
    let first = session.apply_answer(answer);
    let again = session.apply_answer_again(answer);
    if let (Ok(a), Ok(b)) = (first, again) {
        assert_eq!(a, b, "the same answer taken twice agrees differently");
    }
    session.offer_rejected();
    let _ = session.offer(Direction::Inactive);
}
