//! `callshard serve`: the shards on real sockets, a live statistics line, and a clean stop on
//! SIGINT or SIGTERM (new calls get 503 while the others drain, then a final report, exit 0).

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use callshard::ops::MetricsServer;
use callshard::shard::{choose_backend, start, IoChoice, OverloadConfig, Policy, Routes, ServerConfig, ShardStats};

use super::serve_args::ServeArgs;

pub fn serve(args: ServeArgs) -> ExitCode {
    if let Err(e) = callshard::ops::logging::init(args.log.as_deref(), args.log_lines_per_second) {
        eprintln!("error: log filter (--log or RUST_LOG): {e}");
        return ExitCode::from(2);
    }
    if args.listen.len() > 255 {
        eprintln!("error: --listen: at most 255 addresses");
        return ExitCode::from(2);
    }
    let mut cfg = ServerConfig::new(args.listen[0].addr);
    cfg.listen = args.listen.clone();
    cfg.ring_buffers = args.ring_buffers;
    cfg.batch_wait_us = args.batch_wait_us;
    cfg.send_early = args.send_early;
    cfg.max_sockets = args.max_sockets;
    cfg.max_message = args.max_message as usize;
    cfg.receive_buffer = args.receive_buffer as usize;
    if let Err(e) = args.stream.apply(&mut cfg) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    cfg.io = match choose_backend(args.io) {
        Ok((io, None)) => io,
        Ok((io, Some(why))) => {
            eprintln!("callshard serve: {why}; using the poll backend (recvmmsg + ppoll)");
            io
        }
        Err(why) => {
            eprintln!("error: --io uring: {why}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(n) = args.shards {
        cfg.shards = n;
    }
    cfg.rtp_ports = args.rtp_ports;
    cfg.media_timeout = (args.media_timeout > 0).then(|| Duration::from_secs(args.media_timeout));
    cfg.max_calls = args.max_calls;
    cfg.max_transactions = args.max_transactions;
    // The reporter's period, and whether it prints unchanged figures too.
    let (period, every) = match args.stats_interval {
        None => (Duration::from_secs(1), false),
        Some(n) => (Duration::from_secs(n), true),
    };
    cfg.stats_interval = period;
    cfg.overload = (args.overload_onset_ms > 0).then(|| OverloadConfig {
        onset: Duration::from_millis(args.overload_onset_ms),
        backlog: args.overload_backlog_kib as usize * 1024,
    });
    let mut routes = Routes::default();
    for spec in &args.routes {
        if let Err(e) = routes.add(spec) {
            eprintln!("error: --route {spec}: {e}");
            return ExitCode::from(2);
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, stop.clone()) {
            eprintln!("error: cannot handle signal {signal}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let live = Arc::new(Mutex::new(Vec::new()));
    // Kept until the end of the function: dropping it stops the endpoint.
    let _metrics = match args.metrics.map(|addr| MetricsServer::start(addr, live.clone())).transpose() {
        Ok(None) => None,
        Ok(Some(m)) => {
            eprintln!("callshard serve: metrics on http://{}/metrics", m.local_addr());
            Some(m)
        }
        Err(e) => {
            eprintln!("error: --metrics {}: {e}", args.metrics.map_or(String::new(), |a| a.to_string()));
            return ExitCode::FAILURE;
        }
    };
    let done = Arc::new(AtomicBool::new(false));
    let reporter = (!period.is_zero()).then(|| spawn_reporter(period, every, live.clone(), done.clone()));
    let addrs: Vec<String> = cfg.listen.iter().map(|a| a.to_string()).collect();
    let backend = if cfg.io == IoChoice::Poll { "poll" } else { "io_uring" };
    eprintln!("callshard serve: {} shard(s) on {} ({backend})", cfg.shards, addrs.join(", "));
    let media = args.media;
    let result = start(cfg, move |_| Policy::new(routes.clone(), media), stop, live).and_then(|r| r.join());
    done.store(true, Ordering::Relaxed);
    if let Some(r) = reporter {
        let _ = r.join();
    }
    match result {
        Ok(total) => {
            eprintln!("final: {}", total.line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot serve: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the merged statistics of all shards on stderr every `interval` when they changed
/// since the last line (`every`: changed or not).
fn spawn_reporter(
    interval: Duration,
    every: bool,
    live: Arc<Mutex<Vec<ShardStats>>>,
    done: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let tick = Duration::from_millis(50);
        let mut waited = Duration::ZERO;
        let mut last = ShardStats::new();
        while !done.load(Ordering::Relaxed) {
            std::thread::sleep(tick);
            waited += tick;
            if waited < interval {
                continue;
            }
            waited = Duration::ZERO;
            let total = ShardStats::total(live.lock().unwrap_or_else(|e| e.into_inner()).iter());
            if every || total.differs_from(&last) {
                eprintln!("{}", total.line());
                last = total;
            }
        }
    })
}
