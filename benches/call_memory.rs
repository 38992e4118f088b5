//! Signalling memory per confirmed call: one endpoint takes N calls (INVITE with SDP, 180,
//! 200, ACK), the clock is moved past 64*T1 so every transaction is gone, and the heap bytes
//! still held are divided by N. A counting global allocator gives the figures.
//!
//! `cargo bench --bench call_memory` (N = 100 000; `CALLS=n` to change it; under `cargo test`
//! it runs 2 000 calls as a check). The bound is 1 KiB per confirmed call; the bench
//! fails if it is exceeded.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use callshard::session::{CallEvent, Endpoint, EndpointConfig, Output};

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

fn invite(i: usize) -> Bytes {
    let sdp = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    Bytes::from(format!(
        "INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-{i}-1-0\r\n\
         From: sipp <sip:sipp@127.0.0.1:5061>;tag={i}SIPpTag001\r\nTo: service <sip:service@127.0.0.1:5060>\r\n\
         Call-ID: {i}-memory@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: sip:sipp@127.0.0.1:5061\r\nMax-Forwards: 70\r\n\
         Subject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    ))
}

fn ack(i: usize, to_tag: &[u8]) -> Bytes {
    Bytes::from(format!(
        "ACK sip:callshard@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-{i}-1-5\r\n\
         From: sipp <sip:sipp@127.0.0.1:5061>;tag={i}SIPpTag001\r\nTo: service <sip:service@127.0.0.1:5060>;tag={}\r\n\
         Call-ID: {i}-memory@127.0.0.1\r\nCSeq: 1 ACK\r\nContact: sip:sipp@127.0.0.1:5061\r\nMax-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n",
        String::from_utf8_lossy(to_tag)
    ))
}

fn main() {
    // `cargo bench` passes --bench; `cargo test` runs this once as a quick check with fewer calls.
    let benching = std::env::args().any(|a| a == "--bench");
    let default_calls = if benching { 100_000 } else { 2_000 };
    let calls: usize = std::env::var("CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(default_calls);
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
        ep.on_datagram(invite(i), peer, now);
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
        let tag = ok.to().unwrap().tag().unwrap().to_vec();
        ep.on_datagram(ack(i, &tag), peer, now);
        ep.drain_outputs().for_each(drop);
        if i % 1000 == 999 {
            now += Duration::from_millis(1);
        }
    }
    let with_transactions = LIVE.load(Ordering::Relaxed) - before;
    // Past Timer L/J (64*T1): every transaction is gone, the calls stay confirmed.
    now += Duration::from_secs(40);
    ep.on_timer(now);
    ep.drain_outputs().for_each(drop);
    let confirmed = LIVE.load(Ordering::Relaxed) - before;
    assert_eq!(ep.active_calls(), calls);
    assert_eq!(ep.stats().established, calls as u64);
    let per_call = confirmed as f64 / calls as f64;
    println!("calls                         {calls}");
    println!("heap while transactions live  {:.0} bytes/call", with_transactions as f64 / calls as f64);
    println!("heap per confirmed call       {per_call:.0} bytes/call (transactions gone, dialog + session kept)");
    println!("allocations in the run        {}", ALLOCS.load(Ordering::Relaxed));
    assert!(per_call <= 1024.0, "a confirmed call costs {per_call:.0} bytes, over the 1 KiB bound");
}
