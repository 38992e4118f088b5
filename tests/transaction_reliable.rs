//! Transactions over a stream connection (a `local` naming one): RFC 3261 17 retransmits
//! nothing over a reliable transport (Timers A, E, G unused) and waits for no retransmission
//! (Timers D, I, J, K are zero), while the same flows over UDP keep them.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use callshard::sip::write::Response;
use callshard::sip::Message;
use callshard::transaction::{TxConfig, TxOutput, TxTable};
use callshard::transport::StreamLocal;

fn peer() -> SocketAddr {
    "192.0.2.10:40000".parse().unwrap()
}

fn request(method: &str, branch: &str) -> Message {
    let text = format!(
        "{method} sip:bob@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.10:5060;branch={branch}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\n\
         Call-ID: {branch}@test\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
    );
    Message::parse(Bytes::from(text)).unwrap()
}

/// Sends counted over 40 s of virtual time, and transactions left, after `flow`.
fn run(flow: impl FnOnce(&mut TxTable, Instant, &mut Vec<TxOutput>)) -> (usize, usize) {
    let t0 = Instant::now();
    let mut table = TxTable::new(TxConfig { trying_delay: None, ..TxConfig::default() }, t0);
    let mut out = Vec::new();
    flow(&mut table, t0, &mut out);
    let mut sends = out.iter().filter(|o| matches!(o, TxOutput::Send { .. })).count();
    for ms in 1..40_000 {
        out.clear();
        table.on_timer(t0 + Duration::from_millis(ms), &mut out);
        sends += out.iter().filter(|o| matches!(o, TxOutput::Send { .. })).count();
    }
    (sends, table.len())
}

fn server_rejects(local: u32) -> (usize, usize) {
    run(|t, now, out| {
        t.on_message(&request("INVITE", "z9hG4bKsrv"), peer(), local, now, out);
        let Some(TxOutput::Request { tx, .. }) = out.pop() else { panic!("no request") };
        t.respond(tx, &Response { to_tag: Some(b"b1"), ..Response::new(486) }, now, out).unwrap();
    })
}

fn client_unanswered(local: u32) -> (usize, usize) {
    run(|t, now, out| {
        t.send_request(request("BYE", "z9hG4bKcli"), (peer(), local), now, out).unwrap();
    })
}

fn server_non_invite(local: u32) -> (usize, usize) {
    run(|t, now, out| {
        t.on_message(&request("OPTIONS", "z9hG4bKopt"), peer(), local, now, out);
        let Some(TxOutput::Request { tx, .. }) = out.pop() else { panic!("no request") };
        t.respond(tx, &Response::new(200), now, out).unwrap();
    })
}

#[test]
fn streams_retransmit_nothing_and_linger_not() {
    let tcp = StreamLocal { listener: 0, shard: 0, slot: 3 }.encode().unwrap();
    // A 486 never ACKed: Timer G resends it over UDP, not over TCP; Timer H ends both.
    assert!(server_rejects(0).0 > 5);
    assert_eq!(server_rejects(tcp), (1, 0));
    // A BYE never answered: Timer E over UDP only; Timer F ends both.
    assert!(client_unanswered(0).0 > 5);
    assert_eq!(client_unanswered(tcp), (1, 0));
    // A 200 to OPTIONS: the transaction waits 32 s (Timer J) for retransmissions over UDP only.
    let t0 = Instant::now();
    let mut table = TxTable::new(TxConfig::default(), t0);
    let mut out = Vec::new();
    for (local, branch) in [(0, "z9hG4bKu"), (tcp, "z9hG4bKt")] {
        table.on_message(&request("OPTIONS", branch), peer(), local, t0, &mut out);
        let Some(TxOutput::Request { tx, .. }) = out.pop() else { panic!("no request") };
        table.respond(tx, &Response::new(200), t0, &mut out).unwrap();
    }
    table.on_timer(t0 + Duration::from_millis(5), &mut out);
    assert_eq!(table.len(), 1, "the UDP one lingers, the TCP one is gone");
    assert_eq!(server_non_invite(tcp), (1, 0));
}
