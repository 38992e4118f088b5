//! SEND_ZC: server CPU per echoed datagram of `RingIo` with plain sends against
//! `RingConfig::zero_copy_sends` (IORING_OP_SEND_ZC; the slot is freed on the notification),
//! at 172, 600 and 1 400 bytes (RTP, SIP, a full Ethernet frame) and 8 000 bytes (where zero
//! copy should start to pay, if anywhere on loopback). Same harness and method as
//! `udp_path` (`common/`): server on CPU 1, load generator on CPU 0, one socket, saturating
//! and paced at 100 000 datagrams/s in bursts of 32, medians of `UDP_RUNS` = 3 runs.
//! Findings: perf/udp_path.md. `cargo bench --bench udp_send_zc`; knobs as in `udp_path`
//! (`UDP_N`, `UDP_SIZES`, `UDP_SOCKETS`, `UDP_SHAPES`, `UDP_RUNS`, `UDP_QUIET_PCT`).

mod common;

use std::time::Duration;

use callshard::shard::ring::RingConfig;
use common::echo::Path;
use common::load::Shape;
use common::matrix::{print_details, print_grid, run_or_check, Case, Plan};
use common::{bench_mode, can_pin, env_list, env_usize, watchdog};

fn main() {
    let bench = bench_mode();
    let pin = can_pin();
    assert!(pin || !bench, "udp_send_zc needs CPUs 0 and 1 in the affinity mask");
    watchdog("udp_send_zc", Duration::from_secs(if bench { 1800 } else { 60 }));
    let plain = RingConfig::default();
    let zc = RingConfig { zero_copy_sends: true, ..plain };
    let mut cases = Vec::new();
    for shape in env_list("UDP_SHAPES", "sat,paced") {
        let shape = match shape.as_str() {
            "sat" => Shape::Saturating { window: 256, refill: 32 },
            _ => Shape::Paced { rate: env_usize("UDP_RATE", 100_000) as u32, burst: env_usize("UDP_BURST", 32) },
        };
        for size in env_list("UDP_SIZES", "172,600,1400,8000") {
            for sockets in env_list("UDP_SOCKETS", "1") {
                for cfg in [plain, zc] {
                    let (size, sockets) = (size.parse().expect("sizes"), sockets.parse().expect("sockets"));
                    cases.push(Case { path: Path::Ring(cfg), sockets, size, shape });
                }
            }
        }
    }
    let plan = Plan::from_env(bench, pin);
    let checked = "both send paths echoed every datagram";
    let Some(samples) = run_or_check("udp_send_zc", &cases, &plan, bench, checked) else { return };
    print_grid(&cases, &samples, true);
    print_details(&cases, &samples);
}
