//! RFC 7339 overload control between two endpoints: the client says on its INVITE's Via that
//! it can hold back new calls, the overloaded server answers (here with its 503) with the
//! share to hold back on the same Via, and the client then does not send that share of its
//! new calls until the word expires. A client that does not ask is told nothing.

mod support;

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use callshard::session::{CallError, CallEvent, EndReason, PlaceCall};
use callshard::sip::overload_control::Advice;
use callshard::sip::{HeaderName, Message, Params};
use callshard::transaction::{TxConfig, TxOutput, TxTable};
use support::{addr, idle, ms, Net};

fn advice(reduce_pct: u8) -> Advice {
    Advice { reduce_pct, validity_ms: 500, seq_ms: 1_700_000_000_250 }
}

fn top_via(data: &Bytes) -> String {
    let msg = Message::parse(data.clone()).unwrap();
    let via = msg.top_via().unwrap();
    format!("{};{}", String::from_utf8_lossy(via.sent_by), String::from_utf8_lossy(via.params.as_bytes()))
}

#[test]
fn an_overloaded_server_asks_and_the_client_holds_back_that_share_until_the_word_expires() {
    let mut net = Net::new();
    let (a, b) = (net.add(5060, idle()), net.add(5070, idle()));
    net.ep(b).set_shedding(true);
    net.ep(b).set_overload_advice(Some(advice(75)));
    let uri = b"sip:service@127.0.0.1:5070";
    net.act(a, |ep, now| ep.place_call(PlaceCall::new(uri, addr(5070)), now).unwrap());
    net.run_for(ms(50));
    let invite = &net.log[0].3;
    assert!(top_via(invite).ends_with(";rport;oc;oc-algo=\"loss\""), "{}", top_via(invite));
    let refusal = &net.log[1].3;
    let via = top_via(refusal);
    assert!(via.contains(";oc=75;oc-algo=\"loss\";oc-validity=500;oc-seq=1700000000.250"), "{via}");
    assert!(!via.contains(";oc;"), "the client's bare oc is replaced: {via}");
    let ended = net.events(a).into_iter().filter(|e| matches!(e, CallEvent::Ended { .. })).collect::<Vec<_>>();
    assert!(matches!(ended[..], [CallEvent::Ended { reason: EndReason::Rejected(503), .. }]), "{ended:?}");

    // 100 new calls now: three in four are held back, and nothing is sent for them.
    let sent_before = net.log.len();
    let results: Vec<_> =
        (0..100).map(|_| net.act(a, |ep, now| ep.place_call(PlaceCall::new(uri, addr(5070)), now))).collect();
    let held = results.iter().filter(|r| matches!(r, Err(CallError::HeldBack))).count();
    assert_eq!(held, 75);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 25);
    assert_eq!(net.ep(a).stats().held_back, 75);
    net.run_for(ms(10));
    let invites = net.log[sent_before..].iter().filter(|l| l.3.starts_with(b"INVITE")).count();
    assert_eq!(invites, 25);

    // The server recovers and says nothing more; the word expires at the client.
    net.ep(b).set_shedding(false);
    net.ep(b).set_overload_advice(None);
    net.run_for(ms(600));
    let later: Vec<_> =
        (0..10).map(|_| net.act(a, |ep, now| ep.place_call(PlaceCall::new(uri, addr(5070)), now))).collect();
    assert!(later.iter().all(|r| r.is_ok()), "{later:?}");
}

#[test]
fn the_word_goes_on_every_response_to_a_client_that_asked_and_on_none_other() {
    let peer: SocketAddr = "192.0.2.10:5060".parse().unwrap();
    let mut table = TxTable::new(TxConfig { trying_delay: None, ..TxConfig::default() }, Instant::now());
    table.set_overload_advice(Some(advice(40)));
    let invite = |branch: &str, via_params: &str| {
        let text = format!(
            "INVITE sip:bob@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.99:5062;branch={branch}{via_params}\r\n\
             Via: SIP/2.0/UDP 192.0.2.98;branch=z9hG4bKbelow;oc\r\nMax-Forwards: 70\r\n\
             From: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\n\
             Call-ID: {branch}@test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        );
        Message::parse(Bytes::from(text)).unwrap()
    };
    let mut out = Vec::new();
    let asked = invite("z9hG4bKasks", ";oc ; rport;oc-algo=\"loss,rate\";x=1");
    table.on_message(&asked, peer, 0, Instant::now(), &mut out);
    let Some(TxOutput::Request { tx, .. }) = out.pop() else { panic!("INVITE not admitted") };
    let ringing = table.respond(tx, &callshard::sip::write::Response::new(180), Instant::now(), &mut out).unwrap();
    let msg = Message::parse(ringing).unwrap();
    let vias: Vec<_> = msg.values(HeaderName::Via).map(|v| String::from_utf8_lossy(v).into_owned()).collect();
    assert_eq!(
        vias[0],
        "SIP/2.0/UDP 192.0.2.99:5062;branch=z9hG4bKasks;rport=5060;x=1;received=192.0.2.10;\
         oc=40;oc-algo=\"loss\";oc-validity=500;oc-seq=1700000000.250"
    );
    assert_eq!(vias[1], "SIP/2.0/UDP 192.0.2.98;branch=z9hG4bKbelow;oc", "only the top Via is ours to answer");
    let read = Advice::read(&Params(msg.top_via().unwrap().params.as_bytes()));
    assert_eq!(read, Some(advice(40)));

    // A client that did not ask gets its Via back as it was, stamped only.
    table.set_shedding(true);
    out.clear();
    table.on_message(&invite("z9hG4bKsilent", ";rport"), peer, 0, Instant::now(), &mut out);
    let Some(TxOutput::Send { data, .. }) = out.pop() else { panic!("no 503") };
    assert!(top_via(&data).ends_with(";branch=z9hG4bKsilent;rport=5060;received=192.0.2.10"), "{}", top_via(&data));
}
