//! The sending and receiving loop of `rtp-load`: packets paced to a total rate in batches,
//! round robin over the streams, with the echoes taken between batches. Each packet's payload
//! starts with its number in the run and its send time, since an echoing server sends the
//! payload back under its own SSRC and sequence numbers: loss is counted by those numbers
//! (each one back at most once) and the round-trip time read from the payload.

use std::net::{SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use callshard::rtp::{is_rtcp, RtpPacket};
use hdrhistogram::Histogram;

use super::rtp_load_io::{wait_readable, Batch, BATCH};

/// One media stream: the client socket it sends from and the server port it sends to.
pub struct Stream {
    pub sock: usize,
    pub to: SocketAddrV4,
    pub seq: u16,
    pub ts: u32,
}

pub struct Plan {
    pub rate: u64,
    /// Packets sent first at the same rate and left out of every figure (and of the server's
    /// CPU window): a server started cold is not judged on its first second.
    pub warmup: u64,
    /// Packets in all, warm-up included.
    pub total: u64,
    /// Samples per packet (8 per millisecond of G.711), which is also its payload length.
    pub samples: u32,
    pub drain: Duration,
}

pub struct Outcome {
    pub sent: u64,
    pub send_failed: u64,
    pub received: u64,
    pub duplicates: u64,
    pub other: u64,
    pub send_secs: f64,
    pub rtt_ns: Histogram<u64>,
}

/// Payload bytes the loop itself reads back: the packet's number and its send time.
const STAMP: usize = 16;

/// Sends and receives until every packet came back or the drain time passed; `on_measure`
/// runs once, when the warm-up ends.
pub fn run(socks: &[UdpSocket], streams: &mut [Stream], plan: &Plan, mut on_measure: impl FnMut()) -> Outcome {
    let mut out = Outcome {
        sent: 0,
        send_failed: 0,
        received: 0,
        duplicates: 0,
        other: 0,
        send_secs: 0.0,
        rtt_ns: Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid histogram bounds"),
    };
    let mut seen = vec![0u64; plan.total as usize / 64 + 1];
    let (mut tx, mut rx) = (Batch::new(), Batch::new());
    let len = 12 + plan.samples as usize;
    for i in 0..BATCH {
        tx.slot(i)[..len].fill(0xff); // µ-law silence after the stamp
    }
    let mut polls: Vec<libc::pollfd> =
        socks.iter().map(|s| libc::pollfd { fd: s.as_raw_fd(), events: libc::POLLIN, revents: 0 }).collect();
    let (mut numbered, mut next) = (0u64, 0usize);
    // Packets per burst: about 200 µs worth. Smaller bursts cost the load tool a system call
    // every packet or two against a fast echo, and then it, not the server, sets the pace.
    let burst = (plan.rate / 5000).clamp(1, BATCH as u64);
    let start = Instant::now();
    let (mut send_end, mut measure_start) = (None, None);
    loop {
        let now_ns = start.elapsed().as_nanos() as u64;
        let due = ((now_ns as u128 * plan.rate as u128 / 1_000_000_000) as u64).min(plan.total);
        // Bounded bursts, so echoes are read while catching up.
        let ready = due - numbered >= burst || (due == plan.total && due > numbered);
        let mut budget = if ready { (due - numbered).min(4 * BATCH as u64) } else { 0 };
        if numbered < plan.warmup {
            budget = budget.min(plan.warmup - numbered); // no batch straddles the boundary
        } else if measure_start.is_none() {
            on_measure();
            measure_start = Some(start.elapsed());
        }
        let measuring = measure_start.is_some();
        let mut budget = budget as usize;
        while budget > 0 {
            let sock = streams[next].sock;
            let mut n = 0;
            while n < budget.min(BATCH) && streams[next].sock == sock {
                let s = &mut streams[next];
                let p = tx.slot(n);
                p[0] = 0x80; // RTP version 2, PT 0 (PCMU)
                p[1] = 0;
                p[2..4].copy_from_slice(&s.seq.to_be_bytes());
                p[4..8].copy_from_slice(&s.ts.to_be_bytes());
                p[8..12].copy_from_slice(&(0x5100_0000 + next as u32).to_be_bytes());
                p[12..20].copy_from_slice(&numbered.to_le_bytes());
                p[20..28].copy_from_slice(&now_ns.to_le_bytes());
                (s.seq, s.ts) = (s.seq.wrapping_add(1), s.ts.wrapping_add(plan.samples));
                let to = s.to;
                tx.set(n, len, to);
                numbered += 1;
                n += 1;
                next = (next + 1) % streams.len();
            }
            let went = tx.send(polls[sock].fd, n) as u64;
            if measuring {
                out.sent += went;
                out.send_failed += n as u64 - went;
            }
            budget -= n;
        }
        if numbered == plan.total && send_end.is_none() {
            send_end = Some(start.elapsed());
            out.send_secs = (send_end.unwrap_or_default() - measure_start.unwrap_or_default()).as_secs_f64();
        }
        let timeout = match send_end {
            Some(end) if out.received == out.sent || start.elapsed() >= end + plan.drain => break,
            Some(end) => (end + plan.drain).saturating_sub(start.elapsed()).as_nanos() as u64,
            None if due.saturating_sub(numbered) >= burst => 0,
            None => ((numbered + burst).min(plan.total) * 1_000_000_000 / plan.rate).saturating_sub(now_ns),
        };
        wait_readable(&mut polls, timeout);
        for poll in polls.iter().filter(|p| p.revents != 0) {
            loop {
                let n = rx.recv(poll.fd);
                let at = start.elapsed().as_nanos() as u64;
                for k in 0..n {
                    take(rx.received(k), at, plan.warmup, &mut seen, &mut out);
                }
                if n < BATCH {
                    break;
                }
            }
        }
    }
    out
}

/// Counts one received datagram: its packet number once, and its round trip.
fn take(data: &[u8], at_ns: u64, warmup: u64, seen: &mut [u64], out: &mut Outcome) {
    let stamp = match RtpPacket::parse(data) {
        Ok(p) if !is_rtcp(data) && p.payload().len() >= STAMP => &p.payload()[..STAMP],
        _ => {
            out.other += 1;
            return;
        }
    };
    let number = u64::from_le_bytes(stamp[..8].try_into().unwrap_or_default());
    let sent_ns = u64::from_le_bytes(stamp[8..].try_into().unwrap_or_default());
    if number < warmup {
        return;
    }
    let (word, bit) = ((number / 64) as usize, 1u64 << (number % 64));
    match seen.get_mut(word) {
        Some(w) if *w & bit == 0 => {
            *w |= bit;
            out.received += 1;
            let _ = out.rtt_ns.record(at_ns.saturating_sub(sent_ns).max(1));
        }
        Some(_) => out.duplicates += 1,
        None => out.other += 1,
    }
}
