//! Our identifiers come from a per-endpoint CSPRNG (RFC 3261 19.3, 8.1.1.4, 8.1.1.7): the
//! same seed replays a run exactly, different seeds share nothing, and a request carrying one
//! of our tags with its random part changed reaches no call, even though the tag still names
//! the call's slab handle.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use callshard::session::{CallEvent, Endpoint, EndpointConfig, Output, PlaceCall};
use callshard::sip::Message;

const INVITE: &str = "INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n\
    Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-inv\r\nFrom: <sip:a@127.0.0.1:5061>;tag=caller\r\n\
    To: <sip:service@127.0.0.1:5060>\r\nCall-ID: ids-1@127.0.0.1\r\nCSeq: 1 INVITE\r\n\
    Contact: <sip:a@127.0.0.1:5061>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: 109\r\n\r\n\
    v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

fn peer() -> SocketAddr {
    "127.0.0.1:5061".parse().unwrap()
}

fn endpoint(seed: u8, now: Instant) -> Endpoint {
    let mut cfg = EndpointConfig::new("127.0.0.1:5060".parse().unwrap());
    cfg.seed = [seed; 32];
    Endpoint::new(cfg, now)
}

/// Feeds `data`, answers every new call at once, and returns the messages sent.
fn feed(ep: &mut Endpoint, data: &str, now: Instant) -> Vec<Message> {
    ep.on_datagram(Bytes::copy_from_slice(data.as_bytes()), peer(), now);
    let mut sent = Vec::new();
    loop {
        let outputs: Vec<Output> = ep.drain_outputs().collect();
        if outputs.is_empty() {
            return sent;
        }
        for o in outputs {
            match o {
                Output::Transmit { data, .. } => sent.push(Message::parse(data).expect("we send valid SIP")),
                Output::Event(CallEvent::Incoming { call }) => ep.answer(call, now).unwrap(),
                Output::Event(_) => {}
            }
        }
    }
}

/// Our To tag in the 200 to an INVITE.
fn answered_tag(ep: &mut Endpoint, now: Instant) -> String {
    let sent = feed(ep, INVITE, now);
    let ok = sent.iter().find(|m| m.status() == Some(200)).expect("a 200");
    String::from_utf8(ok.to().unwrap().tag().unwrap().to_vec()).unwrap()
}

fn in_dialog(method: &str, cseq: u32, to_tag: &str) -> String {
    format!(
        "{method} sip:a@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-{method}-{cseq}\r\n\
         From: <sip:a@127.0.0.1:5061>;tag=caller\r\nTo: <sip:service@127.0.0.1:5060>;tag={to_tag}\r\n\
         Call-ID: ids-1@127.0.0.1\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
}

#[test]
fn the_same_seed_replays_and_different_seeds_give_different_tags() {
    let now = Instant::now();
    let a = answered_tag(&mut endpoint(1, now), now);
    assert_eq!(a, answered_tag(&mut endpoint(1, now), now), "a seed replays exactly");
    let b = answered_tag(&mut endpoint(2, now), now);
    assert_ne!(a, b);
    // The first call of each endpoint sits at the same slab handle: only the secret and the
    // random bits tell the tags apart, and all 24 digits are hex.
    assert_eq!((a.len(), b.len()), (24, 24));
    assert!(a.bytes().chain(b.bytes()).all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a[16..], b[16..], "the random parts differ");
}

#[test]
fn calls_we_place_get_unrelated_identifiers_per_seed() {
    let now = Instant::now();
    let placed = |seed: u8| {
        let mut ep = endpoint(seed, now);
        let uri = b"sip:service@127.0.0.1:5061";
        ep.place_call(PlaceCall::new(uri, peer()), now).unwrap();
        let sent: Vec<Message> = ep
            .drain_outputs()
            .filter_map(|o| match o {
                Output::Transmit { data, .. } => Message::parse(data).ok(),
                Output::Event(_) => None,
            })
            .collect();
        let invite = &sent[0];
        let branch = invite.top_via().unwrap().branch().unwrap().to_vec();
        let tag = invite.from().unwrap().tag().unwrap().to_vec();
        (branch, tag, invite.call_id().unwrap().to_vec())
    };
    let (a, b) = (placed(1), placed(2));
    assert_eq!(a, placed(1));
    assert_ne!(a.0, b.0, "branch");
    assert_ne!(a.1, b.1, "From tag");
    assert_ne!(a.2, b.2, "Call-ID");
    assert_eq!(a.0.len(), 7 + 16, "the magic cookie and 64 random bits");
}

#[test]
fn a_tag_with_other_random_bits_reaches_no_call() {
    let now = Instant::now();
    let mut ep = endpoint(3, now);
    let tag = answered_tag(&mut ep, now);
    feed(&mut ep, &in_dialog("ACK", 1, &tag), now);
    for digit in 16..24 {
        let mut forged = tag.clone().into_bytes();
        forged[digit] = if forged[digit] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).unwrap();
        let sent = feed(&mut ep, &in_dialog("BYE", 2 + digit as u32, &forged), now);
        assert_eq!(sent.iter().map(Message::status).collect::<Vec<_>>(), [Some(481)], "forged tag {forged}");
    }
    let sent = feed(&mut ep, &in_dialog("BYE", 30, &tag), now);
    assert!(sent.iter().any(|m| m.status() == Some(200)), "the real tag still ends the call");
}
