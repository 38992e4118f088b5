//! User-space CPU of one placed call, both sides, without sockets: an `AppCore` placing calls
//! as `callshard load` does (INVITE with SDP, ACK, BYE at once on the answer) against an
//! `AppCore` with `serve`'s default route (180, 200 with SDP, 200 to the BYE), joined in
//! memory on a virtual clock at a steady 20 000 calls/s, so every transaction lingers its
//! 32 s and expires as it does in the server. Each side's time and heap allocations are
//! counted apart. What this does not count is the kernel's share (see perf/load.md).
//!
//! `taskset -c 1 cargo bench --bench uac_path` runs 1 000 000 calls and times the last half;
//! `CALLS=n` changes the count; under `cargo test` it runs 3 000 as a check. For a figure this
//! noisy machine cannot move, count instructions: `CALLS=40000 valgrind --tool=callgrind
//! target/release/deps/uac_path-* --bench`, then `callgrind_annotate --inclusive=yes` and read
//! the lines of `run_uac` and `run_uas`.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use callshard::app::{AppCore, Application, Calls, CoreOutput, Event, OutgoingCall, ShardInfo};
use callshard::rtp::reports::WallClock;
use callshard::rtp::{MediaAction, MediaPlane};
use callshard::session::{CallId, Endpoint, EndpointConfig};
use callshard::shard::{Policy, Routes};

#[path = "common/counting.rs"]
mod counting;

use counting::ALLOCS;

const UAC: &str = "127.0.0.1:5061";
const UAS: &str = "127.0.0.1:5060";

/// Places one call per wake-up (the bench wakes it once per virtual 50 µs) and hangs up each
/// call as soon as it is answered, as `callshard load --hold-ms 0` does.
struct Placer {
    answered: u64,
}

impl Application for Placer {
    fn on_incoming(&mut self, calls: &mut Calls<'_>, call: CallId) {
        let _ = calls.reject(call, 486);
    }
    fn on_wake(&mut self, calls: &mut Calls<'_>, _token: u64) {
        let to = format!("sip:service@{UAS}");
        calls.call(&OutgoingCall::new(to.as_bytes())).expect("a port and a call slot are free");
    }
    fn on_event(&mut self, calls: &mut Calls<'_>, event: Event) {
        if let Event::Answered { call } = event {
            self.answered += 1;
            let _ = calls.hangup(call);
        }
    }
}

fn core<A: Application>(at: &str, app: A, t0: Instant, ports: (u16, u16)) -> AppCore<A> {
    let mut cfg = EndpointConfig::new(at.parse().unwrap());
    cfg.max_calls = 100_000;
    cfg.rtp_ports = ports;
    cfg.tx.max_transactions = 2_000_000;
    cfg.tx.reserve = 1_300_000;
    cfg.tx.client_reserve = Some(800_000);
    let wall = WallClock { at: t0, unix: Duration::from_secs(1_800_000_000) };
    let plane = MediaPlane::new(ports, wall, 1, Some(Duration::from_secs(60)), "bench@127.0.0.1");
    let info = ShardInfo { index: 0, count: 1, listen: cfg.locals.clone() };
    AppCore::new((Endpoint::new(cfg, t0), plane), app, info, None, t0)
}

/// Time and allocations of one side.
#[derive(Default)]
struct Side {
    time: Duration,
    allocs: u64,
}

/// Runs `f` on one side, adding its time and allocations once `timed`.
fn timed<R>(side: &mut Side, timed: bool, f: impl FnOnce() -> R) -> R {
    let (t, a) = (Instant::now(), ALLOCS.load(Ordering::Relaxed));
    let r = f();
    if timed {
        side.time += t.elapsed();
        side.allocs += ALLOCS.load(Ordering::Relaxed) - a;
    }
    r
}

#[inline(never)]
fn run_uac(uac: &mut AppCore<Placer>, input: &[CoreOutput], now: Instant, out: &mut Vec<CoreOutput>) {
    let from: SocketAddr = UAS.parse().unwrap();
    for o in input {
        if let CoreOutput::Sip { data, .. } = o {
            uac.ep.on_datagram(data.clone(), from, now);
        }
    }
    uac.on_timer(now, out);
    uac.flush(now, out);
}

#[inline(never)]
fn run_uas(uas: &mut AppCore<Policy>, input: &[CoreOutput], now: Instant, out: &mut Vec<CoreOutput>) {
    let from: SocketAddr = UAC.parse().unwrap();
    for o in input {
        if let CoreOutput::Sip { data, .. } = o {
            uas.ep.on_datagram(data.clone(), from, now);
        }
    }
    uas.on_timer(now, out);
    uas.flush(now, out);
}

fn run(calls: u64, timed_from: u64) -> (Side, Side, u64) {
    let t0 = Instant::now();
    let mut uac = core(UAC, Placer { answered: 0 }, t0, (40_000, 59_999));
    let mut uas = core(UAS, Policy::new(Routes::default(), MediaAction::None), t0, (20_000, 39_999));
    let step = Duration::from_micros(50);
    let (mut a_side, mut s_side) = (Side::default(), Side::default());
    let (mut to_uas, mut to_uac) = (Vec::new(), Vec::new());
    for i in 0..calls + 10 {
        let now = t0 + step * i as u32;
        let timing = i >= timed_from;
        if i < calls {
            timed(&mut a_side, timing, || uac.with_app(now, &mut to_uas, |app, c| app.on_wake(c, 0)));
        }
        // Until this step's exchange settles: INVITE, 180 and 200, ACK and BYE, 200.
        for _ in 0..4 {
            let input = std::mem::take(&mut to_uas);
            timed(&mut s_side, timing, || run_uas(&mut uas, &input, now, &mut to_uac));
            let input = std::mem::take(&mut to_uac);
            timed(&mut a_side, timing, || run_uac(&mut uac, &input, now, &mut to_uas));
        }
    }
    assert_eq!(uac.app.answered, calls, "every call answered");
    assert_eq!((uac.ep.active_calls(), uas.ep.active_calls()), (0, 0), "every call ended on both sides");
    (a_side, s_side, calls - timed_from)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let calls: u64 =
        std::env::var("CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(if bench { 1_000_000 } else { 3_000 });
    let (uac, uas, n) = run(calls, calls / 2);
    let per = |s: &Side| (s.time.as_nanos() as f64 / n as f64, s.allocs as f64 / n as f64);
    let ((ua_ns, ua_al), (us_ns, us_al)) = (per(&uac), per(&uas));
    println!(
        "uac_path: placing side {ua_ns:.0} ns and {ua_al:.1} allocations per call; answering side {us_ns:.0} ns and {us_al:.1} ({n} calls timed of {calls}, 20 000 calls/s virtual)"
    );
}
