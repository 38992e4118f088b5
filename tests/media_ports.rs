//! RTP ports go back to the pool however a call ends (RFC 3261 flows on a virtual clock):
//! answered and hung up by either side, rejected, cancelled while ringing, refused with 488
//! for an offer we cannot take, and given up for a missing ACK. Over thousands of calls the
//! pool ends as full as it began, and a full pool answers `503 No Free Media Port`.

mod support;

use std::cell::Cell;
use std::rc::Rc;

use bytes::Bytes;
use callshard::session::{CallEvent, EndpointConfig, PlaceCall};
use callshard::transaction::TxConfig;
use support::{addr, ms, Fate, Net};

const PORTS: usize = 20;
const WAVES: usize = 100;
/// Calls placed per wave, plus one refused with 488: room is left for the three held calls.
const PER_WAVE: usize = PORTS - 4;

/// B's answer by call number: the ways a call can end.
fn b_policy(count: Rc<Cell<usize>>) -> support::Policy {
    Box::new(move |ep, e, now| match *e {
        CallEvent::Incoming { call } => {
            let n = count.get();
            count.set(n + 1);
            let _ = match n % 5 {
                0 => ep.answer(call, now),                                                        // A hangs up
                1 => ep.answer(call, now).map(|_| ep.set_timer(call, now + ms(20), 1)).map(drop), // B hangs up
                2 => ep.reject(call, 486, now),                                                   // rejected
                3 => ep.ring(call, now),                                                          // A cancels
                _ => ep.ring(call, now).map(|_| ep.set_timer(call, now + ms(10), 2)).map(drop),   // answered late
            };
        }
        CallEvent::Timer { call, token: 1 } => drop(ep.hangup(call, now)),
        CallEvent::Timer { call, token: 2 } => drop(ep.answer(call, now)),
        _ => {}
    })
}

/// A hangs up what was answered after 30 ms and cancels what still rings after 50 ms.
fn a_policy() -> support::Policy {
    Box::new(|ep, e, now| match *e {
        CallEvent::Established { call } => drop(ep.set_timer(call, now + ms(30), 1)),
        CallEvent::Progress { call, .. } => drop(ep.set_timer(call, now + ms(50), 2)),
        CallEvent::Timer { call, token: 1 } => drop(ep.hangup(call, now)),
        CallEvent::Timer { call, token: 2 } => drop(ep.cancel(call, now)),
        _ => {}
    })
}

fn place(net: &mut Net, a: usize, n: usize) {
    let uri = b"sip:service@127.0.0.1:5070".to_vec();
    net.act(a, |ep, now| ep.place_call(PlaceCall::new(&uri, addr(5070)), now))
        .unwrap_or_else(|e| panic!("call {n}: {e:?}"));
}

/// An INVITE offering one codec by payload type: G.729 (18), which B does not have, gets 488.
fn invite(n: usize, payload_type: u8) -> Bytes {
    let sdp = format!("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9000 RTP/AVP {payload_type}\r\n");
    Bytes::from(format!(
        "INVITE sip:service@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKg729{n}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:x@127.0.0.1>;tag=x{n}\r\nTo: <sip:service@127.0.0.1>\r\nCall-ID: g729-{n}@test\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:x@127.0.0.1:5999>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    ))
}

#[test]
fn ports_come_back_however_calls_end_and_a_full_pool_answers_503() {
    let mut net = Net::new();
    let a = net.add(5060, a_policy());
    let count = Rc::new(Cell::new(0));
    let mut cfg = EndpointConfig::new(addr(5070));
    cfg.tx = TxConfig { trying_delay: Some(ms(200)), ..TxConfig::default() };
    cfg.rtp_ports = (30_000, 30_000 + 2 * PORTS as u16 - 1);
    let b = net.add_with(cfg, b_policy(count.clone()));
    assert_eq!(net.ep(b).media_ports().available(), PORTS);

    // Three answered calls lose every ACK and BYE from A, so B gives them up after 64*T1
    // (RFC 3261 13.3.1.4): their ports are held for 32 s, so the waves leave room for them.
    let mut silenced: Vec<Vec<u8>> = Vec::new();
    net.filter = Box::new(move |_, d| {
        let call_id = || d.split(|&b| b == b'\n').find(|l| l.starts_with(b"Call-ID:")).map(<[u8]>::to_vec);
        if d.starts_with(b"ACK ") && silenced.len() < 3 && !d.windows(3).any(|w| w == b"487") {
            silenced.extend(call_id());
        }
        let from_a = d.starts_with(b"ACK ") || d.starts_with(b"BYE ");
        match from_a && call_id().is_some_and(|c| silenced.contains(&c)) {
            true => Fate::Drop,
            false => Fate::Deliver,
        }
    });
    for wave in 0..WAVES {
        for n in 0..PER_WAVE {
            place(&mut net, a, wave * PER_WAVE + n);
        }
        net.inject(addr(5999), addr(5070), invite(wave, 18));
        net.run_for(ms(500));
    }
    net.run_for(ms(40_000));
    let stats = net.ep(b).stats();
    assert_eq!(count.get(), WAVES * PER_WAVE, "every placed call reached B");
    // Those B did not hang up itself first were given up for the missing ACK.
    assert!((1..=3).contains(&stats.timeouts), "calls given up without ACK: {stats:?}");
    assert!(stats.cancelled > 0 && stats.rejected > 0 && stats.ended_remote > 0 && stats.ended_local > 0, "{stats:?}");
    assert_eq!(stats.refused_busy, 0, "{stats:?}");
    assert_eq!(net.ep(b).active_calls(), 0);
    assert_eq!(net.ep(b).media_ports().available(), PORTS, "a port leaked: {stats:?}");
    let not_acceptable = net.log.iter().filter(|l| l.3.starts_with(b"SIP/2.0 488")).count();
    assert!(not_acceptable >= WAVES, "the G.729 offers were refused with 488");

    // Twenty-one calls left unanswered: the last finds no port.
    let mut net = Net::new();
    let mut cfg = EndpointConfig::new(addr(5070));
    cfg.rtp_ports = (30_000, 30_000 + 2 * PORTS as u16 - 1);
    net.add_with(cfg, support::idle());
    for n in 0..=PORTS {
        net.inject(addr(5999), addr(5070), invite(n, 0));
    }
    net.run_for(ms(100));
    let busy: Vec<_> = net.log.iter().filter(|l| l.3.starts_with(b"SIP/2.0 503")).collect();
    assert_eq!(busy.len(), 1);
    let text = String::from_utf8_lossy(&busy[0].3);
    assert!(text.starts_with("SIP/2.0 503 No Free Media Port\r\n") && text.contains("Retry-After: "), "{text}");
}
