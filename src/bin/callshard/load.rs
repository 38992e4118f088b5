//! `callshard load`: the load generator. Each shard runs a [`LoadApp`] placing its share of
//! the calls; the main thread prints a progress line each second and, at the end, the
//! achieved rate, failures by status, retransmissions and setup-time percentiles (and with
//! `--json` one JSON object as the last line of stdout). Exit code 1 when any call failed.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callshard::shard::{local_address_toward, IoChoice, Server, ShardStats};

use super::load_app::{LoadApp, LoadStats, Plan, Shared};
use super::load_args::LoadArgs;
use super::local_addr::running;

pub fn load(args: LoadArgs) -> ExitCode {
    let n = args.shards;
    let shared = Arc::new(Shared { slots: Mutex::new(vec![LoadStats::new(); n]), running: AtomicUsize::new(n) });
    let plan = Plan {
        uri: format!("sip:{}@{}", args.user, args.target),
        target: args.target,
        rate: f64::from(args.rate) / n as f64,
        calls: None,
        duration: args.duration.map(Duration::from_secs_f64),
        hold: Duration::from_millis(args.hold_ms),
        ramp: Duration::from_millis(args.ramp_ms),
        media: args.media,
    };
    let total = args.calls;
    let app_shared = shared.clone();
    let listen = args.listen.unwrap_or_else(|| SocketAddr::new(local_address_toward(args.target), 0));
    let started = Server::builder()
        .listen(listen)
        .shards(n)
        .io(if args.poll { IoChoice::Poll } else { IoChoice::Auto })
        .rtp_ports(args.rtp_ports.0, args.rtp_ports.1)
        .max_calls(args.max_calls)
        .media_timeout(None)
        .batch_wait_us(args.batch_wait_us)
        .placing_calls(args.rate as usize)
        // A generator sheds nothing: a big buffer carries it through its own cold start.
        .receive_buffer(32 << 20)
        // Ports for 100 ms of calls plus those held, bound before the first call is placed.
        .media_ports_ahead(ports_ahead(&args))
        // Every call leaves its INVITE for 32 s and its BYE for 5 s: room for that and more.
        .max_transactions((args.rate as usize * 45).max(2_000_000))
        .start(move |shard| {
            // Shard i places calls i, i + n, ...: the total splits within one call.
            let calls = total.map(|t| t / n as u64 + u64::from((shard.index as u64) < t % n as u64));
            LoadApp::new(Plan { calls, ..plan.clone() }, app_shared.clone())
        });
    let server = match running(started) {
        Ok(s) => s,
        Err(code) => return code,
    };
    eprintln!(
        "callshard load: {} calls/s to {} from {} on {n} shard(s)",
        args.rate,
        args.target,
        server.local_addrs()[0]
    );
    let progress = spawn_progress(shared.clone(), server.stop_flag());
    let result = server.join();
    let _ = progress.join();
    let sip = match result {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let load = merged(&shared);
    // The shards' own figures (drops by cause, ring re-arms, retransmissions) on stderr.
    eprintln!("final: {}", sip.line());
    report(&load, &sip, args.json);
    if load.failed > 0 || load.answered == 0 {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The calls alive at once in a steady run, to bind their ports ahead: each holds a port
/// for its setup (allow 100 ms) and its hold time. Within the range, which caps it anyway.
fn ports_ahead(args: &LoadArgs) -> usize {
    let seconds = 0.1 + args.hold_ms as f64 / 1000.0;
    let range = usize::from(args.rtp_ports.1.saturating_sub(args.rtp_ports.0) / 2);
    ((f64::from(args.rate) * seconds) as usize).min(range)
}

fn merged(shared: &Shared) -> LoadStats {
    let mut total = LoadStats::new();
    for s in shared.slots.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        total.merge(s);
    }
    total
}

/// A line a second on stderr until the run stops.
fn spawn_progress(shared: Arc<Shared>, stop: Arc<std::sync::atomic::AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let (mut last, mut last_at) = (0u64, Instant::now());
        while shared.running.load(std::sync::atomic::Ordering::Relaxed) > 0
            && !stop.load(std::sync::atomic::Ordering::Relaxed)
        {
            std::thread::sleep(Duration::from_secs(1));
            let s = merged(&shared);
            let rate = (s.started - last) as f64 / last_at.elapsed().as_secs_f64();
            (last, last_at) = (s.started, Instant::now());
            let (a, f, h) = (s.answered, s.failed, s.held_back);
            eprintln!("load: started={} answered={a} failed={f} held-back={h} rate={rate:.0}/s", s.started);
        }
    })
}

fn report(load: &LoadStats, sip: &ShardStats, json: bool) {
    // The rate after the ramp (all of the run without one): calls placed over their span.
    let span = match (load.steady, load.last) {
        (Some(a), Some(b)) => b.saturating_duration_since(a).as_secs_f64(),
        _ => 0.0,
    };
    let n = load.steady_started;
    let rate = if span > 0.0 { n.saturating_sub(1) as f64 / span } else { n as f64 };
    let retransmissions = sip.tx.retransmissions_sent + sip.calls.retransmitted_2xx;
    let ms = |q: f64| load.setup_us.value_at_quantile(q) as f64 / 1000.0;
    let failures: Vec<String> = load.failures.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!(
        "calls started={} answered={} failed={} ({}) held-back={} rate={rate:.1}/s retransmissions={retransmissions}",
        load.started,
        load.answered,
        load.failed,
        if failures.is_empty() { "none".into() } else { failures.join(",") },
        load.held_back
    );
    println!(
        "setup ms p50={:.3} p90={:.3} p99={:.3} p99.9={:.3} max={:.3}",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        ms(0.999),
        load.setup_us.max() as f64 / 1000.0
    );
    if json {
        let object = serde_json::json!({
            "started": load.started,
            "answered": load.answered,
            "failed": load.failed,
            "failures": load.failures,
            "held_back": load.held_back,
            "retransmissions": retransmissions,
            "rate": (rate * 10.0).round() / 10.0,
            "setup_ms": {
                "p50": ms(0.5), "p90": ms(0.9), "p99": ms(0.99), "p99.9": ms(0.999),
                "max": load.setup_us.max() as f64 / 1000.0,
            },
        });
        println!("{object}");
    }
}
