//! `callshard load` end to end: against `callshard serve` (answered, rejected by a route,
//! with media) and against SIPp's built-in `uac`-facing `uas` scenario, checking the report,
//! the JSON last line and the exit code.

mod common;

use std::process::{Command, Output, Stdio};

use common::server::{final_line, stat, Server, BIN};

/// Runs `callshard load` against 127.0.0.1:`port` with `args`; returns its output and the
/// JSON object of its last line.
fn load(port: u16, args: &[&str]) -> (Output, serde_json::Value) {
    let target = format!("127.0.0.1:{port}");
    let out = Command::new(BIN)
        .args(["load", "--target", &target, "--json"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let json = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("last line is not JSON ({e}): {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out, json)
}

fn setup_percentiles_are_ordered(json: &serde_json::Value) {
    let ms = |k: &str| json["setup_ms"][k].as_f64().unwrap_or_else(|| panic!("no setup_ms.{k} in {json}"));
    let (p50, p90, p99, p999, max) = (ms("p50"), ms("p90"), ms("p99"), ms("p99.9"), ms("max"));
    assert!(0.0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= p999 && p999 <= max, "{json}");
}

#[test]
fn load_against_callshard_serve_places_every_call_at_the_rate_asked() {
    for (io, port) in [("uring", 17_210), ("poll", 17_220)] {
        let server = Server::start(port, &["--shards", "2", "--io", io, "--rtp-ports", "43000-43199"]);
        let poll: &[&str] = if io == "poll" { &["--poll"] } else { &[] };
        let args = [&["--rate", "400", "--calls", "300", "--hold-ms", "50", "--shards", "2"][..], poll].concat();
        let (out, json) = load(port, &args);
        assert_eq!(out.status.code(), Some(0), "{io}: {json}\n{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            (json["started"].as_u64(), json["answered"].as_u64(), json["failed"].as_u64()),
            (Some(300), Some(300), Some(0))
        );
        let rate = json["rate"].as_f64().unwrap();
        assert!((340.0..=460.0).contains(&rate), "{io}: achieved {rate} calls/s for 400 asked");
        setup_percentiles_are_ordered(&json);
        assert!(json["retransmissions"].as_u64().is_some(), "{json}");
        let (code, err) = server.stop();
        assert_eq!(code, Some(0));
        let line = final_line(&err);
        assert_eq!(stat(line, "established"), 300, "{line}");
        assert_eq!(stat(line, "active"), 0, "{line}");
    }
}

#[test]
fn failures_are_counted_by_status_and_fail_the_run() {
    let port = 17_230;
    // The built-in route for user `busy` answers 486.
    let server = Server::start(port, &["--shards", "1", "--rtp-ports", "43200-43299"]);
    let (out, json) = load(port, &["--rate", "200", "--calls", "40", "--user", "busy"]);
    assert_eq!(out.status.code(), Some(1), "{json}");
    assert_eq!((json["answered"].as_u64(), json["failed"].as_u64()), (Some(0), Some(40)), "{json}");
    assert_eq!(json["failures"]["486"].as_u64(), Some(40), "{json}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("failed=40 (486=40)"), "{stdout}");
    drop(server);
}

#[test]
fn calls_with_media_carry_rtp_both_ways() {
    let port = 17_240;
    let server = Server::start(port, &["--shards", "1", "--media", "echo", "--rtp-ports", "43300-43399"]);
    let (out, json) = load(port, &["--rate", "50", "--calls", "10", "--hold-ms", "400", "--media", "tone"]);
    assert_eq!(out.status.code(), Some(0), "{json}");
    assert_eq!(json["answered"].as_u64(), Some(10), "{json}");
    let (_, err) = server.stop();
    let line = final_line(&err);
    let media = &line[line.find("| media ").unwrap_or_else(|| panic!("no media figures: {line}"))..];
    // 400 ms of 20 ms tone packets a call, echoed: the server heard and sent most of them.
    let (rx, tx) = (stat(media, "rx"), stat(media, "tx"));
    assert!(rx >= 10 * 15 && tx >= 10 * 15, "{line}");
}

#[test]
fn load_works_against_sipp_uas() {
    assert!(
        Command::new("sipp").arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok(),
        "SIPp is not installed: run scripts/test.sh, which installs the Debian package sip-tester"
    );
    let port = 17_250;
    let dir = std::env::temp_dir().join(format!("callshard-load-uas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut sipp = Command::new("sipp")
        .current_dir(&dir)
        .args(["-sn", "uas", "-i", "127.0.0.1", "-p", &port.to_string(), "-m", "60", "-timeout", "30s", "-nostdin"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (out, json) = load(port, &["--rate", "100", "--calls", "60", "--hold-ms", "100"]);
    let sipp_status = sipp.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(0), "{json}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!((json["answered"].as_u64(), json["failed"].as_u64()), (Some(60), Some(0)), "{json}");
    setup_percentiles_are_ordered(&json);
    assert_eq!(sipp_status.code(), Some(0), "SIPp's uas saw a failed call");
}

#[test]
fn a_load_without_a_count_or_a_duration_is_a_one_line_error() {
    let out = Command::new(BIN).args(["load", "--target", "127.0.0.1:5060", "--rate", "10"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--calls") || err.contains("--duration"), "{err}");
}
