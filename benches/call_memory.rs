//! Signalling memory, from a counting global allocator, in three runs of N calls each:
//!
//! 1. **confirmed calls**: INVITE with SDP, 180, 200, ACK; the heap is read while the INVITE
//!    transactions are alive, then past 64*T1 when only the confirmed calls are left.
//! 2. **lingering transactions**: the whole flow with a BYE from the caller, so every call is
//!    over and leaves its INVITE transaction (Accepted, Timer L) and its BYE transaction
//!    (Completed, Timer J) behind for 64*T1. Bytes per lingering transaction = (heap with
//!    them alive - heap past 64*T1) / (2 N).
//! 3. the same flow with every received datagram a slice of a shared 256 KiB buffer, as the
//!    shard runtime hands them over (`src/shard/socket.rs`): anything that keeps a slice of a
//!    datagram pins the whole buffer, and this figure shows it where run 2 cannot.
//!
//! `cargo bench --bench call_memory` (N = 100 000; `CALLS=n` to change it; under `cargo test`
//! it runs 2 000 calls as a check). It fails above 1 KiB per confirmed call (the first
//! issue's bound) and above [`LINGERING_BOUND`] per lingering transaction in run 3.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use callshard::session::{CallEvent, CallId, EndReason, Endpoint, EndpointConfig, Output};

/// Heap bytes one lingering transaction may cost, the mean of an INVITE and a BYE transaction
/// with datagrams packed as the runtime packs them. Issue 9 asks for under 1 GiB of RSS after
/// 60 s at 20 000 calls/s on one shard: 2 x 20 000 x 32 s = 1 280 000 transactions linger.
/// At 512 bytes each, plus about 40 bytes of malloc headers and rounding over a transaction's
/// three allocations, they take 1.28 M x 552 B = 674 MiB; an idle server is 22 MiB resident,
/// which leaves over 300 MiB for what this bench does not see (receive buffers in flight,
/// calls in progress, allocator fragmentation). The figure moves with N (growth slack of the
/// slab, the timer wheel and the index): 381 to 471 bytes for N from 2 000 to 100 000.
const LINGERING_BOUND: f64 = 512.0;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How received datagrams are stored.
enum Wire {
    /// Each datagram in its own allocation.
    Own,
    /// Datagrams copied one after another into shared buffers, as `socket.rs` does.
    Packed(BytesMut),
}

/// Size of the runtime's packed receive buffers (`PACK` in `src/shard/socket.rs`).
const PACK: usize = 256 * 1024;

impl Wire {
    fn datagram(&mut self, text: String) -> Bytes {
        match self {
            Wire::Own => Bytes::from(text),
            Wire::Packed(packed) => {
                if packed.capacity() - packed.len() < text.len() {
                    *packed = BytesMut::with_capacity(PACK);
                }
                packed.extend_from_slice(text.as_bytes());
                packed.split().freeze()
            }
        }
    }
}

const SDP: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

/// SIPp's `uac` scenario, message by message.
fn invite(i: usize) -> String {
    format!(
        "INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-{i}-1-0\r\n\
         From: sipp <sip:sipp@127.0.0.1:5061>;tag={i}SIPpTag001\r\nTo: service <sip:service@127.0.0.1:5060>\r\n\
         Call-ID: {i}-memory@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: sip:sipp@127.0.0.1:5061\r\nMax-Forwards: 70\r\n\
         Subject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    )
}

fn in_dialog(method: &str, i: usize, to_tag: &str) -> String {
    let (branch, cseq) = if method == "ACK" { (5, 1) } else { (7, 2) };
    format!(
        "{method} sip:callshard@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-{i}-1-{branch}\r\n\
         From: sipp <sip:sipp@127.0.0.1:5061>;tag={i}SIPpTag001\r\nTo: service <sip:service@127.0.0.1:5060>;tag={to_tag}\r\n\
         Call-ID: {i}-memory@127.0.0.1\r\nCSeq: {cseq} {method}\r\nContact: sip:sipp@127.0.0.1:5061\r\nMax-Forwards: 70\r\n\
         Subject: Performance Test\r\nContent-Length: 0\r\n\r\n"
    )
}

/// Heap held, relative to the fresh endpoint, at the two points each run reads.
struct Heap {
    /// After the last call's last message, transactions alive.
    with_transactions: isize,
    /// Past 64*T1: every transaction gone.
    after_timeouts: isize,
}

fn run(calls: usize, bye: bool, mut wire: Wire) -> Heap {
    let t0 = Instant::now();
    let mut cfg = EndpointConfig::new("127.0.0.1:5060".parse().unwrap());
    cfg.max_calls = calls + 1;
    cfg.tx.max_transactions = 2 * calls + 10;
    cfg.media_addresses = (1..=calls.div_ceil(10_000) as u8).map(|n| IpAddr::V4(Ipv4Addr::new(127, 0, 1, n))).collect();
    cfg.rtp_ports = (20_000, 40_000);
    let peer: SocketAddr = "127.0.0.1:5061".parse().unwrap();
    let mut ep = Endpoint::new(cfg, t0);
    let before = LIVE.load(Ordering::Relaxed);
    let mut now = t0;
    for i in 0..calls {
        ep.on_datagram(wire.datagram(invite(i)), peer, now);
        let incoming = ep.drain_outputs().find_map(|o| match o {
            Output::Event(CallEvent::Incoming { call }) => Some(call),
            _ => None,
        });
        let call = incoming.expect("every INVITE becomes a call");
        ep.ring(call, now).unwrap();
        ep.answer(call, now).unwrap();
        let ok = ep
            .drain_outputs()
            .filter_map(|o| if let Output::Transmit { data, .. } = o { Some(data) } else { None })
            .last();
        let ok = callshard::sip::Message::parse(ok.unwrap()).unwrap();
        let tag = String::from_utf8(ok.to().unwrap().tag().unwrap().to_vec()).unwrap();
        drop(ok);
        ep.on_datagram(wire.datagram(in_dialog("ACK", i, &tag)), peer, now);
        ep.drain_outputs().for_each(drop);
        if bye {
            ep.on_datagram(wire.datagram(in_dialog("BYE", i, &tag)), peer, now);
            let ended = ep.drain_outputs().any(|o| ended(&o, call));
            assert!(ended, "the BYE ends the call");
        }
        if i % 1000 == 999 {
            now += Duration::from_millis(1);
        }
    }
    let with_transactions = LIVE.load(Ordering::Relaxed) - before;
    // Past Timers L and J (64*T1): every transaction is gone.
    now += Duration::from_secs(40);
    ep.on_timer(now);
    ep.drain_outputs().for_each(drop);
    let after_timeouts = LIVE.load(Ordering::Relaxed) - before;
    assert_eq!(ep.active_calls(), if bye { 0 } else { calls });
    assert_eq!(ep.stats().established, calls as u64);
    assert_eq!(ep.tx_stats().server_created, if bye { 2 * calls } else { calls } as u64);
    Heap { with_transactions, after_timeouts }
}

fn ended(o: &Output, call: CallId) -> bool {
    matches!(o, Output::Event(CallEvent::Ended { call: c, reason: EndReason::RemoteHangup, .. }) if *c == call)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test` runs this once as a quick check with fewer calls.
    let benching = std::env::args().any(|a| a == "--bench");
    let default_calls = if benching { 100_000 } else { 2_000 };
    let calls: usize = std::env::var("CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(default_calls);
    let per_call = |b: isize| b as f64 / calls as f64;
    let per_tx = |h: &Heap| (h.with_transactions - h.after_timeouts) as f64 / (2 * calls) as f64;

    let confirmed = run(calls, false, Wire::Own);
    let own = run(calls, true, Wire::Own);
    let packed = run(calls, true, Wire::Packed(BytesMut::new()));
    let (confirmed_call, lingering) = (per_call(confirmed.after_timeouts), per_tx(&packed));
    println!("calls                                    {calls}");
    println!("heap while INVITE transactions live      {:.0} bytes/call", per_call(confirmed.with_transactions));
    println!("heap per confirmed call                  {confirmed_call:.0} bytes/call (dialog + session kept)");
    println!(
        "per lingering transaction, own buffers   {:.0} bytes (INVITE + BYE transactions, calls over)",
        per_tx(&own)
    );
    println!("per lingering transaction, packed 256 K  {lingering:.0} bytes (datagrams as the runtime stores them)");
    println!("heap left after 64*T1, calls over        {:.0} bytes/call (packed run)", per_call(packed.after_timeouts));
    println!("allocations in the three runs            {}", ALLOCS.load(Ordering::Relaxed));
    assert!(confirmed_call <= 1024.0, "a confirmed call costs {confirmed_call:.0} bytes, over the 1 KiB bound");
    assert!(
        lingering <= LINGERING_BOUND,
        "a lingering transaction costs {lingering:.0} bytes, over the {LINGERING_BOUND} bound"
    );
}
