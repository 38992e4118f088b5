//! Datagram path: server CPU per echoed datagram of five receive/send paths with 1, 100 and
//! 2 000 sockets per server thread, under two load shapes. Method and findings:
//! perf/udp_path.md.
//!
//! Paths (`common/echo.rs`): the blocking syscall floor and `recvmmsg`/`sendmmsg` + `poll` on one
//! socket; `epoll` + `recvmmsg`/`sendmmsg`, callshard's `PollIo` and callshard's `RingIo` on N
//! sockets. The server thread runs on CPU 1, the load generator (`common/load.rs`: one socket,
//! `sendmmsg` round-robin over all N server sockets, `recvmmsg` for the echoes) on CPU 0.
//! Shapes: saturating (at most 256 outstanding, topped up by 32, so datagrams are always
//! queued) and paced (`UDP_RATE` = 100 000 datagrams/s in bursts of `UDP_BURST` = 32).
//!
//! `cargo bench --bench udp_path` runs every case `UDP_RUNS` = 3 times, interleaved, and
//! prints medians. Knobs: `UDP_N` (200 000 per measured phase), `UDP_PATHS` (e.g.
//! `ring,epoll`; `ring_alt` with `UDP_RING_BUFFERS_ALT=n`: the ring again with n buffers),
//! `UDP_SOCKETS` (`1,100,2000`), `UDP_SIZES` (`172,600`), `UDP_SHAPES`
//! (`sat,paced`), `UDP_IDLE_MS` (200), `UDP_QUIET_PCT` (15: before each case, wait up to 2 min
//! for other work on CPUs 0+1 to fall under 15 % of one CPU; retry a case, at most 3 times,
//! when other work exceeded that during it, and keep the cleanest try). Under `cargo test` a tiny version checks that every
//! path echoes every datagram.

mod common;

use std::time::Duration;

use callshard::shard::ring::RingConfig;
use common::echo::Path;
use common::load::Shape;
use common::matrix::{print_details, print_grid, run_or_check, Case, Plan};
use common::{bench_mode, can_pin, env_list, env_usize, watchdog};

fn paths(sockets: usize) -> Vec<(&'static str, Path)> {
    let mut v = Vec::new();
    if sockets == 1 {
        v.push(("floor", Path::Floor));
        v.push(("mmsg", Path::MmsgPoll));
    }
    v.push(("epoll", Path::EpollMmsg));
    v.push(("pollio", Path::PollIo));
    v.push(("ring", Path::Ring(ring_config())));
    // A second buffer ring size in the same interleaved rounds (`UDP_RING_BUFFERS_ALT`), so
    // that two sizes are compared under the same interference.
    if let Some(buffers) = std::env::var("UDP_RING_BUFFERS_ALT").ok().and_then(|b| b.parse().ok()) {
        v.push(("ring_alt", Path::Ring(RingConfig { buffers, ..ring_config() })));
    }
    v
}

/// `RingConfig::default()`, or the buffer ring set by `UDP_RING_BUFFERS` and
/// `UDP_RING_MAX_DATAGRAM` (which sizes each buffer).
fn ring_config() -> RingConfig {
    let d = RingConfig::default();
    RingConfig {
        buffers: env_usize("UDP_RING_BUFFERS", usize::from(d.buffers)) as u16,
        max_datagram: env_usize("UDP_RING_MAX_DATAGRAM", d.max_datagram),
        ..d
    }
}

fn main() {
    let bench = bench_mode();
    let pin = can_pin();
    assert!(pin || !bench, "udp_path needs CPUs 0 and 1 in the affinity mask");
    watchdog("udp_path", Duration::from_secs(if bench { 1800 } else { 120 }));
    let rate = env_usize("UDP_RATE", 100_000) as u32;
    let burst = env_usize("UDP_BURST", 32);
    let shapes: Vec<Shape> = env_list("UDP_SHAPES", "sat,paced")
        .iter()
        .map(|s| match s.as_str() {
            "sat" => Shape::Saturating { window: 256, refill: 32 },
            "paced" => Shape::Paced { rate, burst },
            other => panic!("UDP_SHAPES: unknown shape {other} (sat, paced)"),
        })
        .collect();
    let want = env_list("UDP_PATHS", "floor,mmsg,epoll,pollio,ring");
    let mut cases = Vec::new();
    for shape in &shapes {
        for size in env_list("UDP_SIZES", "172,600") {
            for sockets in env_list("UDP_SOCKETS", "1,100,2000") {
                let sockets: usize = sockets.parse().expect("UDP_SOCKETS: numbers");
                for (key, path) in paths(sockets) {
                    if want.iter().any(|w| w == key) {
                        let size = size.parse().expect("UDP_SIZES: numbers");
                        cases.push(Case { path, sockets, size, shape: *shape });
                    }
                }
            }
        }
    }
    let plan = Plan::from_env(bench, pin);
    let Some(samples) = run_or_check("udp_path", &cases, &plan, bench, "every path echoed every datagram") else {
        return;
    };
    println!(
        "\nudp_path: {} datagrams per measured phase (+{} warm-up), {} runs, server CPU 1, load generator CPU 0",
        plan.n, plan.warm, plan.runs
    );
    print_grid(&cases, &samples, false);
    print_details(&cases, &samples);
}
