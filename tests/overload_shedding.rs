//! Overload shedding at the transaction table: while the shard sheds, a new INVITE gets a
//! stateless 503 with Retry-After, and everything that finishes admitted calls goes on.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use callshard::sip::write::Response;
use callshard::sip::Message;
use callshard::transaction::{TxConfig, TxOutput, TxTable};

fn peer() -> SocketAddr {
    "192.0.2.10:5060".parse().unwrap()
}

fn request(method: &str, branch: &str, to_tag: &str) -> Message {
    let text = format!(
        "{method} sip:bob@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch={branch}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>{to_tag}\r\n\
         Call-ID: {branch}@test\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
    );
    Message::parse(Bytes::from(text)).unwrap()
}

fn table() -> TxTable {
    TxTable::new(TxConfig { trying_delay: None, ..TxConfig::default() }, Instant::now())
}

fn feed(t: &mut TxTable, msg: &Message) -> Vec<TxOutput> {
    let mut out = Vec::new();
    t.on_message(msg, peer(), 0, Instant::now(), &mut out);
    out
}

fn sent(out: &[TxOutput]) -> Vec<Message> {
    out.iter()
        .filter_map(|o| match o {
            TxOutput::Send { data, .. } => Some(Message::parse(data.clone()).unwrap()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_new_invite_is_refused_with_503_and_retry_after_and_leaves_no_state() {
    let mut t = table();
    t.set_shedding(true);
    let out = feed(&mut t, &request("INVITE", "z9hG4bKnew", ""));
    let replies = sent(&out);
    assert_eq!(replies.len(), 1, "one stateless answer, no request for the TU: {out:?}");
    assert!(!out.iter().any(|o| matches!(o, TxOutput::Request { .. })));
    let reply = &replies[0];
    assert_eq!(reply.status(), Some(503));
    assert_eq!(reply.reason(), b"Overloaded");
    assert_eq!(reply.header_named(b"Retry-After"), Some(&b"5"[..]));
    assert_eq!(t.len(), 0, "nothing kept for a shed INVITE");
    assert_eq!(t.stats().shed, 1);
    // Its retransmission is shed again, and its ACK matches nothing and is not answered.
    assert_eq!(sent(&feed(&mut t, &request("INVITE", "z9hG4bKnew", ""))).len(), 1);
    assert!(sent(&feed(&mut t, &request("ACK", "z9hG4bKnew", ";tag=x"))).is_empty());
    assert_eq!((t.len(), t.stats().shed), (0, 2));
}

#[test]
fn admitted_calls_go_on_while_shedding() {
    let mut t = table();
    let invite = request("INVITE", "z9hG4bKold", "");
    let out = feed(&mut t, &invite);
    let Some(TxOutput::Request { tx, .. }) = out.into_iter().last() else { panic!("INVITE not admitted") };
    let mut out = Vec::new();
    t.respond(tx, &Response { to_tag: Some(b"b1"), ..Response::new(180) }, Instant::now(), &mut out).unwrap();
    t.set_shedding(true);
    // A retransmission of the admitted INVITE is absorbed: its 180 again, not a 503.
    let again = sent(&feed(&mut t, &invite));
    assert_eq!(again.iter().map(|m| m.status()).collect::<Vec<_>>(), vec![Some(180)]);
    // A request inside a dialog, and a CANCEL, still reach the TU.
    let bye = feed(&mut t, &request("BYE", "z9hG4bKbye", ";tag=b1"));
    assert!(bye.iter().any(|o| matches!(o, TxOutput::Request { .. })), "{bye:?}");
    let cancel = feed(&mut t, &request("CANCEL", "z9hG4bKold", ""));
    assert!(cancel.iter().any(|o| matches!(o, TxOutput::Cancelled { .. })), "{cancel:?}");
    assert_eq!(t.stats().shed, 0);
    // Shedding off: new INVITEs are admitted again.
    t.set_shedding(false);
    let out = feed(&mut t, &request("INVITE", "z9hG4bKlater", ""));
    assert!(out.iter().any(|o| matches!(o, TxOutput::Request { .. })));
}
