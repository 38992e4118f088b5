//! User-space CPU of one whole call through the sans-IO core, without sockets: SIPp's `uac`
//! flow (INVITE with SDP, 180 and 200 from `serve`'s default route, ACK, BYE, 200) through one
//! `AppCore` (endpoint, media plane and the serve `Policy` as its application, as a shard runs
//! them), on a virtual clock at a steady 20 000 calls/s, so that
//! every call's transactions linger 32 s and expire as they do in the server. What this does
//! not count is the kernel's share (receive, send, wake-ups): see perf/profile.sh for that.
//!
//! `cargo bench --bench call_path` runs 1 000 000 calls (50 s of virtual time, so the first
//! calls' transactions have expired long before the end) and times the last 500 000 (pin it:
//! `taskset -c 1 cargo bench --bench call_path`); `CALLS=n` changes the count. It prints ns per
//! call and heap allocations per call (a counting allocator). Under `cargo test` it runs 3 000
//! calls as a check. For a figure this noisy machine cannot move, count instructions:
//! `perf/call_path_callgrind.sh` (callgrind, counting only the library's part: `core_feed` and
//! `core_timer` below), or the whole program with
//! `valgrind --tool=callgrind target/release/deps/call_path-* --bench` and divide by the calls.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use callshard::app::{AppCore, CoreOutput, ShardInfo};
use callshard::rtp::reports::WallClock;
use callshard::rtp::{MediaAction, MediaPlane};
use callshard::session::{Endpoint, EndpointConfig};
use callshard::shard::{Policy, Routes};

#[path = "common/counting.rs"]
mod counting;

use counting::ALLOCS;

const SDP: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

fn invite(i: usize) -> Bytes {
    Bytes::from(format!(
        "INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-{i}-1-0\r\n\
         From: sipp <sip:sipp@127.0.0.1:5061>;tag={i}SIPpTag001\r\nTo: service <sip:service@127.0.0.1:5060>\r\n\
         Call-ID: {i}-path@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: sip:sipp@127.0.0.1:5061\r\nMax-Forwards: 70\r\n\
         Subject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    ))
}

/// The ACK or BYE of call `i`, as two halves around the To tag (filled in when the 200 came).
fn in_dialog(method: &str, i: usize) -> (String, String) {
    let (branch, cseq) = if method == "ACK" { (5, 1) } else { (7, 2) };
    (
        format!(
            "{method} sip:callshard@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-{i}-1-{branch}\r\n\
             From: sipp <sip:sipp@127.0.0.1:5061>;tag={i}SIPpTag001\r\nTo: service <sip:service@127.0.0.1:5060>;tag="
        ),
        format!(
            "\r\nCall-ID: {i}-path@127.0.0.1\r\nCSeq: {cseq} {method}\r\nContact: sip:sipp@127.0.0.1:5061\r\n\
             Max-Forwards: 70\r\nSubject: Performance Test\r\nContent-Length: 0\r\n\r\n"
        ),
    )
}

/// One call's datagrams, prepared before the clock starts.
struct Script {
    invite: Bytes,
    ack: (String, String),
    bye: (String, String),
}

/// The To tag of the last 200 in `out`.
fn to_tag(out: &[CoreOutput]) -> Option<&[u8]> {
    out.iter().rev().find_map(|o| match o {
        CoreOutput::Sip { data, .. } if data.starts_with(b"SIP/2.0 200") => {
            let start = memchr::memmem::find(&data[..], b"\r\nTo:")?;
            let at = start + memchr::memmem::find(&data[start..], b";tag=")? + 5;
            let end = at + data[at..].iter().position(|&b| b == b'\r' || b == b';')?;
            Some(&data[at..end])
        }
        _ => None,
    })
}

/// The library's part of a call is what runs inside these two functions: kept out of line so
/// that `perf/call_path_callgrind.sh` counts only them (`--toggle-collect=call_path::core_*`).
#[inline(never)]
fn core_timer(core: &mut AppCore<Policy>, now: Instant, out: &mut Vec<CoreOutput>) {
    core.on_timer(now, out);
}

#[inline(never)]
fn core_feed(core: &mut AppCore<Policy>, data: Bytes, peer: SocketAddr, now: Instant, out: &mut Vec<CoreOutput>) {
    core.ep.on_datagram(data, peer, now);
    core.flush(now, out);
}

fn run(calls: usize, timed_from: usize) -> (Duration, u64) {
    let t0 = Instant::now();
    let mut cfg = EndpointConfig::new("127.0.0.1:5060".parse().unwrap());
    cfg.max_calls = 100_000;
    cfg.tx.max_transactions = 2_000_000;
    cfg.tx.reserve = 1_300_000;
    let peer: SocketAddr = "127.0.0.1:5061".parse().unwrap();
    let ports = cfg.rtp_ports;
    // The media plane follows the calls as in the server (`--media none`: no RTP in this flow).
    let wall = WallClock { at: t0, unix: Duration::from_secs(1_800_000_000) };
    let plane = MediaPlane::new(ports, wall, 1, Some(Duration::from_secs(60)), "bench@127.0.0.1");
    let info = ShardInfo { index: 0, count: 1, listen: cfg.locals.clone() };
    let policy = Policy::new(Routes::default(), MediaAction::None);
    let mut core = AppCore::new((Endpoint::new(cfg, t0), plane), policy, info, None, t0);
    let scripts: Vec<Script> =
        (0..calls).map(|i| Script { invite: invite(i), ack: in_dialog("ACK", i), bye: in_dialog("BYE", i) }).collect();
    let (mut out, mut buf, mut tag) = (Vec::new(), BytesMut::with_capacity(1 << 20), Vec::new());
    let step = Duration::from_micros(50); // 20 000 calls/s of virtual time
    let (mut started, mut allocs0) = (Instant::now(), 0);
    for (i, s) in scripts.iter().enumerate() {
        if i == timed_from {
            started = Instant::now();
            allocs0 = ALLOCS.load(Ordering::Relaxed);
        }
        let now = t0 + step * i as u32;
        core_timer(&mut core, now, &mut out);
        out.clear();
        core_feed(&mut core, s.invite.clone(), peer, now, &mut out);
        // Into a buffer kept across calls: the bench's own allocations would count as the core's.
        tag.clear();
        tag.extend_from_slice(to_tag(&out).expect("answered with a 200"));
        for (head, tail) in [&s.ack, &s.bye] {
            buf.extend_from_slice(head.as_bytes());
            buf.extend_from_slice(&tag);
            buf.extend_from_slice(tail.as_bytes());
            out.clear();
            core_feed(&mut core, buf.split().freeze(), peer, now, &mut out);
        }
        assert!(out.iter().any(|o| matches!(o, CoreOutput::Sip { data, .. } if data.starts_with(b"SIP/2.0 200"))));
    }
    assert_eq!(core.plane.totals.calls, calls as u64, "every call's media started and stopped");
    (started.elapsed(), ALLOCS.load(Ordering::Relaxed) - allocs0)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let calls: usize =
        std::env::var("CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(if bench { 1_000_000 } else { 3_000 });
    let timed_from = calls / 2;
    let (elapsed, allocs) = run(calls, timed_from);
    let n = (calls - timed_from) as f64;
    println!(
        "call_path: {:.0} ns per call, {:.1} allocations per call ({} calls timed of {calls}, 20 000 calls/s virtual)",
        elapsed.as_nanos() as f64 / n,
        allocs as f64 / n,
        calls - timed_from
    );
}
