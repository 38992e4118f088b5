//! Blind transfer with REFER (RFC 3515) between two endpoints on a virtual network: A asks
//! B to call Carol; B answers 202, reports its new call's progress with NOTIFYs carrying a
//! `message/sipfrag` status line, the last one ending the subscription; A hangs up on the
//! final 200.

mod support;

use std::time::Instant;

use callshard::session::{CallEvent, EndReason, Endpoint, PlaceCall};
use support::{addr, ms, Net, Policy};

const CAROL: &str = "sip:carol@127.0.0.1:5080";

/// B: answers every call at once; asked to transfer, reports `reports` in turn.
fn transferee(reports: &'static [u16]) -> Policy {
    Box::new(move |ep: &mut Endpoint, e: &CallEvent, now: Instant| match e {
        CallEvent::Incoming { call } => ep.answer(*call, now).unwrap(),
        CallEvent::TransferRequested { call, target } => {
            assert_eq!(target, CAROL);
            for &status in reports {
                ep.notify_transfer(*call, status, now).unwrap();
            }
        }
        _ => {}
    })
}

/// A: transfers B once the call is up, hangs up when B reports the new call answered.
fn transferor() -> Policy {
    Box::new(|ep: &mut Endpoint, e: &CallEvent, now: Instant| match *e {
        CallEvent::Established { call } => ep.transfer(call, CAROL.as_bytes(), now).unwrap(),
        CallEvent::TransferProgress { call, status: 200..=299, done: true } => ep.hangup(call, now).unwrap(),
        _ => {}
    })
}

fn sent(net: &Net, prefix: &str) -> Vec<String> {
    net.log.iter().map(|l| String::from_utf8_lossy(&l.3).into_owned()).filter(|m| m.starts_with(prefix)).collect()
}

fn run(reports: &'static [u16]) -> (Net, usize, usize) {
    let mut net = Net::new();
    let (a, b) = (net.add(5060, transferor()), net.add(5070, transferee(reports)));
    let uri = b"sip:bob@127.0.0.1:5070".to_vec();
    net.act(a, |ep, now| ep.place_call(PlaceCall::new(&uri, addr(5070)), now).unwrap());
    net.run_for(ms(2_000));
    (net, a, b)
}

#[test]
fn a_blind_transfer_is_referred_accepted_reported_and_ends_the_call() {
    let (net, a, b) = run(&[100, 180, 200]);
    let refer = sent(&net, "REFER ");
    assert_eq!(refer.len(), 1);
    assert!(refer[0].contains(&format!("Refer-To: <{CAROL}>")), "{}", refer[0]);
    assert!(refer[0].contains("CSeq: 2 REFER") && refer[0].contains("Contact: "), "{}", refer[0]);
    let accepted = sent(&net, "SIP/2.0 202");
    assert!(accepted.len() == 1 && accepted[0].contains("CSeq: 2 REFER"), "{accepted:?}");

    let notifies = sent(&net, "NOTIFY ");
    assert_eq!(notifies.len(), 3, "{notifies:?}");
    for (n, (status, state)) in notifies.iter().zip([(100, "active"), (180, "active"), (200, "terminated")]) {
        assert!(n.contains("Event: refer") && n.contains("Content-Type: message/sipfrag"), "{n}");
        assert!(n.contains(&format!("\r\n\r\nSIP/2.0 {status} ")), "{n}");
        assert!(n.contains(&format!("Subscription-State: {state}")), "{n}");
    }
    assert_eq!(sent(&net, "SIP/2.0 200").iter().filter(|r| r.contains(" NOTIFY\r\n")).count(), 3);

    let progress: Vec<(u16, bool)> = net
        .events(a)
        .iter()
        .filter_map(|e| {
            if let CallEvent::TransferProgress { status, done, .. } = e {
                Some((*status, *done))
            } else {
                None
            }
        })
        .collect();
    assert_eq!(progress, [(100, false), (180, false), (200, true)]);
    let ended = |n| {
        net.events(n)
            .iter()
            .filter_map(|e| if let CallEvent::Ended { reason, .. } = e { Some(*reason) } else { None })
            .collect::<Vec<_>>()
    };
    assert_eq!(ended(a), [EndReason::LocalHangup], "A hung up on the final 200");
    assert_eq!(ended(b), [EndReason::RemoteHangup]);
}

#[test]
fn a_failed_transfer_leaves_the_call_up() {
    let (net, a, _) = run(&[100, 486]);
    let events = net.events(a);
    assert!(
        events.iter().any(|e| matches!(e, CallEvent::TransferProgress { status: 486, done: true, .. })),
        "{events:?}"
    );
    assert!(!events.iter().any(|e| matches!(e, CallEvent::Ended { .. })), "still talking: {events:?}");
}

#[test]
fn a_refer_outside_a_dialog_is_refused() {
    let mut net = Net::new();
    let b = net.add(5070, transferee(&[]));
    let refer = "REFER sip:bob@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKr1\r\n\
                 From: <sip:a@127.0.0.1>;tag=x\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: r1@test\r\nCSeq: 1 REFER\r\n\
                 Refer-To: <sip:carol@127.0.0.1>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    net.inject(addr(5060), addr(5070), refer.as_bytes().to_vec().into());
    net.run_for(ms(10));
    let replies = sent(&net, "SIP/2.0 403");
    assert_eq!(replies.len(), 1, "no dialog, no transfer: {:?}", net.transcript());
    assert!(net.events(b).is_empty());
}

mod common;

#[test]
fn callshard_call_asks_serve_to_transfer_and_hears_it_declined() {
    use common::server::{final_line, stat, Server, BIN};
    let server = Server::start(17_400, &["--shards", "2", "--rtp-ports", "43800-43899"]);
    let out = std::process::Command::new(BIN)
        .args(["call", "sip:bob@127.0.0.1:17400", "--hold-ms", "300", "--transfer-to", CAROL])
        .args(["--rtp-ports", "43900-43999"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains(&format!("REFER to {CAROL}")), "{said}");
    // serve answers 202, then a NOTIFY with 603 that ends the subscription; the call goes on.
    assert!(said.contains("transfer: 603 (final)"), "{said}");
    assert!(said.contains("LocalHangup"), "the caller still hung up itself after --hold-ms: {said}");
    let (code, err) = server.stop();
    assert_eq!(code, Some(0));
    assert_eq!(stat(final_line(&err), "established"), 1);
}
