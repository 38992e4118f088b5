//! Hand-off between shards: CPU per handed-off datagram on the sending and on the receiving
//! shard, `RingIo::hand_off` (`Directory::new(2)`: a lock-free queue per shard plus one
//! IORING_OP_MSG_RING per owner and turn as its doorbell; before that, one MSG_RING per datagram
//! carrying it boxed) against `PollIo::hand_off` (a crossbeam `ArrayQueue` per shard plus an
//! eventfd written once per turn that handed something over). Findings: perf/udp_path.md.
//!
//! Shard 0 (CPU 0) hands datagrams to shard 1 (CPU 1), which only collects them. Rates:
//! saturating (bursts of 32 per sender turn, at most 1 024 not yet collected) and moderate
//! (10 000 datagrams/s, one per sender turn: about what one shard hands the other at 4 000
//! calls/s, and the receiver parks between datagrams). The sender's CPU is measured around its
//! `hand_off` calls and the `turn` that submits them (CLOCK_THREAD_CPUTIME_ID), not while it
//! waits for the window or the next datagram's time; `turn only` is the same loop without
//! hand-offs, so the difference is the hand-off's own cost. The receiver's CPU is its whole
//! thread over the measured datagrams (waits and wake-ups included). The datagram is a
//! `Bytes::from_static` of 172 bytes, so only the mechanism is measured. Medians of 3 runs.
//! `cargo bench --bench handoff`; `cargo test` runs a tiny check.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use callshard::shard::io::{Arrival, Datagram, ShardIo};
use callshard::shard::poll::{Inbox, PollIo};
use callshard::shard::ring::{Directory, RingConfig, RingIo};
use common::{bench_mode, can_pin, cpu_now, median, pin_current_thread, wait_quiet, CLIENT_CPU, SERVER_CPU};

const BURST: usize = 32;
const WINDOW: u64 = 1024;
static PAYLOAD: [u8; 172] = [0x5a; 172];

#[derive(Clone, Copy, PartialEq, Debug)]
enum Backend {
    Ring,
    Poll,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Rate {
    Saturating,
    Moderate(u32),
}

/// Runs `f` on a thread pinned to `cpu` with shard `id`'s backend.
fn on_shard<T: Send + 'static>(
    backend: Backend,
    id: usize,
    cpu: Option<usize>,
    links: (Arc<Directory>, Arc<[Inbox]>),
    f: impl FnOnce(&mut dyn ShardIo) -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::spawn(move || {
        if let Some(cpu) = cpu {
            pin_current_thread(cpu);
        }
        let (directory, inboxes) = links;
        match backend {
            Backend::Ring => {
                let mut io = RingIo::new(id, Vec::new(), RingConfig::default(), &directory).expect("io_uring");
                let out = f(&mut io);
                directory.leave(Duration::from_secs(1));
                io.shutdown();
                out
            }
            Backend::Poll => f(&mut PollIo::new(id, Vec::new(), 65_535, inboxes)),
        }
    })
}

/// (sender ns per datagram, receiver ns per datagram, receiver waits per 1000 datagrams).
fn run(backend: Backend, rate: Rate, n: u64, hand_off: bool, pin: bool) -> (f64, f64, f64) {
    let warm = n / 10;
    let links = || -> (Arc<Directory>, Arc<[Inbox]>) {
        (Arc::new(Directory::new(2)), Arc::new([Inbox::new(65_536).unwrap(), Inbox::new(65_536).unwrap()]))
    };
    let (directory, inboxes) = links();
    let collected = Arc::new(AtomicU64::new(0));
    let seen = collected.clone();
    let expected = if hand_off { warm + n } else { 0 };
    let receiver = on_shard(backend, 1, pin.then_some(SERVER_CPU), (directory.clone(), inboxes.clone()), move |io| {
        let (mut got, mut start, mut out) = (0u64, None, Vec::with_capacity(1024));
        while got < expected {
            io.turn(Duration::from_millis(100), &mut out).expect("turn");
            got += out.drain(..).filter(|a| matches!(a, Arrival::HandedOff(_))).count() as u64;
            seen.store(got, Ordering::Release);
            if got >= warm && start.is_none() {
                start = Some((cpu_now(), io.counters().waits));
            }
        }
        let (cpu0, waits0) = start.unwrap_or((cpu_now(), io.counters().waits));
        ((cpu_now() - cpu0) as f64, (io.counters().waits - waits0) as f64)
    });
    let sender = on_shard(backend, 0, pin.then_some(CLIENT_CPU), (directory, inboxes), move |io| {
        let from: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        let datagram = || Datagram { data: Bytes::from_static(&PAYLOAD), from, local: 0 };
        let (mut sent, mut measured, mut out) = (0u64, 0u64, Vec::new());
        let burst = if rate == Rate::Saturating { BURST as u64 } else { 1 };
        let t0 = Instant::now();
        while sent < warm + n {
            match rate {
                Rate::Saturating => {
                    while hand_off && sent + burst > collected.load(Ordering::Acquire) + WINDOW {
                        std::hint::spin_loop();
                    }
                }
                Rate::Moderate(r) => {
                    let due = t0 + Duration::from_secs_f64(sent as f64 / f64::from(r));
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                }
            }
            let c0 = cpu_now();
            for _ in 0..burst {
                if hand_off {
                    io.hand_off(1, datagram());
                }
            }
            io.turn(Duration::ZERO, &mut out).expect("turn");
            if sent >= warm {
                measured += cpu_now() - c0;
            }
            sent += burst;
        }
        measured as f64
    });
    let send_ns = sender.join().expect("sender") / n as f64;
    let (recv_ns, waits) = receiver.join().expect("receiver");
    (send_ns, recv_ns / n as f64, waits * 1000.0 / n as f64)
}

fn main() {
    let bench = bench_mode();
    let pin = can_pin() && bench;
    let runs = if bench { 3 } else { 1 };
    let (n_sat, n_mod) = if bench { (2_000_000, 20_000) } else { (20_000, 200) };
    let rates = [(Rate::Saturating, n_sat), (Rate::Moderate(10_000), n_mod)];
    let mut rows = Vec::new();
    for (rate, n) in rates {
        for backend in [Backend::Ring, Backend::Poll] {
            for hand_off in [true, false] {
                rows.push((rate, n, backend, hand_off, Vec::new()));
            }
        }
    }
    for _ in 0..runs {
        for (rate, n, backend, hand_off, out) in &mut rows {
            if bench {
                wait_quiet(0.15, Duration::from_secs(120));
            }
            out.push(run(*backend, *rate, *n, *hand_off, pin));
        }
    }
    if !bench {
        println!("handoff check: every datagram handed off arrived ({} cases)", rows.len());
        return;
    }
    println!("\nhandoff: ns of CPU per handed-off datagram (median of {runs} runs)");
    println!("{:<22} {:<16} {:>8} {:>8} {:>8} {:>8}", "rate", "backend", "sender", "receiver", "total", "waits/k");
    for (rate, n, backend, hand_off, out) in &mut rows {
        let s = median(&mut out.iter().map(|r| r.0).collect::<Vec<_>>());
        let name = match (backend, *hand_off) {
            (Backend::Ring, true) => "ring doorbell",
            (Backend::Poll, true) => "queue+eventfd",
            (Backend::Ring, false) => "ring turn only",
            (Backend::Poll, false) => "poll turn only",
        };
        let rate = match rate {
            Rate::Saturating => format!("saturating, n={n}"),
            Rate::Moderate(r) => format!("{r}/s, n={n}"),
        };
        if *hand_off {
            let r = median(&mut out.iter().map(|r| r.1).collect::<Vec<_>>());
            let w = median(&mut out.iter().map(|r| r.2).collect::<Vec<_>>());
            println!("{rate:<22} {name:<16} {s:>8.0} {r:>8.0} {:>8.0} {w:>8.1}", s + r);
        } else {
            println!("{rate:<22} {name:<16} {s:>8.0} {:>8} {:>8} {:>8}", "-", "-", "-");
        }
    }
}
