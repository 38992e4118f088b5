//! What the fuzzers (fuzz/, AFL++) found, one sans-IO test per fix; the crashing inputs
//! themselves are replayed from fuzz/regressions/ by tests/fuzz_corpus.rs.
//!
//! * `sip_message`: a Via line starting with an empty element (`Via: ,SIP/2.0/UDP ...`)
//!   was read past the empty element but stamped on it, so our response's Via did not parse;
//!   a To with a trailing `;` got our tag as `;;tag=`, an empty parameter.
//! * `endpoint`: a peer's Contact that cannot be a Request-URI (missing, another scheme, URI
//!   headers, garbage) became the dialog's remote target, and so the Request-URI of our BYE,
//!   re-INVITE or ACK, which then did not parse; likewise a Record-Route entry (a strict
//!   route becomes the Request-URI), and a URI the application asked us to call (a REFER's
//!   Refer-To passed on, say).

use std::net::SocketAddr;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use callshard::session::{CallError, CallEvent, CallId, Endpoint, EndpointConfig, Output, PlaceCall};
use callshard::sip::write::{write_response, Response, ViaStamp};
use callshard::sip::{HeaderName, Message};

const SDP: &str = "v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n";

fn peer() -> SocketAddr {
    "127.0.0.1:5061".parse().unwrap()
}

fn endpoint(now: Instant) -> Endpoint {
    let mut cfg = EndpointConfig::new("127.0.0.1:5060".parse().unwrap());
    cfg.seed = [9; 32];
    Endpoint::new(cfg, now)
}

fn invite(extra: &str) -> String {
    format!(
        "INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1\r\n\
         From: <sip:a@example.com>;tag=caller\r\nTo: <sip:service@127.0.0.1:5060>\r\nCall-ID: fz@127.0.0.1\r\n\
         CSeq: 1 INVITE\r\n{extra}Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    )
}

/// Feeds `data`, answers new calls, and returns what we sent (each must parse) and the calls.
fn feed(ep: &mut Endpoint, data: &str, now: Instant) -> (Vec<Message>, Vec<CallId>) {
    ep.on_datagram(Bytes::copy_from_slice(data.as_bytes()), peer(), now);
    drain(ep, now)
}

fn drain(ep: &mut Endpoint, now: Instant) -> (Vec<Message>, Vec<CallId>) {
    let (mut sent, mut calls) = (Vec::new(), Vec::new());
    loop {
        let outputs: Vec<Output> = ep.drain_outputs().collect();
        if outputs.is_empty() {
            return (sent, calls);
        }
        for o in outputs {
            match o {
                Output::Transmit { data, .. } => match Message::parse(data.clone()) {
                    Ok(m) => sent.push(m),
                    Err(e) => panic!("we sent what does not parse ({e:?}): {}", String::from_utf8_lossy(&data)),
                },
                Output::Event(CallEvent::Incoming { call }) => {
                    ep.answer(call, now).unwrap();
                    calls.push(call);
                }
                Output::Event(_) => {}
            }
        }
    }
}

/// The BYE we send when we hang up a call set up by an INVITE with `extra` headers.
fn our_bye(extra: &str) -> Message {
    let now = Instant::now();
    let mut ep = endpoint(now);
    let (sent, calls) = feed(&mut ep, &invite(extra), now);
    let tag = sent.iter().find(|m| m.status() == Some(200)).expect("a 200").to().unwrap().tag().unwrap().to_vec();
    let ack = format!(
        "ACK sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-2\r\n\
         From: <sip:a@example.com>;tag=caller\r\nTo: <sip:service@127.0.0.1:5060>;tag={}\r\nCall-ID: fz@127.0.0.1\r\n\
         CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        String::from_utf8(tag).unwrap()
    );
    feed(&mut ep, &ack, now);
    ep.hangup(calls[0], now).unwrap();
    let (sent, _) = drain(&mut ep, now);
    sent.into_iter().find(|m| m.method_bytes() == b"BYE").expect("our BYE")
}

#[test]
fn a_response_stamps_the_via_after_an_empty_first_element() {
    let req = "OPTIONS sip:a@example.com SIP/2.0\r\nVia: ,SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw;rport\r\n\
               Via: SIP/2.0/UDP second.example.net\r\nFrom: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n\
               Call-ID: v@x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    let req = Message::parse(Bytes::from_static(req.as_bytes())).expect("the empty element is skipped");
    let mut out = BytesMut::new();
    let stamp = ViaStamp { received: Some(b"192.0.2.1"), rport: Some(5099), advice: b"" };
    write_response(&mut out, &req, &Response { via: stamp, ..Response::new(200) });
    let resp = Message::parse(out.freeze()).expect("our response parses");
    let top = resp.top_via().unwrap();
    assert_eq!(
        (top.branch(), top.received(), top.rport()),
        (Some(&b"z9hG4bKkdjuw"[..]), Some(&b"192.0.2.1"[..]), Some(Some(5099)))
    );
    assert_eq!(resp.vias().count(), 2, "the second Via is copied untouched");
}

#[test]
fn a_missing_or_unusable_contact_leaves_the_source_as_remote_target() {
    for contact in ["", "Contact: <zip:a@127.0.0.1:5061>\r\n", "Contact: <sip:a@127.0.0.1:5061?Subject=hi>\r\n"] {
        let bye = our_bye(contact);
        assert_eq!(bye.request_uri(), b"sip:127.0.0.1:5061", "Contact {contact:?}");
    }
    let bye = our_bye("Contact: <sip:a@127.0.0.1:5070>\r\n");
    assert_eq!(bye.request_uri(), b"sip:a@127.0.0.1:5070", "a usable Contact is the target");
}

#[test]
fn record_route_entries_we_cannot_send_to_are_left_out_of_the_route_set() {
    let bye = our_bye("Contact: <sip:a@127.0.0.1:5070>\r\nRecord-Route: <zip:proxy>, <sip:127.0.0.9;lr>\r\n");
    let routes: Vec<&[u8]> = bye.header_all(HeaderName::Route).collect();
    assert_eq!(routes, [&b"<sip:127.0.0.9;lr>"[..]]);
    // A strict route (no ;lr) becomes the Request-URI: garbage there is left out too.
    let bye = our_bye("Contact: <sip:a@127.0.0.1:5070>\r\nRecord-Route: <sip:@@>\r\n");
    assert_eq!(bye.request_uri(), b"sip:a@127.0.0.1:5070");
}

#[test]
fn calls_to_uris_that_cannot_be_a_request_uri_are_refused() {
    let now = Instant::now();
    let mut ep = endpoint(now);
    for uri in [&b""[..], b"NVITE sip:bob@biloxi.example.com", b"zip:a@b", b"sip:a@127.0.0.1?x=1", b"sip:a b@127.0.0.1"]
    {
        let got = ep.place_call(PlaceCall::new(uri, peer()), now);
        assert_eq!(got.err(), Some(CallError::BadTarget), "{}", String::from_utf8_lossy(uri));
    }
    let bad_from = PlaceCall { from: Some(b"<sip:a@b>"), ..PlaceCall::new(b"sip:a@127.0.0.1", peer()) };
    assert_eq!(ep.place_call(bad_from, now).err(), Some(CallError::BadTarget));
    assert!(ep.place_call(PlaceCall::new(b"sip:a@127.0.0.1", peer()), now).is_ok());
    assert!(drain(&mut ep, now).0.iter().all(|m| m.method_bytes() == b"INVITE"));
}

#[test]
fn our_tag_after_a_to_with_a_trailing_semicolon_parses() {
    let req = "INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bK-t\r\n\
               From: <sip:a@example.com>;tag=1\r\nTo: sip:b@example.com;\r\nCall-ID: t@x\r\nCSeq: 1 INVITE\r\n\
               Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    let req = Message::parse(Bytes::from_static(req.as_bytes())).expect("the reader takes the trailing ;");
    let mut out = BytesMut::new();
    write_response(&mut out, &req, &Response { to_tag: Some(b"ours"), ..Response::new(180) });
    let resp = Message::parse(out.freeze()).expect("our response parses");
    assert_eq!(resp.to().unwrap().tag(), Some(&b"ours"[..]));
}
