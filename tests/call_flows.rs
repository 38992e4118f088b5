//! The seed's call flows between two endpoints joined by an in-memory wire with a virtual
//! clock: basic call, rejection, cancel, OPTIONS, hold/resume, early media, codec
//! negotiation (with a codec-changing re-INVITE), late offer, forking and timeouts.

mod support;

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use callshard::sdp::{Codec, Direction};
use callshard::session::{CallEvent, CallId, EndReason, Endpoint, PlaceCall};
use callshard::sip::write::{write_response, Response};
use callshard::sip::Message;
use support::{addr, idle, ms, Net, Policy};

const TOKEN_ANSWER: u32 = 1;
const TOKEN_HANGUP: u32 = 2;

/// UAS: ring at once, answer after `delay` ms.
pub fn answer_after(delay: u64) -> Policy {
    Box::new(move |ep: &mut Endpoint, e: &CallEvent, now: Instant| match *e {
        CallEvent::Incoming { call } => {
            ep.ring(call, now).unwrap();
            ep.set_timer(call, now + ms(delay), TOKEN_ANSWER);
        }
        CallEvent::Timer { call, token: TOKEN_ANSWER } => {
            let _ = ep.answer(call, now);
        }
        _ => {}
    })
}

/// UAC: hang up `after` ms once established.
pub fn hang_up_after(after: u64) -> Policy {
    Box::new(move |ep: &mut Endpoint, e: &CallEvent, now: Instant| match *e {
        CallEvent::Established { call } => {
            ep.set_timer(call, now + ms(after), TOKEN_HANGUP);
        }
        CallEvent::Timer { call, token: TOKEN_HANGUP } => {
            let _ = ep.hangup(call, now);
        }
        _ => {}
    })
}

fn place(net: &mut Net, from: usize, to_port: u16, late_offer: bool) -> CallId {
    let uri = format!("sip:service@127.0.0.1:{to_port}").into_bytes();
    net.act(from, |ep, now| {
        ep.place_call(PlaceCall { late_offer, ..PlaceCall::new(&uri, addr(to_port)) }, now).unwrap()
    })
}

fn count(events: &[CallEvent], f: impl Fn(&CallEvent) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

fn ended(events: &[CallEvent]) -> Vec<EndReason> {
    events.iter().filter_map(|e| if let CallEvent::Ended { reason, .. } = e { Some(*reason) } else { None }).collect()
}

fn media(events: &[CallEvent]) -> Vec<(Codec, Direction)> {
    events
        .iter()
        .filter_map(|e| {
            if let CallEvent::MediaChanged { media, .. } = e {
                Some((media.codec, media.direction))
            } else {
                None
            }
        })
        .collect()
}

fn established(events: &[CallEvent]) -> usize {
    count(events, |e| matches!(e, CallEvent::Established { .. }))
}

#[test]
fn basic_call() {
    let mut net = Net::new();
    let a = net.add(5060, hang_up_after(1000));
    let b = net.add(5070, answer_after(100));
    place(&mut net, a, 5070, false);
    net.run_for(ms(3000));
    let (ea, eb) = (net.events(a), net.events(b));
    assert_eq!(established(&ea), 1);
    assert_eq!(established(&eb), 1);
    assert_eq!(count(&ea, |e| matches!(e, CallEvent::Progress { status: 180, .. })), 1);
    assert_eq!(media(&ea), [(Codec::Pcmu, Direction::SendRecv)]);
    assert_eq!(media(&eb), [(Codec::Pcmu, Direction::SendRecv)]);
    assert_eq!(ended(&ea), [EndReason::LocalHangup]);
    assert_eq!(ended(&eb), [EndReason::RemoteHangup]);
    let flow: Vec<String> = net.transcript().iter().map(|l| l.split(' ').nth(1).unwrap().to_string()).collect();
    assert_eq!(flow, ["INVITE", "SIP/2.0", "SIP/2.0", "ACK", "BYE", "SIP/2.0"], "{:?}", net.transcript());
    assert!(net.transcript()[1].ends_with("180 Ringing") && net.transcript()[2].ends_with("200 OK"));
}

#[test]
fn call_rejection_486() {
    let mut net = Net::new();
    let a = net.add(5060, idle());
    let b = net.add(
        5070,
        Box::new(|ep, e, now| {
            if let CallEvent::Incoming { call } = *e {
                ep.reject(call, 486, now).unwrap();
            }
        }),
    );
    place(&mut net, a, 5070, false);
    net.run_for(ms(1000));
    assert_eq!(ended(&net.events(a)), [EndReason::Rejected(486)]);
    assert_eq!(ended(&net.events(b)), [EndReason::Rejected(486)]);
    let t = net.transcript();
    assert!(t[1].ends_with("486 Busy Here") && t[2].contains(" ACK "), "{t:?}");
}

#[test]
fn cancel_while_ringing() {
    let mut net = Net::new();
    let a = net.add(
        5060,
        Box::new(|ep, e, now| {
            if let CallEvent::Progress { call, status: 180, .. } = *e {
                ep.set_timer(call, now + ms(500), 9);
            }
            if let CallEvent::Timer { call, token: 9 } = *e {
                ep.hangup(call, now).unwrap();
            }
        }),
    );
    let b = net.add(
        5070,
        Box::new(|ep, e, now| {
            if let CallEvent::Incoming { call } = *e {
                ep.ring(call, now).unwrap();
            }
        }),
    );
    place(&mut net, a, 5070, false);
    net.run_for(ms(2000));
    assert_eq!(ended(&net.events(a)), [EndReason::Cancelled]);
    assert_eq!(ended(&net.events(b)), [EndReason::Cancelled]);
    let t = net.transcript();
    let order: Vec<&str> = t.iter().map(|l| l.split_once(' ').unwrap().1).collect();
    assert_eq!(
        order,
        [
            "INVITE sip:service@127.0.0.1:5070 SIP/2.0",
            "SIP/2.0 180 Ringing",
            "CANCEL sip:service@127.0.0.1:5070 SIP/2.0",
            "SIP/2.0 200 OK",
            "SIP/2.0 487 Request Terminated",
            "ACK sip:service@127.0.0.1:5070 SIP/2.0"
        ]
    );
    // RFC 3261 9.1 and 17.1.1.3: the CANCEL and the ACK for the 487 carry the INVITE's branch.
    let branch = |i: usize| Message::parse(net.log[i].3.clone()).unwrap().top_via().unwrap().branch().unwrap().to_vec();
    assert_eq!(branch(2), branch(0));
    assert_eq!(branch(5), branch(0));
}

#[test]
fn options_ping() {
    let mut net = Net::new();
    let b = net.add(5070, idle());
    let options =
        "OPTIONS sip:callshard@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKopt1;rport\r\n\
        Max-Forwards: 70\r\nFrom: <sip:ping@127.0.0.1:5099>;tag=p1\r\nTo: <sip:callshard@127.0.0.1:5070>\r\n\
        Call-ID: opt1@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    net.inject(addr(5099), addr(5070), Bytes::from(options));
    net.run_for(ms(100));
    let reply = Message::parse(net.log[0].3.clone()).unwrap();
    assert_eq!(reply.status(), Some(200));
    assert_eq!(reply.header_named(b"Allow"), Some(&b"INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY"[..]));
    assert_eq!(reply.header_named(b"Accept"), Some(&b"application/sdp"[..]));
    assert!(reply.header_named(b"Supported").is_some());
    assert!(reply.to().unwrap().tag().is_some());
    assert_eq!(reply.top_via().unwrap().rport(), Some(Some(5099)));
    assert!(net.events(b).is_empty(), "OPTIONS creates no call");
}

#[test]
fn hold_and_resume() {
    let mut net = Net::new();
    let a = net.add(
        5060,
        Box::new(|ep, e, now| match *e {
            CallEvent::Established { call } => {
                ep.set_timer(call, now + ms(100), 1);
            }
            CallEvent::Timer { call, token: 1 } => {
                ep.hold(call, now).unwrap();
                ep.set_timer(call, now + ms(500), 2);
            }
            CallEvent::Timer { call, token: 2 } => {
                ep.resume(call, now).unwrap();
            }
            _ => {}
        }),
    );
    let b = net.add(5070, answer_after(10));
    place(&mut net, a, 5070, false);
    net.run_for(ms(2000));
    let pcmu = Codec::Pcmu;
    assert_eq!(
        media(&net.events(a)),
        [(pcmu, Direction::SendRecv), (pcmu, Direction::SendOnly), (pcmu, Direction::SendRecv)]
    );
    assert_eq!(
        media(&net.events(b)),
        [(pcmu, Direction::SendRecv), (pcmu, Direction::RecvOnly), (pcmu, Direction::SendRecv)]
    );
    // The answer to the hold says recvonly (RFC 3264 8.4).
    let hold_answer = net
        .log
        .iter()
        .map(|l| &l.3)
        .filter(|d| d.starts_with(b"SIP/2.0 200") && d.windows(11).any(|w| w == b"a=recvonly\r"))
        .count();
    assert_eq!(hold_answer, 1);
    assert!(ended(&net.events(a)).is_empty() && ended(&net.events(b)).is_empty());
}

#[test]
fn early_media_then_answer() {
    let mut net = Net::new();
    let a = net.add(5060, idle());
    let b = net.add(
        5070,
        Box::new(|ep, e, now| match *e {
            CallEvent::Incoming { call } => {
                ep.early_media(call, now).unwrap();
                ep.set_timer(call, now + ms(1000), TOKEN_ANSWER);
            }
            CallEvent::Timer { call, token: TOKEN_ANSWER } => ep.answer(call, now).unwrap(),
            _ => {}
        }),
    );
    place(&mut net, a, 5070, false);
    net.run_for(ms(2000));
    let ea = net.events(a);
    let progress = ea.iter().position(|e| matches!(e, CallEvent::Progress { status: 183, .. })).unwrap();
    let first_media = ea.iter().position(|e| matches!(e, CallEvent::MediaChanged { .. })).unwrap();
    let est = ea.iter().position(|e| matches!(e, CallEvent::Established { .. })).unwrap();
    assert!(first_media < est && progress < est, "early media before the answer: {ea:?}");
    assert_eq!(established(&net.events(b)), 1);
    assert!(net.transcript().iter().any(|l| l.ends_with("183 Session Progress")));
}

#[test]
fn codec_negotiation_and_codec_changing_reinvite() {
    let mut net = Net::new();
    let a = net.add(
        5060,
        Box::new(|ep, e, now| match *e {
            CallEvent::Established { call } => {
                ep.set_timer(call, now + ms(100), 1);
            }
            CallEvent::Timer { call, token: 1 } => {
                ep.set_codecs(call, &[Codec::G722]).unwrap();
                ep.reinvite(call, Direction::SendRecv, now).unwrap();
            }
            _ => {}
        }),
    );
    let mut cfg = callshard::session::EndpointConfig::new(addr(5070));
    cfg.codecs = vec![Codec::Pcma, Codec::G722];
    cfg.rtp_ports = (30_000, 30_100);
    let b = net.add_with(cfg, answer_after(10));
    place(&mut net, a, 5070, false);
    net.run_for(ms(1000));
    // We offered PCMU, PCMA, G722; B has no PCMU: the answer keeps the offerer's order.
    assert_eq!(media(&net.events(a)), [(Codec::Pcma, Direction::SendRecv), (Codec::G722, Direction::SendRecv)]);
    assert_eq!(media(&net.events(b)), [(Codec::Pcma, Direction::SendRecv), (Codec::G722, Direction::SendRecv)]);
}

#[test]
fn late_offer_answer_in_ack() {
    let mut net = Net::new();
    let a = net.add(5060, idle());
    let b = net.add(5070, answer_after(10));
    place(&mut net, a, 5070, true);
    net.run_for(ms(500));
    assert_eq!(media(&net.events(a)), [(Codec::Pcmu, Direction::SendRecv)]);
    assert_eq!(media(&net.events(b)), [(Codec::Pcmu, Direction::SendRecv)]);
    let invite = &net.log[0].3;
    assert!(invite.ends_with(b"Content-Length: 0\r\n\r\n"), "no SDP in the INVITE");
    let ack = net.log.iter().map(|l| &l.3).find(|d| d.starts_with(b"ACK ")).unwrap();
    assert!(ack.windows(4).any(|w| w == b"v=0\r"), "the answer rides in the ACK");
}

#[test]
fn no_answer_times_out_with_timer_b() {
    let mut net = Net::new();
    let a = net.add(5060, idle());
    place(&mut net, a, 5999, false); // nobody listens there
    net.run_for(ms(31_000));
    assert!(ended(&net.events(a)).is_empty());
    net.run_for(ms(2_000));
    assert_eq!(ended(&net.events(a)), [EndReason::Timeout]);
    assert_eq!(net.log.len(), 7, "INVITE and six Timer A retransmissions");
}

#[test]
fn no_ack_retransmits_2xx_then_hangs_up() {
    let mut net = Net::new();
    net.filter = Box::new(|_, d| if d.starts_with(b"ACK ") { support::Fate::Drop } else { support::Fate::Deliver });
    let a = net.add(5060, idle());
    let b = net.add(5070, answer_after(0));
    place(&mut net, a, 5070, false);
    net.run_for(ms(40_000));
    let oks = net
        .log
        .iter()
        .filter(|l| {
            l.1 == addr(5070) && l.3.starts_with(b"SIP/2.0 200 OK") && l.3.windows(12).any(|w| w == b"CSeq: 1 INVI")
        })
        .count();
    // 2xx at 0, then T1 doubling to T2: 0.5 1.5 3.5 7.5 11.5 ... 31.5 (11 in all).
    assert_eq!(oks, 11);
    assert_eq!(ended(&net.events(b)), [EndReason::NoAck]);
    assert!(net.transcript().iter().any(|l| l.starts_with("5070->5060 BYE")));
    // The UAC ACKed every retransmission (RFC 3261 13.2.2.4), then took the BYE.
    assert_eq!(net.log.iter().filter(|l| l.3.starts_with(b"ACK ")).count(), 11);
    assert_eq!(ended(&net.events(a)), [EndReason::RemoteHangup]);
}

/// Writes a response to `invite` as a fork with its own To tag and Contact port, with an
/// SDP answer naming media port 7000 when `sdp`.
fn fork_response(invite: &Message, code: u16, tag: &str, port: u16, sdp: bool) -> Bytes {
    fork_response_media(invite, code, tag, port, sdp.then_some(7000))
}

/// As [`fork_response`], with the SDP answer's media port (none: no body).
fn fork_response_media(invite: &Message, code: u16, tag: &str, port: u16, media: Option<u16>) -> Bytes {
    let contact = format!("<sip:fork@127.0.0.1:{port}>");
    let headers: &[(&[u8], &[u8])] = &[(b"Contact", contact.as_bytes())];
    let body = media.map(|m| {
        format!("v=0\r\no=f 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {m} RTP/AVP 0\r\n")
    });
    let resp = Response {
        to_tag: Some(tag.as_bytes()),
        headers,
        body: body.as_ref().map(|b| (&b"application/sdp"[..], b.as_bytes())),
        ..Response::new(code)
    };
    let mut out = BytesMut::new();
    write_response(&mut out, invite, &resp);
    out.freeze()
}

#[test]
fn uac_forking_three_early_dialogs_one_call() {
    let mut net = Net::new();
    let a = net.add(5060, idle());
    place(&mut net, a, 5070, false);
    let invite = Message::parse(net.log[0].3.clone()).unwrap();
    for (i, tag) in ["f1", "f2", "f3"].iter().enumerate() {
        net.inject(addr(5070), addr(5060), fork_response(&invite, 180, tag, 5071 + i as u16, false));
    }
    net.run_for(ms(10));
    assert_eq!(count(&net.events(a), |e| matches!(e, CallEvent::Progress { status: 180, .. })), 3);
    net.inject(addr(5070), addr(5060), fork_response(&invite, 200, "f2", 5072, true));
    net.run_for(ms(10));
    net.inject(addr(5070), addr(5060), fork_response(&invite, 200, "f3", 5073, true));
    net.run_for(ms(10));
    let ea = net.events(a);
    assert_eq!(established(&ea), 1, "one call, however many forks answer");
    let t = net.transcript();
    let acks: Vec<_> = t.iter().filter(|l| l.contains(" ACK ")).collect();
    assert_eq!(acks.len(), 2, "{t:?}");
    assert!(acks[0].starts_with("5060->5072") && acks[1].starts_with("5060->5073"));
    let byes: Vec<_> = t.iter().filter(|l| l.contains(" BYE ")).collect();
    assert_eq!(byes.len(), 1);
    assert!(byes[0].starts_with("5060->5073"), "the second fork is hung up: {byes:?}");
    assert!(ended(&ea).is_empty(), "the confirmed call goes on");
}

/// The remote media address of each `MediaChanged`, in order.
fn media_remotes(events: &[CallEvent]) -> Vec<std::net::SocketAddr> {
    events
        .iter()
        .filter_map(|e| if let CallEvent::MediaChanged { media, .. } = e { Some(media.remote) } else { None })
        .collect()
}

#[test]
fn uac_forking_media_follows_the_fork_that_answers() {
    // Fork f1 sends early media (183 with its answer), fork f2 rings and answers: the call is
    // f2's dialog, so its media goes where f2's answer in the 2xx says, not to f1's early port.
    let mut net = Net::new();
    let a = net.add(5060, idle());
    place(&mut net, a, 5070, false);
    let invite = Message::parse(net.log[0].3.clone()).unwrap();
    net.inject(addr(5070), addr(5060), fork_response_media(&invite, 183, "f1", 5071, Some(7100)));
    net.inject(addr(5070), addr(5060), fork_response(&invite, 180, "f2", 5072, false));
    net.run_for(ms(10));
    assert_eq!(media_remotes(&net.events(a)), [addr(7100)], "early media from f1");
    net.inject(addr(5070), addr(5060), fork_response_media(&invite, 200, "f2", 5072, Some(7200)));
    net.run_for(ms(10));
    let ea = net.events(a);
    assert_eq!(established(&ea), 1);
    assert_eq!(media_remotes(&ea), [addr(7100), addr(7200)], "the answering fork's media: {ea:?}");
    // The same fork's 2xx repeating its early answer changes nothing (RFC 3261 13.2.1).
    let mut net = Net::new();
    let a = net.add(5060, idle());
    place(&mut net, a, 5070, false);
    let invite = Message::parse(net.log[0].3.clone()).unwrap();
    net.inject(addr(5070), addr(5060), fork_response_media(&invite, 183, "f1", 5071, Some(7100)));
    net.run_for(ms(10));
    net.inject(addr(5070), addr(5060), fork_response_media(&invite, 200, "f1", 5071, Some(7100)));
    net.run_for(ms(10));
    assert_eq!(media_remotes(&net.events(a)), [addr(7100), addr(7100)]);
}

#[test]
fn uac_forking_late_2xx_retransmitted_is_acked_again_but_hung_up_once() {
    // f1 answers, then f2 answers late and retransmits its 2xx (our ACK crossed it or was
    // lost): every copy is ACKed (RFC 3261 13.2.2.4), but f2's dialog gets one BYE only, a
    // second would reuse its CSeq in that dialog (RFC 3261 12.2.1.1).
    let mut net = Net::new();
    let a = net.add(5060, idle());
    place(&mut net, a, 5070, false);
    let invite = Message::parse(net.log[0].3.clone()).unwrap();
    net.inject(addr(5070), addr(5060), fork_response(&invite, 200, "f1", 5071, true));
    net.run_for(ms(10));
    for _ in 0..3 {
        net.inject(addr(5070), addr(5060), fork_response(&invite, 200, "f2", 5072, true));
        net.run_for(ms(10));
    }
    let t = net.transcript();
    let to_f2 = |m: &str| t.iter().filter(|l| l.starts_with("5060->5072") && l.contains(m)).count();
    assert_eq!((to_f2(" ACK "), to_f2(" BYE ")), (3, 1), "{t:?}");
    assert_eq!(net.ep(a).stats().forks_ended, 1);
    assert_eq!(established(&net.events(a)), 1);
    assert!(ended(&net.events(a)).is_empty(), "the confirmed call goes on");
}

/// Sends a hand-written request from 127.0.0.1:5099 and returns the first response to it.
fn ask(net: &mut Net, to_port: u16, text: String) -> Message {
    let before = net.log.len();
    net.inject(addr(5099), addr(to_port), Bytes::from(text));
    net.run_for(ms(50));
    let reply = net.log[before..].iter().find(|l| l.2 == addr(5099)).expect("an answer");
    Message::parse(reply.3.clone()).unwrap()
}

fn request(method: &str, branch: &str, call_id: &str, to_tag: &str, cseq: u32, extra: &str) -> String {
    format!(
        "{method} sip:callshard@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch={branch}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:x@127.0.0.1:5099>;tag=x1\r\nTo: <sip:callshard@127.0.0.1:5070>{to_tag}\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContact: <sip:x@127.0.0.1:5099>\r\n{extra}Content-Length: 0\r\n\r\n"
    )
}

#[test]
fn unknown_dialog_gets_481_and_unknown_methods_405_or_501() {
    let mut net = Net::new();
    net.add(5070, idle());
    let bye = ask(&mut net, 5070, request("BYE", "z9hG4bKu1", "nope@x", ";tag=0123456789abcdef", 2, ""));
    assert_eq!(bye.status(), Some(481));
    let register = ask(&mut net, 5070, request("REGISTER", "z9hG4bKu2", "r@x", "", 1, ""));
    assert_eq!(register.status(), Some(405));
    assert!(register.header_named(b"Allow").is_some());
    let weird = ask(&mut net, 5070, request("FROBNICATE", "z9hG4bKu3", "f@x", "", 1, ""));
    assert_eq!(weird.status(), Some(501));
    let req = ask(&mut net, 5070, request("INVITE", "z9hG4bKu4", "q@x", "", 1, "Require: 100rel\r\n"));
    assert_eq!((req.status(), req.header_named(b"Unsupported")), (Some(420), Some(&b"100rel"[..])));
}

#[test]
fn nothing_usable_in_the_offer_gets_488_and_no_call() {
    let mut net = Net::new();
    let b = net.add(5070, answer_after(0));
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    let invite = request("INVITE", "z9hG4bKn1", "g729@x", "", 1, "Content-Type: application/sdp\r\n")
        .replace("Content-Length: 0\r\n\r\n", &format!("Content-Length: {}\r\n\r\n{sdp}", sdp.len()));
    let reply = ask(&mut net, 5070, invite);
    assert_eq!(reply.status(), Some(488));
    assert!(net.events(b).is_empty());
    let text = request("INVITE", "z9hG4bKn2", "text@x", "", 1, "Content-Type: text/plain\r\n")
        .replace("Content-Length: 0\r\n\r\n", "Content-Length: 2\r\n\r\nhi");
    let reply = ask(&mut net, 5070, text);
    assert_eq!((reply.status(), reply.header_named(b"Accept")), (Some(415), Some(&b"application/sdp"[..])));
}

#[test]
fn lower_cseq_in_dialog_gets_500() {
    let mut net = Net::new();
    let b = net.add(
        5070,
        Box::new(|ep, e, now| {
            if let CallEvent::Incoming { call } = *e {
                ep.answer(call, now).unwrap();
            }
        }),
    );
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n";
    let invite = request("INVITE", "z9hG4bKc1", "cseq@x", "", 10, "Content-Type: application/sdp\r\n")
        .replace("Content-Length: 0\r\n\r\n", &format!("Content-Length: {}\r\n\r\n{sdp}", sdp.len()));
    let ok = ask(&mut net, 5070, invite);
    assert_eq!(ok.status(), Some(200));
    let tag = format!(";tag={}", String::from_utf8_lossy(ok.to().unwrap().tag().unwrap()));
    net.inject(addr(5099), addr(5070), Bytes::from(request("ACK", "z9hG4bKc2", "cseq@x", &tag, 10, "")));
    net.run_for(ms(10));
    let stale = ask(&mut net, 5070, request("OPTIONS", "z9hG4bKc3", "cseq@x", &tag, 9, ""));
    assert_eq!((stale.status(), stale.reason()), (Some(500), &b"CSeq Out Of Order"[..]));
    let bye = ask(&mut net, 5070, request("BYE", "z9hG4bKc4", "cseq@x", &tag, 11, ""));
    assert_eq!(bye.status(), Some(200));
    assert_eq!(ended(&net.events(b)), [EndReason::RemoteHangup]);
}

#[test]
fn rfc2543_retransmission_is_answered_from_the_transaction() {
    let mut net = Net::new();
    let b = net.add(5070, idle());
    let options = request("OPTIONS", "oldstyle1", "old@x", "", 1, "");
    let first = ask(&mut net, 5070, options.clone());
    let again = ask(&mut net, 5070, options);
    assert_eq!(first.bytes(), again.bytes(), "the same response, not a new one");
    assert_eq!(net.ep(b).tx_stats().retransmissions_absorbed, 1);
}

#[test]
fn reinvite_glare_gets_491_and_both_sides_recover() {
    let mut net = Net::new();
    // Timed so that both re-INVITEs leave at 102 ms and cross on the wire.
    let hold_at = |delay: u64| {
        move |ep: &mut Endpoint, e: &CallEvent, now: Instant| match *e {
            CallEvent::Established { call } => {
                ep.set_timer(call, now + ms(delay), 7);
            }
            CallEvent::Timer { call, token: 7 } => {
                ep.hold(call, now).unwrap();
            }
            _ => {}
        }
    };
    let a = net.add(5060, Box::new(hold_at(100)));
    let hold_b = hold_at(99);
    let b = net.add(
        5070,
        Box::new(move |ep: &mut Endpoint, e: &CallEvent, now: Instant| {
            if let CallEvent::Incoming { call } = *e {
                ep.answer(call, now).unwrap();
            }
            hold_b(ep, e, now);
        }),
    );
    place(&mut net, a, 5060 + 10, false);
    net.run_for(ms(10_000));
    let t = net.transcript();
    assert!(t.iter().filter(|l| l.ends_with("491 Request Pending")).count() >= 2, "{t:?}");
    // Each side held the other in the end: the last offer of each was answered.
    let last = |n: usize| media(&net.events(n)).last().copied().unwrap();
    let (la, lb) = (last(a), last(b));
    assert!(matches!(la.1, Direction::SendOnly | Direction::Inactive | Direction::RecvOnly), "{la:?}");
    assert!(matches!(lb.1, Direction::SendOnly | Direction::Inactive | Direction::RecvOnly), "{lb:?}");
    assert!(ended(&net.events(a)).is_empty() && ended(&net.events(b)).is_empty());
}

#[test]
fn a_placed_call_offers_the_codecs_it_is_given_in_that_order() {
    use callshard::sdp::Codec;
    let mut net = Net::new();
    let a = net.add(5060, idle());
    let uri = b"sip:bob@127.0.0.1:5070".to_vec();
    let codecs = [Codec::Pcma, Codec::Pcmu];
    net.act(a, |ep, now| {
        ep.place_call(PlaceCall { codecs: Some(&codecs), ..PlaceCall::new(&uri, addr(5070)) }, now).unwrap()
    });
    net.run_for(ms(1));
    let invite = String::from_utf8_lossy(&net.log[0].3).into_owned();
    let m = invite.lines().find(|l| l.starts_with("m=audio")).unwrap_or_else(|| panic!("{invite}"));
    let formats: Vec<&str> = m.split(' ').skip(3).collect();
    assert_eq!(formats.first(), Some(&"8"), "PCMA first, as asked: {m}");
    assert!(formats.contains(&"0") && !formats.contains(&"9"), "PCMU too, G.722 not: {m}");
}
