//! `callshard serve` logs through `tracing`: at the default level (info) a refused or failed
//! call leaves one line saying why, and successful calls leave none; `--log warn` silences
//! the refusals. The live statistics line comes only when something changed, unless
//! `--stats-interval` asks for one every N seconds.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::scratch::Scratch;
use common::server::{client, exchange, invite, options, status_line, Server, BIN};

/// `serve` on `port` with `args`, RUST_LOG unset (the default level), ready once it answers.
fn start(port: u16, args: &[&str]) -> Server {
    let mut all = vec!["--stats-interval", "0"];
    all.extend_from_slice(args);
    start_with_stats(port, &all)
}

/// As `start`, without the `--stats-interval 0` that silences the live line.
fn start_with_stats(port: u16, args: &[&str]) -> Server {
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(BIN)
        .args(["serve", "--listen", &listen])
        .args(args)
        .env_remove("RUST_LOG")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let probe = client();
    let deadline = Instant::now() + Duration::from_secs(10);
    while exchange(&probe, port, &options("probe")).is_empty() && Instant::now() < deadline {}
    Server { child, port }
}

fn sipp_uac(port: u16, calls: u32) {
    let scratch = Scratch::new(&format!("callshard-logs-sipp-{port}"));
    let (target, local, media) = (format!("127.0.0.1:{port}"), (port + 1).to_string(), (port + 2).to_string());
    let out = Command::new("sipp")
        .current_dir(scratch.path())
        .args([&target, "-sn", "uac", "-i", "127.0.0.1", "-p", &local, "-mp", &media, "-nostdin"])
        .args(["-m", &calls.to_string(), "-r", "10", "-timeout", "30s", "-timeout_error"])
        .output()
        .expect("SIPp is not installed: run scripts/test.sh, which installs the Debian package sip-tester");
    assert_eq!(out.status.code(), Some(0), "SIPp's calls failed:\n{}", String::from_utf8_lossy(&out.stdout));
}

/// The log lines (not the serve banner or statistics) of a server's stderr.
fn log_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| ["TRACE", "DEBUG", " INFO", " WARN", "ERROR"].iter().any(|lvl| l.contains(lvl))).collect()
}

#[test]
fn refused_calls_are_logged_and_successful_ones_are_not() {
    let server = start(19_300, &["--shards", "2", "--rtp-ports", "47600-47699"]);
    sipp_uac(19_300, 5);
    let sock = client();
    let replies = exchange(&sock, 19_300, &invite("busy-call-1", "busy"));
    assert!(replies.iter().any(|r| status_line(r) == "SIP/2.0 486 Busy Here"), "{replies:?}");
    let bad = String::from_utf8(options("bad-cseq")).unwrap().replace("CSeq: 1 OPTIONS", "CSeq: x OPTIONS");
    let replies = exchange(&sock, 19_300, bad.as_bytes());
    assert!(replies.iter().any(|r| status_line(r) == "SIP/2.0 400 Bad CSeq"), "{replies:?}");
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let lines = log_lines(&stderr);
    assert_eq!(lines.len(), 2, "one line per refused call or bad request, none for the 5 calls:\n{stderr}");
    assert!(lines[0].contains("INFO") && lines[0].contains("call failed: rejected with 486"), "{stderr}");
    assert!(lines[0].contains("busy-call-1@test"), "names the call: {stderr}");
    assert!(lines[1].contains("malformed request answered: 400 Bad CSeq"), "{stderr}");
}

#[test]
fn a_full_call_table_logs_each_503() {
    let server = start(19_330, &["--shards", "1", "--max-calls", "1", "--rtp-ports", "47850-47869"]);
    let sock = client();
    let ringing = exchange(&sock, 19_330, &invite("full-1", "slow"));
    assert!(ringing.iter().any(|r| status_line(r) == "SIP/2.0 180 Ringing"), "{ringing:?}");
    let refused = exchange(&sock, 19_330, &invite("full-2", "slow"));
    assert!(refused.iter().any(|r| status_line(r) == "SIP/2.0 503 Too Many Calls"), "{refused:?}");
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let lines = log_lines(&stderr);
    let full = lines.iter().find(|l| l.contains("full-2@test")).unwrap_or_else(|| panic!("{stderr}"));
    assert!(full.contains(" INFO ") && full.contains("call refused: 503 Too Many Calls"), "{stderr}");
}

#[test]
fn a_quieter_level_drops_the_refusal_lines() {
    let server = start(19_310, &["--shards", "2", "--log", "warn", "--rtp-ports", "47700-47799"]);
    let replies = exchange(&client(), 19_310, &invite("busy-call-2", "busy"));
    assert!(replies.iter().any(|r| status_line(r) == "SIP/2.0 486 Busy Here"), "{replies:?}");
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(log_lines(&stderr).is_empty(), "{stderr}");
}

#[test]
fn a_bad_log_filter_is_a_one_line_error() {
    let out = Command::new(BIN).args(["serve", "--log", "info,=["]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// Idle for 3 s, one OPTIONS, idle for 2.5 s: the live lines printed (the final one not).
fn live_lines(port: u16, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--shards", "2", "--rtp-ports"];
    let range = format!("{}-{}", 47_800 + (port - 19_320) * 10, 47_809 + (port - 19_320) * 10);
    all.push(&range);
    all.extend_from_slice(args);
    let server = start_with_stats(port, &all);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(exchange(&client(), port, &options("wake")).len(), 1);
    std::thread::sleep(Duration::from_millis(2500));
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
    stderr.lines().filter(|l| l.starts_with("calls in=")).map(str::to_string).collect()
}

#[test]
fn the_live_line_comes_when_something_changed() {
    let lines = live_lines(19_320, &[]);
    // Start (ports bound, the readiness probe), then the OPTIONS: not one line a second.
    assert!((2..=3).contains(&lines.len()), "{lines:#?}");
    assert!(common::server::stat(lines.last().unwrap(), "rx") >= 2, "{lines:#?}");
}

#[test]
fn a_stats_interval_prints_changed_or_not() {
    let lines = live_lines(19_321, &["--stats-interval", "1"]);
    assert!(lines.len() >= 4, "{lines:#?}");
}
