//! The call flows again, with any single datagram dropped and with any single datagram
//! duplicated: each still completes, through the retransmissions RFC 3261 prescribes, and
//! never with a second call or dialog.

mod support;

use std::time::Instant;

use callshard::sdp::{Codec, Direction};
use callshard::session::{CallEvent, CallId, EndReason, Endpoint, PlaceCall};
use support::{addr, idle, ms, Fate, Net, Policy};

/// Commands that may meet an exchange still in flight (a retransmission delayed it) are
/// retried a little later, as an application would.
fn retry(ep: &mut Endpoint, call: CallId, now: Instant, token: u32, ok: bool) {
    if !ok {
        ep.set_timer(call, now + ms(300), token);
    }
}

fn answerer(delay: u64, early: bool) -> Policy {
    Box::new(move |ep: &mut Endpoint, e: &CallEvent, now: Instant| match *e {
        CallEvent::Incoming { call } => {
            if early {
                ep.early_media(call, now).unwrap();
            } else {
                ep.ring(call, now).unwrap();
            }
            ep.set_timer(call, now + ms(delay), 1);
        }
        CallEvent::Timer { call, token: 1 } => {
            let _ = ep.answer(call, now);
        }
        _ => {}
    })
}

/// UAC: after establishment, optionally hold then resume (or switch codec), then hang up.
fn caller(script: &'static str) -> Policy {
    Box::new(move |ep: &mut Endpoint, e: &CallEvent, now: Instant| match *e {
        CallEvent::Established { call } => {
            ep.set_timer(call, now + ms(100), 10);
        }
        CallEvent::Timer { call, token: 10 } => match script {
            "hold" => {
                let ok = ep.hold(call, now).is_ok();
                retry(ep, call, now, 10, ok);
                if ok {
                    ep.set_timer(call, now + ms(15_000), 11);
                }
            }
            "codec" => {
                ep.set_codecs(call, &[Codec::G722]).unwrap();
                let ok = ep.reinvite(call, Direction::SendRecv, now).is_ok();
                retry(ep, call, now, 10, ok);
                if ok {
                    // Long enough for a 500 with Retry-After (up to 10 s, RFC 3261 14.2) and a retry.
                    ep.set_timer(call, now + ms(15_000), 12);
                }
            }
            _ => {
                ep.set_timer(call, now + ms(1000), 12);
            }
        },
        CallEvent::Timer { call, token: 11 } => {
            let ok = ep.resume(call, now).is_ok();
            retry(ep, call, now, 11, ok);
            if ok {
                ep.set_timer(call, now + ms(15_000), 12);
            }
        }
        CallEvent::Timer { call, token: 12 } => {
            let _ = ep.hangup(call, now);
        }
        _ => {}
    })
}

fn canceller() -> Policy {
    Box::new(|ep: &mut Endpoint, e: &CallEvent, now: Instant| match *e {
        CallEvent::Progress { call, status: 180, .. } => {
            ep.set_timer(call, now + ms(500), 20);
        }
        CallEvent::Timer { call, token: 20 } => {
            let _ = ep.hangup(call, now);
        }
        _ => {}
    })
}

#[derive(Clone, Copy)]
struct Flow {
    name: &'static str,
    caller: fn() -> Policy,
    callee: fn() -> Policy,
    late_offer: bool,
    /// Expected end reasons (caller, callee), media seen last by the caller, established count.
    ends: (EndReason, EndReason),
    last_media: Option<(Codec, Direction)>,
    established: usize,
}

fn ringer() -> Policy {
    Box::new(|ep: &mut Endpoint, e: &CallEvent, now: Instant| {
        if let CallEvent::Incoming { call } = *e {
            ep.ring(call, now).unwrap();
        }
    })
}

fn rejecter() -> Policy {
    Box::new(|ep: &mut Endpoint, e: &CallEvent, now: Instant| {
        if let CallEvent::Incoming { call } = *e {
            ep.reject(call, 486, now).unwrap();
        }
    })
}

const FLOWS: [Flow; 7] = [
    Flow {
        name: "basic",
        caller: || caller("basic"),
        callee: || answerer(100, false),
        late_offer: false,
        ends: (EndReason::LocalHangup, EndReason::RemoteHangup),
        last_media: Some((Codec::Pcmu, Direction::SendRecv)),
        established: 1,
    },
    Flow {
        name: "rejection",
        caller: idle,
        callee: rejecter,
        late_offer: false,
        ends: (EndReason::Rejected(486), EndReason::Rejected(486)),
        last_media: None,
        established: 0,
    },
    Flow {
        name: "cancel",
        caller: canceller,
        callee: ringer,
        late_offer: false,
        ends: (EndReason::Cancelled, EndReason::Cancelled),
        last_media: None,
        established: 0,
    },
    Flow {
        name: "hold_resume",
        caller: || caller("hold"),
        callee: || answerer(100, false),
        late_offer: false,
        ends: (EndReason::LocalHangup, EndReason::RemoteHangup),
        last_media: Some((Codec::Pcmu, Direction::SendRecv)),
        established: 1,
    },
    Flow {
        name: "early_media",
        caller: || caller("basic"),
        callee: || answerer(1000, true),
        late_offer: false,
        ends: (EndReason::LocalHangup, EndReason::RemoteHangup),
        last_media: Some((Codec::Pcmu, Direction::SendRecv)),
        established: 1,
    },
    Flow {
        name: "codec_change",
        caller: || caller("codec"),
        callee: || answerer(100, false),
        late_offer: false,
        ends: (EndReason::LocalHangup, EndReason::RemoteHangup),
        last_media: Some((Codec::G722, Direction::SendRecv)),
        established: 1,
    },
    Flow {
        name: "late_offer",
        caller: || caller("basic"),
        callee: || answerer(100, false),
        late_offer: true,
        ends: (EndReason::LocalHangup, EndReason::RemoteHangup),
        last_media: Some((Codec::Pcmu, Direction::SendRecv)),
        established: 1,
    },
];

/// Runs a flow with `fate` applied to datagram number `victim`; returns the datagrams sent.
fn run(flow: Flow, victim: Option<(usize, Fate)>) -> usize {
    let mut net = Net::new();
    if let Some((n, fate)) = victim {
        net.filter = Box::new(move |i, _| if i == n { fate } else { Fate::Deliver });
    }
    let a = net.add(5060, (flow.caller)());
    let b = net.add(5070, (flow.callee)());
    let uri = b"sip:service@127.0.0.1:5070";
    net.act(a, |ep, now| {
        ep.place_call(PlaceCall { late_offer: flow.late_offer, ..PlaceCall::new(uri, addr(5070)) }, now).unwrap()
    });
    net.run_for(ms(80_000));
    let ctx = format!("{} with {victim:?}: {:#?}", flow.name, net.transcript());
    let ends = |n: usize| -> Vec<EndReason> {
        net.events(n)
            .iter()
            .filter_map(|e| if let CallEvent::Ended { reason, .. } = e { Some(*reason) } else { None })
            .collect()
    };
    assert_eq!(ends(a), [flow.ends.0], "caller end: {ctx}");
    assert_eq!(ends(b), [flow.ends.1], "callee end: {ctx}");
    let count = |n: usize, f: &dyn Fn(&CallEvent) -> bool| net.events(n).iter().filter(|e| f(e)).count();
    assert_eq!(count(b, &|e| matches!(e, CallEvent::Incoming { .. })), 1, "one call at the callee: {ctx}");
    for n in [a, b] {
        assert_eq!(count(n, &|e| matches!(e, CallEvent::Established { .. })), flow.established, "established: {ctx}");
    }
    let last_media = net.events(a).iter().rev().find_map(|e| {
        if let CallEvent::MediaChanged { media, .. } = e {
            Some((media.codec, media.direction))
        } else {
            None
        }
    });
    if flow.established > 0 {
        assert_eq!(last_media, flow.last_media, "caller media: {ctx}");
    }
    for n in [a, b] {
        assert_eq!(net.ep(n).active_calls(), 0, "no call left behind: {ctx}");
    }
    net.log.len()
}

fn every_single(fate: Fate) {
    for flow in FLOWS {
        let clean = run(flow, None);
        for victim in 0..clean {
            run(flow, Some((victim, fate)));
        }
    }
}

#[test]
fn flows_complete_cleanly() {
    for flow in FLOWS {
        assert!(run(flow, None) >= 3, "{}", flow.name);
    }
}

#[test]
fn flows_survive_any_single_drop() {
    every_single(Fate::Drop);
}

#[test]
fn flows_survive_any_single_duplicate() {
    every_single(Fate::Duplicate);
}

/// The caller's ACK is lost and its re-INVITE (a hold, 50 ms after the answer) reaches the
/// callee before the 2xx is sent again (T1, 500 ms): found by SIPp through `callshard relay`
/// (tests/serve_sipp_lossy.rs, hold_resume). The re-INVITE shows the caller had the 2xx, so
/// the callee takes it as the ACK (RFC 5407 3.1.5) and answers 200, not 500; the late ACKs
/// of the first 2xx acknowledge nothing else, and the call lives on until hung up.
#[test]
fn a_reinvite_overtaking_a_lost_ack_is_answered() {
    let mut net = Net::new();
    net.filter = Box::new(|_, d| {
        if d.starts_with(b"ACK ") && d.windows(5).any(|w| w == b" 1 AC") {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    let hold_soon = Box::new(|ep: &mut Endpoint, e: &CallEvent, now: Instant| match *e {
        CallEvent::Established { call } => {
            ep.set_timer(call, now + ms(50), 1);
        }
        CallEvent::Timer { call, token: 1 } => {
            ep.hold(call, now).unwrap();
            ep.set_timer(call, now + ms(40_000), 2);
        }
        CallEvent::Timer { call, token: 2 } => {
            ep.hangup(call, now).unwrap();
        }
        _ => {}
    });
    let a = net.add(5060, hold_soon);
    let b = net.add(5070, answerer(0, false));
    net.act(a, |ep, now| ep.place_call(PlaceCall::new(b"sip:service@127.0.0.1:5070", addr(5070)), now).unwrap());
    net.run_for(ms(60_000));
    let t = net.transcript();
    assert!(!t.iter().any(|l| l.contains(" 500 ")), "{t:#?}");
    let ok_2 = t.iter().filter(|l| l.starts_with("5070->5060 SIP/2.0 200")).count();
    assert!(ok_2 >= 3, "200 to the INVITE, the re-INVITE and the BYE: {t:#?}");
    let ended = |n: usize| net.events(n).iter().filter(|e| matches!(e, CallEvent::Ended { .. })).count();
    assert_eq!((ended(a), ended(b)), (1, 1), "{t:#?}");
    let ends_b: Vec<_> = net.events(b).into_iter().filter(|e| matches!(e, CallEvent::Ended { .. })).collect();
    assert!(matches!(ends_b[0], CallEvent::Ended { reason: EndReason::RemoteHangup, .. }), "{ends_b:?} {t:#?}");
    assert!(t.iter().any(|l| l.starts_with("5060->5070 BYE")), "the caller hangs up, not the callee: {t:#?}");
    assert!(!t.iter().any(|l| l.starts_with("5070->5060 BYE")), "{t:#?}");
}
