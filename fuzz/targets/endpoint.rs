//! Fuzz target `endpoint`: one shard's whole sans-IO core (`AppCore`: endpoint, media plane
//! and the serve `Policy` as its application) on a virtual clock, fed a sequence of records
//! split from the input at each `\n%%\n`. A record's first byte says what it is:
//!
//! * `S` / `s`: a SIP datagram from peer A / peer B (any other first byte: the whole record
//!   is a SIP datagram from peer A, so plain `.sip` files are inputs too);
//! * `T<ms>`: the clock moves on by up to 100 s, stopping at every deadline as a shard does;
//! * `R` / `r`: an RTP / RTCP datagram to the media port of our last SDP;
//! * `D<uri>` / `d<uri>` / `A<uri>`: the application places a call (with an offer, a late
//!   offer, with Digest credentials); `H`, `O`, `U`, `X<uri>`, `N`, `K`, `B`, `Q`: it hangs
//!   up, holds, resumes, transfers, reports a transfer, sends a key, bridges the last two
//!   calls, or the shard starts stopping.
//!
//! In SIP records `$tag`, `$branch` and `$callid` become the last tag, branch and Call-ID we
//! sent, so that in-dialog requests and responses to our requests reach their calls (the
//! fuzzer cannot guess identifiers drawn from the CSPRNG; an attacker off the path cannot
//! either). Invariants besides "no panic": every request and every response we send parses
//! as a valid message (an error response only if what it answers was valid), and media goes
//! only from our ports.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use callshard::app::{AppCore, Calls, CoreOutput, ShardInfo};
use callshard::rtp::reports::WallClock;
use callshard::rtp::{MediaAction, MediaPlane};
use callshard::session::{Endpoint, EndpointConfig};
use callshard::shard::{Policy, Routes};
use callshard::sip::Message;
use callshard::{Application, CallId, Event, OutgoingCall};

const PEER_A: &str = "127.0.0.1:5061";
const PEER_B: &str = "127.0.0.2:5062";
const PORTS: (u16, u16) = (20_000, 20_010);

/// The serve policy, plus the calls it has, so records can name them.
struct Harness {
    policy: Policy,
    calls: Vec<CallId>,
}

impl Application for Harness {
    fn on_incoming(&mut self, calls: &mut Calls<'_>, call: CallId) {
        self.calls.push(call);
        self.policy.on_incoming(calls, call);
    }

    fn on_event(&mut self, calls: &mut Calls<'_>, event: Event) {
        match &event {
            Event::Ended { call, .. } => self.calls.retain(|c| c != call),
            Event::TransferRequested { call, target } => {
                // As a B2BUA would: place the new call and report its progress.
                if let Ok(new) = calls.call(&OutgoingCall::new(target.as_bytes()).via(addr(PEER_B))) {
                    self.calls.push(new);
                }
                let _ = calls.notify_transfer(*call, 100);
            }
            _ => {}
        }
        self.policy.on_event(calls, event);
    }

    fn on_wake(&mut self, calls: &mut Calls<'_>, token: u64) {
        self.policy.on_wake(calls, token);
    }
}

/// What the last datagrams we sent named, for the `$` placeholders.
#[derive(Default)]
struct Seen {
    tag: Vec<u8>,
    branch: Vec<u8>,
    call_id: Vec<u8>,
    media_port: u16,
}

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let t0 = Instant::now();
    let mut cfg = EndpointConfig::new("127.0.0.1:5060".parse().expect("an address"));
    cfg.max_calls = 6;
    cfg.tx.max_transactions = 48;
    cfg.rtp_ports = PORTS;
    cfg.seed = [7; 32]; // the same identifiers every run: AFL needs a deterministic target
    let wall = WallClock { at: t0, unix: Duration::from_secs(1_800_000_000) };
    let plane = MediaPlane::new(PORTS, wall, 1, Some(Duration::from_secs(20)), "fuzz@127.0.0.1");
    let info = ShardInfo { index: 0, count: 1, listen: cfg.locals.clone() };
    let mut routes = Routes::default();
    for spec in ["echo=answer,media=echo", "tone=ok,media=tone", "ring=ring:300", "moved=reject:302"] {
        routes.add(spec).expect("a valid route");
    }
    let harness = Harness { policy: Policy::new(routes, MediaAction::None), calls: Vec::new() };
    let mut core = AppCore::new((Endpoint::new(cfg, t0), plane), harness, info, None, t0);
    let (mut now, mut out, mut seen) = (t0, Vec::new(), Seen::default());
    core.start(now, &mut out);
    for record in split(data) {
        let strict = step(&mut core, record, &mut now, &mut out, &seen);
        core.flush(now, &mut out);
        for o in out.drain(..) {
            observe(&o, &mut seen, strict);
        }
    }
    // The end of the run: every call's timers run out.
    advance(&mut core, &mut now, Duration::from_secs(100), &mut out);
    for o in out.drain(..) {
        observe(&o, &mut seen, true);
    }
}

/// The records of an input.
fn split(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memmem::find(r, b"\n%%\n") {
            Some(at) => {
                rest = Some(&r[at + 4..]);
                Some(&r[..at])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Runs one record; false when it was a SIP datagram that is not a valid message (our error
/// response to it may copy its broken headers).
fn step(core: &mut AppCore<Harness>, record: &[u8], now: &mut Instant, out: &mut Vec<CoreOutput>, seen: &Seen) -> bool {
    let (&op, rest) = record.split_first().unwrap_or((&b'S', b""));
    let last = core.app.calls.last().copied();
    let text = std::str::from_utf8(rest).unwrap_or("");
    match op {
        b'S' | b's' => return sip(core, rest, if op == b'S' { PEER_A } else { PEER_B }, *now, seen),
        b'T' => {
            let ms = text.trim().parse::<u64>().unwrap_or(0).min(100_000);
            advance(core, now, Duration::from_millis(ms), out);
        }
        b'R' | b'r' => core.plane.on_datagram(seen.media_port, op == b'r', rest, addr("127.0.0.1:6000"), *now),
        b'D' | b'd' | b'A' => core.with_app(*now, out, |app, calls| {
            let mut call = OutgoingCall::new(rest).via(addr(PEER_A)).media(MediaAction::Echo).late_offer(op == b'd');
            if op == b'A' {
                call = call.credentials(b"alice", b"secret");
            }
            if let Ok(id) = calls.call(&call) {
                app.calls.push(id);
            }
        }),
        b'H' | b'O' | b'U' | b'X' | b'N' | b'K' => {
            let Some(call) = last else { return true };
            core.with_app(*now, out, |_, calls| {
                let _ = match op {
                    b'H' => calls.hangup(call),
                    b'O' => calls.hold(call),
                    b'U' => calls.resume(call),
                    b'X' => calls.transfer(call, rest),
                    b'N' => calls.notify_transfer(call, 200),
                    _ => {
                        let _ = calls.send_digit(call, '5', 100);
                        Ok(())
                    }
                };
            });
        }
        b'B' => {
            let n = core.app.calls.len();
            if n >= 2 {
                let (a, b) = (core.app.calls[n - 2], core.app.calls[n - 1]);
                core.with_app(*now, out, |_, calls| {
                    let _ = calls.bridge(a, b);
                });
            }
        }
        b'Q' => core.stopping(*now, out),
        _ => return sip(core, record, PEER_A, *now, seen),
    }
    true
}

/// Feeds one SIP datagram; true when it is a valid message.
fn sip(core: &mut AppCore<Harness>, datagram: &[u8], from: &str, now: Instant, seen: &Seen) -> bool {
    let data = Bytes::from(substitute(datagram, seen));
    let valid = Message::parse(data.clone()).is_ok();
    core.ep.on_datagram(data, addr(from), now);
    valid
}

/// The clock moves on by `by`, stopping at each deadline on the way (at most 256 of them).
fn advance(core: &mut AppCore<Harness>, now: &mut Instant, by: Duration, out: &mut Vec<CoreOutput>) {
    let end = *now + by;
    for _ in 0..256 {
        let next = core.next_deadline().map_or(end, |d| d.clamp(*now, end));
        *now = next;
        core.on_timer(*now, out);
        core.flush(*now, out);
        if next >= end {
            break;
        }
    }
}

/// `$tag`, `$branch` and `$callid` replaced by what we sent last.
fn substitute(data: &[u8], seen: &Seen) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 32);
    let mut i = 0;
    while i < data.len() {
        let rest = &data[i..];
        let token = [(&b"$tag"[..], &seen.tag), (b"$branch", &seen.branch), (b"$callid", &seen.call_id)]
            .into_iter()
            .find(|(name, _)| rest.starts_with(name));
        match token {
            Some((name, value)) => {
                out.extend_from_slice(value);
                i += name.len();
            }
            None => {
                out.push(data[i]);
                i += 1;
            }
        }
    }
    out
}

/// Checks one datagram we sent and remembers what it names. `strict`: what caused it was
/// valid, so even an error response must parse.
fn observe(o: &CoreOutput, seen: &mut Seen, strict: bool) {
    let data = match o {
        CoreOutput::Sip { data, .. } => data,
        CoreOutput::Media { port, .. } => {
            assert!((PORTS.0..=PORTS.1 + 1).contains(port), "media sent from port {port}");
            return;
        }
    };
    let msg = match Message::parse(data.clone()) {
        Ok(m) => m,
        // An error response to a broken request copies its broken headers; anything else we
        // send must parse.
        Err(_) if !strict && (data.starts_with(b"SIP/2.0 4") || data.starts_with(b"SIP/2.0 5")) => return,
        Err(e) => panic!("we sent a message that does not parse ({e:?}):\n{}", String::from_utf8_lossy(data)),
    };
    let ours = if msg.is_request() { msg.from() } else { msg.to() };
    if let Some(tag) = ours.ok().and_then(|n| n.tag()) {
        seen.tag = tag.to_vec();
    }
    if msg.is_request() {
        if let Some(b) = msg.top_via().ok().and_then(|v| v.branch()) {
            seen.branch = b.to_vec();
        }
        seen.call_id = msg.call_id().map(<[u8]>::to_vec).unwrap_or_default();
    }
    let body = msg.body();
    if let Some(at) = memchr::memmem::find(body, b"m=audio ") {
        let digits = body[at + 8..].iter().take_while(|b| b.is_ascii_digit()).count();
        let port = std::str::from_utf8(&body[at + 8..at + 8 + digits]).ok().and_then(|p| p.parse().ok());
        seen.media_port = port.unwrap_or(seen.media_port);
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("an address")
}
