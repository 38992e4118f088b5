//! Every timer of RFC 3261 figures 5 to 8 (and RFC 6026's L and M), driven with a virtual
//! clock: the table is fed messages and `now`, and we look at what it sends and reports.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use callshard::sip::write::Response;
use callshard::sip::Message;
use callshard::transaction::{ClientTxId, ServerTxId, TxConfig, TxError, TxOutput, TxTable};

const PEER: &str = "192.0.2.10:5060";

fn peer() -> SocketAddr {
    PEER.parse().unwrap()
}

fn request(method: &str, branch: &str) -> Message {
    let text = format!(
        "{method} sip:bob@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch={branch}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>\r\n\
         Call-ID: {branch}@test\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
    );
    Message::parse(Bytes::from(text)).unwrap()
}

fn response_to(req: &Message, code: u16) -> Message {
    let mut t = TxTable::new(TxConfig { trying_delay: None, ..TxConfig::default() }, Instant::now());
    let mut out = Vec::new();
    t.on_message(req, peer(), 0, Instant::now(), &mut out);
    let Some(TxOutput::Request { tx, .. }) = out.pop() else { panic!("no request") };
    t.respond(tx, &Response { to_tag: Some(b"b1"), ..Response::new(code) }, Instant::now(), &mut out).unwrap();
    let Some(TxOutput::Send { data, .. }) = out.pop() else { panic!("no response") };
    Message::parse(data).unwrap()
}

/// A table and a virtual clock; `run_until` advances time in 1 ms steps, collecting outputs.
struct Clocked {
    table: TxTable,
    t0: Instant,
    now: Instant,
    out: Vec<(Duration, TxOutput)>,
    ended: usize,
}

impl Clocked {
    fn new(cfg: TxConfig) -> Clocked {
        let t0 = Instant::now();
        Clocked { table: TxTable::new(cfg, t0), t0, now: t0, out: Vec::new(), ended: 0 }
    }

    fn feed(&mut self, msg: Message) {
        let mut out = Vec::new();
        self.table.on_message(&msg, peer(), 0, self.now, &mut out);
        self.take(out);
    }

    /// Keeps what a test looks at; transaction-ended notices are counted apart.
    fn take(&mut self, out: Vec<TxOutput>) {
        let at = self.now - self.t0;
        for o in out {
            match o {
                TxOutput::ClientEnded { .. } | TxOutput::ServerEnded { .. } => self.ended += 1,
                o => self.out.push((at, o)),
            }
        }
    }

    fn run_until(&mut self, at: Duration) {
        while self.now - self.t0 < at {
            self.now += Duration::from_millis(1);
            let mut out = Vec::new();
            self.table.on_timer(self.now, &mut out);
            self.take(out);
        }
    }

    fn sends(&self) -> Vec<Duration> {
        self.out.iter().filter(|(_, o)| matches!(o, TxOutput::Send { .. })).map(|(t, _)| *t).collect()
    }

    fn drain(&mut self) -> Vec<(Duration, TxOutput)> {
        std::mem::take(&mut self.out)
    }

    fn server_tx(&self) -> ServerTxId {
        self.out.iter().find_map(|(_, o)| if let TxOutput::Request { tx, .. } = o { Some(*tx) } else { None }).unwrap()
    }
}

fn secs(v: &[f64]) -> Vec<Duration> {
    v.iter().map(|s| Duration::from_secs_f64(*s)).collect()
}

fn start_client(c: &mut Clocked, req: Message) -> ClientTxId {
    let mut out = Vec::new();
    let tx = c.table.send_request(req, (peer(), 0), c.now, &mut out).unwrap();
    c.take(out);
    tx
}

#[test]
fn timer_a_doubles_and_timer_b_times_out() {
    let mut c = Clocked::new(TxConfig::default());
    let tx = start_client(&mut c, request("INVITE", "z9hG4bKa"));
    c.run_until(Duration::from_secs(33));
    assert_eq!(c.sends(), secs(&[0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]));
    let timeouts: Vec<_> =
        c.out.iter().filter(|(_, o)| matches!(o, TxOutput::Timeout { tx: t, .. } if *t == tx)).collect();
    assert_eq!(timeouts.len(), 1);
    assert_eq!(timeouts[0].0, Duration::from_secs(32));
    assert!(c.table.is_empty());
    assert_eq!(c.ended, 1, "the TU hears the transaction is over");
}

#[test]
fn timer_e_caps_at_t2_and_timer_f_times_out() {
    let mut c = Clocked::new(TxConfig::default());
    start_client(&mut c, request("OPTIONS", "z9hG4bKe"));
    c.run_until(Duration::from_secs(33));
    assert_eq!(c.sends(), secs(&[0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]));
    assert!(c.out.iter().any(|(t, o)| matches!(o, TxOutput::Timeout { .. }) && *t == Duration::from_secs(32)));
    assert_eq!(c.table.stats().retransmissions_sent, 10);
}

#[test]
fn timer_e_runs_at_t2_once_proceeding() {
    let mut c = Clocked::new(TxConfig::default());
    let req = request("OPTIONS", "z9hG4bKe2");
    start_client(&mut c, req.clone());
    c.run_until(Duration::from_millis(600));
    c.feed(response_to(&req, 180));
    c.run_until(Duration::from_millis(12_600));
    // 0, 0.5 while Trying; then the 1.5 s retransmission (armed before the 1xx), then every T2.
    assert_eq!(c.sends(), secs(&[0.0, 0.5, 1.5, 5.5, 9.5]));
}

#[test]
fn timer_d_keeps_acking_final_retransmissions() {
    let mut c = Clocked::new(TxConfig::default());
    let req = request("INVITE", "z9hG4bKd");
    start_client(&mut c, req.clone());
    let busy = response_to(&req, 486);
    c.feed(busy.clone());
    c.run_until(Duration::from_secs(5));
    c.feed(busy.clone());
    let acks: Vec<_> = c
        .drain()
        .into_iter()
        .filter_map(|(_, o)| if let TxOutput::Send { data, .. } = o { Some(data) } else { None })
        .collect();
    // The INVITE, then an ACK for each copy of the 486: one transaction ACK repeated.
    assert_eq!(acks.len(), 3);
    assert!(acks[1].starts_with(b"ACK ") && acks[1] == acks[2]);
    c.run_until(Duration::from_secs(33));
    c.feed(busy);
    assert!(matches!(c.drain().as_slice(), [(_, TxOutput::StrayResponse { .. })]), "gone after Timer D");
}

#[test]
fn timer_k_absorbs_then_forgets() {
    let mut c = Clocked::new(TxConfig::default());
    let req = request("OPTIONS", "z9hG4bKk");
    start_client(&mut c, req.clone());
    let ok = response_to(&req, 200);
    c.feed(ok.clone());
    c.feed(ok.clone());
    let responses = c.drain().into_iter().filter(|(_, o)| matches!(o, TxOutput::Response { .. })).count();
    assert_eq!(responses, 1, "the retransmitted 200 is absorbed");
    c.run_until(Duration::from_secs(5));
    assert!(c.table.is_empty(), "Timer K (T4) ended the transaction");
}

#[test]
fn timer_m_passes_every_2xx_until_it_fires() {
    let mut c = Clocked::new(TxConfig::default());
    let req = request("INVITE", "z9hG4bKm");
    start_client(&mut c, req.clone());
    let ok = response_to(&req, 200);
    c.feed(ok.clone());
    c.run_until(Duration::from_secs(2));
    c.feed(ok.clone());
    let to_tu = c.drain().into_iter().filter(|(_, o)| matches!(o, TxOutput::Response { .. })).count();
    assert_eq!(to_tu, 2, "RFC 6026: 2xx retransmissions reach the TU, which ACKs them");
    c.run_until(Duration::from_secs(33));
    assert!(c.table.is_empty());
    c.feed(ok);
    assert!(matches!(c.drain().as_slice(), [(_, TxOutput::StrayResponse { .. })]));
}

#[test]
fn timers_g_and_h_retransmit_a_final_until_the_ack_timeout() {
    let mut c = Clocked::new(TxConfig { trying_delay: None, ..TxConfig::default() });
    c.feed(request("INVITE", "z9hG4bKg"));
    let tx = c.server_tx();
    let mut out = Vec::new();
    c.table.respond(tx, &Response { to_tag: Some(b"x"), ..Response::new(486) }, c.now, &mut out).unwrap();
    c.take(out);
    c.run_until(Duration::from_secs(33));
    assert_eq!(c.sends(), secs(&[0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]));
    assert!(c.out.iter().any(|(t, o)| matches!(o, TxOutput::AckTimeout { .. }) && *t == Duration::from_secs(32)));
    assert!(c.table.is_empty());
}

#[test]
fn timer_i_absorbs_ack_retransmissions() {
    let mut c = Clocked::new(TxConfig { trying_delay: None, ..TxConfig::default() });
    let invite = request("INVITE", "z9hG4bKi");
    c.feed(invite.clone());
    let tx = c.server_tx();
    let mut out = Vec::new();
    c.table.respond(tx, &Response { to_tag: Some(b"x"), ..Response::new(404) }, c.now, &mut out).unwrap();
    c.take(out);
    let ack = request("ACK", "z9hG4bKi");
    c.run_until(Duration::from_millis(100));
    c.feed(ack.clone());
    c.run_until(Duration::from_secs(2));
    c.feed(ack.clone());
    let events = c.drain();
    assert!(
        !events.iter().any(|(_, o)| matches!(o, TxOutput::Ack { .. })),
        "ACKs for a non-2xx stay in the transaction"
    );
    assert_eq!(
        events.iter().filter(|(_, o)| matches!(o, TxOutput::Send { .. })).count(),
        1,
        "no Timer G after the ACK"
    );
    c.run_until(Duration::from_secs(6));
    assert!(c.table.is_empty(), "Timer I (T4) ended it");
}

#[test]
fn timer_j_answers_retransmissions_then_forgets() {
    let mut c = Clocked::new(TxConfig::default());
    let bye = request("BYE", "z9hG4bKj");
    c.feed(bye.clone());
    let tx = c.server_tx();
    let mut out = Vec::new();
    c.table.respond(tx, &Response::new(200), c.now, &mut out).unwrap();
    c.take(out);
    c.feed(bye.clone());
    let events = c.drain();
    assert_eq!(events.iter().filter(|(_, o)| matches!(o, TxOutput::Send { .. })).count(), 2);
    assert_eq!(events.iter().filter(|(_, o)| matches!(o, TxOutput::Request { .. })).count(), 1);
    c.run_until(Duration::from_secs(33));
    assert!(c.table.is_empty());
    c.feed(bye);
    assert!(matches!(c.drain().as_slice(), [(_, TxOutput::Request { .. })]), "after Timer J it is a new request");
}

#[test]
fn timer_l_absorbs_invite_retransmissions_after_a_2xx() {
    let mut c = Clocked::new(TxConfig { trying_delay: None, ..TxConfig::default() });
    let invite = request("INVITE", "z9hG4bKl");
    c.feed(invite.clone());
    let tx = c.server_tx();
    let mut out = Vec::new();
    c.table.respond(tx, &Response { to_tag: Some(b"x"), ..Response::new(200) }, c.now, &mut out).unwrap();
    c.take(out);
    c.drain();
    c.run_until(Duration::from_secs(1));
    c.feed(invite.clone());
    assert!(c.drain().is_empty(), "the TU, not the transaction, retransmits a 2xx");
    c.run_until(Duration::from_secs(33));
    assert!(c.table.is_empty());
}

#[test]
fn trying_is_sent_only_when_the_tu_is_slow() {
    let mut c = Clocked::new(TxConfig::default());
    c.feed(request("INVITE", "z9hG4bKt1"));
    c.run_until(Duration::from_millis(199));
    assert!(c.sends().is_empty());
    c.run_until(Duration::from_millis(201));
    let trying: Vec<_> = c
        .drain()
        .into_iter()
        .filter_map(|(t, o)| if let TxOutput::Send { data, .. } = o { Some((t, data)) } else { None })
        .collect();
    assert_eq!(trying.len(), 1);
    assert_eq!(trying[0].0, Duration::from_millis(200));
    assert!(trying[0].1.starts_with(b"SIP/2.0 100 Trying\r\n"));

    let mut fast = Clocked::new(TxConfig::default());
    fast.feed(request("INVITE", "z9hG4bKt2"));
    let tx = fast.server_tx();
    let mut out = Vec::new();
    fast.table.respond(tx, &Response { to_tag: Some(b"x"), ..Response::new(180) }, fast.now, &mut out).unwrap();
    fast.take(out);
    fast.run_until(Duration::from_secs(1));
    assert_eq!(fast.sends().len(), 1, "a prompt 180 cancels the 100 Trying");

    let mut eager = Clocked::new(TxConfig { trying_delay: Some(Duration::ZERO), ..TxConfig::default() });
    eager.feed(request("INVITE", "z9hG4bKt3"));
    assert_eq!(eager.sends(), [Duration::ZERO]);
}

#[test]
fn cancel_gets_200_and_the_invite_487_then_the_ack_is_absorbed() {
    let mut c = Clocked::new(TxConfig { trying_delay: Some(Duration::ZERO), ..TxConfig::default() });
    c.feed(request("INVITE", "z9hG4bKc"));
    let invite_tx = c.server_tx();
    c.feed(request("CANCEL", "z9hG4bKc"));
    let events = c.drain();
    let cancel_tx = events
        .iter()
        .find_map(|(_, o)| {
            if let TxOutput::Cancelled { invite, cancel } = o {
                (*invite == invite_tx).then_some(*cancel)
            } else {
                None
            }
        })
        .expect("the TU hears of the CANCEL");
    // The TU answers the CANCEL (with its To tag, RFC 3261 9.2) and then the INVITE.
    let mut out = Vec::new();
    c.table.respond(cancel_tx, &Response { to_tag: Some(b"x"), ..Response::new(200) }, c.now, &mut out).unwrap();
    let Some(TxOutput::Send { data, .. }) = out.pop() else { panic!("no 200 for the CANCEL") };
    assert!(data.starts_with(b"SIP/2.0 200 OK") && data.windows(12).any(|w| w == b"CSeq: 1 CANC"));
    c.table.respond(invite_tx, &Response { to_tag: Some(b"x"), ..Response::new(487) }, c.now, &mut out).unwrap();
    c.take(out);
    c.feed(request("ACK", "z9hG4bKc"));
    assert!(!c.drain().iter().any(|(_, o)| matches!(o, TxOutput::Ack { .. })));

    let mut lone = Clocked::new(TxConfig::default());
    lone.feed(request("CANCEL", "z9hG4bKnone"));
    let sent = lone.drain();
    assert!(matches!(&sent[0].1, TxOutput::Send { data, .. } if data.starts_with(b"SIP/2.0 481")));
}

#[test]
fn a_full_table_answers_503_with_retry_after() {
    let mut c = Clocked::new(TxConfig { max_transactions: 1, ..TxConfig::default() });
    c.feed(request("OPTIONS", "z9hG4bKf1"));
    c.feed(request("OPTIONS", "z9hG4bKf2"));
    let events = c.drain();
    let reply = events
        .iter()
        .find_map(|(_, o)| if let TxOutput::Send { data, .. } = o { Some(data.clone()) } else { None })
        .unwrap();
    let reply = Message::parse(reply).unwrap();
    assert_eq!(reply.status(), Some(503));
    assert_eq!(reply.header_named(b"Retry-After"), Some(&b"5"[..]));
    assert_eq!(c.table.stats().rejected_full, 1);
    // A BYE in a dialog still gets through a table full of new requests.
    let mut full = Clocked::new(TxConfig { max_transactions: 4, ..TxConfig::default() });
    for i in 0..4 {
        full.feed(request("OPTIONS", &format!("z9hG4bKo{i}")));
    }
    let bye = String::from_utf8(request("BYE", "z9hG4bKbye").bytes().to_vec())
        .unwrap()
        .replace("<sip:bob@example.com>", "<sip:bob@example.com>;tag=t1");
    full.feed(Message::parse(bytes::Bytes::from(bye)).unwrap());
    assert!(full.out.iter().any(|(_, o)| matches!(o, TxOutput::Request { tx, .. }
        if full.table.request(*tx).and_then(|r| r.method()) == Some(callshard::sip::Method::Bye))));
}

#[test]
fn ack_for_a_2xx_goes_to_the_tu() {
    let mut c = Clocked::new(TxConfig::default());
    c.feed(request("ACK", "z9hG4bKnew"));
    assert!(matches!(c.drain().as_slice(), [(_, TxOutput::Ack { .. })]));
}

/// A request as the runtime delivers it: `Bytes` we keep a handle on, to see who else does.
fn datagram(method: &str, branch: &str) -> (Bytes, Message) {
    let msg = request(method, branch);
    (msg.bytes().clone(), msg)
}

#[test]
fn a_lingering_server_transaction_keeps_nothing_of_the_datagram() {
    let mut c = Clocked::new(TxConfig { trying_delay: None, ..TxConfig::default() });
    let (data, bye) = datagram("BYE", "z9hG4bKmem1");
    c.feed(bye);
    let tx = c.server_tx();
    c.drain();
    assert!(!data.is_unique(), "the TU may still read and answer the request");
    assert!(c.table.request(tx).is_some());
    let mut out = Vec::new();
    c.table.respond(tx, &Response::new(200), c.now, &mut out).unwrap();
    assert!(data.is_unique(), "Completed (Timer J): the key and the 200 are enough");
    assert!(c.table.request(tx).is_none());
    c.feed(request("BYE", "z9hG4bKmem1"));
    assert_eq!(c.drain().iter().filter(|(_, o)| matches!(o, TxOutput::Send { .. })).count(), 1, "still answered");

    let (data, invite) = datagram("INVITE", "z9hG4bKmem2");
    c.feed(invite);
    let tx = c.server_tx();
    c.drain();
    c.table.respond(tx, &Response { to_tag: Some(b"x"), ..Response::new(180) }, c.now, &mut out).unwrap();
    c.table.on_timer(c.now, &mut out); // the next turn
    assert!(data.is_unique(), "a ringing call's INVITE is copied out of the shared buffer");
    assert!(c.table.request(tx).is_some_and(|r| r.bytes()[..] == data[..]));
    c.table.respond(tx, &Response { to_tag: Some(b"x"), ..Response::new(200) }, c.now, &mut out).unwrap();
    assert!(c.table.request(tx).is_none(), "Accepted (Timer L) keeps the key only");
    let again = c.table.respond(tx, &Response { to_tag: Some(b"x"), ..Response::new(200) }, c.now, &mut out);
    assert_eq!(again.err(), Some(TxError::AlreadyFinal), "the TU retransmits its 2xx from the bytes it has");
    c.take(out);
    c.drain();
    c.feed(request("INVITE", "z9hG4bKmem2"));
    assert!(c.drain().is_empty(), "a retransmitted INVITE is still absorbed");
    c.feed(request("ACK", "z9hG4bKmem2"));
    assert!(matches!(c.drain().as_slice(), [(_, TxOutput::Ack { .. })]), "and the ACK for the 2xx reaches the TU");
}

#[test]
fn a_completed_client_invite_keeps_only_its_ack() {
    let mut c = Clocked::new(TxConfig::default());
    let invite = request("INVITE", "z9hG4bKmem3");
    let (data, sent) = datagram("INVITE", "z9hG4bKmem3");
    let tx = start_client(&mut c, sent);
    assert!(data.is_unique(), "the transaction sends its own copy of the request");
    assert!(c.table.client_request(tx).is_some());
    c.feed(response_to(&invite, 180));
    assert!(c.table.client_request(tx).is_some(), "Proceeding: CANCEL copies it");
    c.feed(response_to(&invite, 486));
    assert!(c.table.client_request(tx).is_none(), "Completed (Timer D): only the ACK is kept");
    c.drain();
    c.feed(response_to(&invite, 486));
    let sent = c.drain();
    assert!(matches!(sent.as_slice(), [(_, TxOutput::Send { data, .. })] if data.starts_with(b"ACK ")));

    let forked = request("INVITE", "z9hG4bKmem4");
    let tx = start_client(&mut c, forked.clone());
    c.feed(response_to(&forked, 200));
    assert!(c.table.client_request(tx).is_none(), "Accepted (Timer M): a fork's 2xx makes its dialog from itself");
}

#[test]
fn a_request_still_ringing_at_the_next_input_is_copied_out_of_its_buffer() {
    let mut c = Clocked::new(TxConfig::default());
    let invite = request("INVITE", "z9hG4bKring");
    let received = invite.bytes().as_ptr();
    c.feed(invite);
    let tx = c.server_tx();
    let mut out = Vec::new();
    c.table.respond(tx, &Response { to_tag: Some(b"x"), ..Response::new(180) }, c.now, &mut out).unwrap();
    let at = |c: &Clocked| c.table.request(tx).map(|r| r.bytes().as_ptr());
    assert_eq!(at(&c), Some(received), "no copy in the turn of the 1xx: a final response may follow");
    assert_eq!(c.table.next_deadline(), Some(c.now), "the next turn settles it");
    c.table.on_timer(c.now, &mut out);
    assert!(at(&c).is_some_and(|p| p != received), "copied: a ringing call pins no receive buffer");
    // The 180 is still answered to a retransmitted INVITE, from the transaction's own copy.
    c.take(out);
    c.drain();
    c.feed(request("INVITE", "z9hG4bKring"));
    assert!(matches!(c.drain().as_slice(), [(_, TxOutput::Send { data, .. })] if data.starts_with(b"SIP/2.0 180")));
}
