//! `callshard serve --metrics`: after real SIPp calls, `/metrics` (Prometheus text format)
//! counts them, per shard, on both I/O backends; another path is a 404; a bad address is a
//! one-line error.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::scratch::Scratch;
use common::server::{Server, BIN};

/// Sends `GET path` and returns (status line, body).
fn get(port: u16, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.lines().next().unwrap_or_default().to_string(), body.to_string())
}

/// The sum over shards of the series of `name` whose labels include every one of `labels`.
fn sum(text: &str, name: &str, labels: &[&str]) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as u64)
        .sum()
}

/// Scrapes until `done` holds for the metrics (the shards publish every 100-500 ms).
fn scrape_until(port: u16, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = get(port, "/metrics");
        assert_eq!(status, "HTTP/1.1 200 OK");
        if done(&body) || Instant::now() > deadline {
            return body;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn sipp_uac(target: &str, port: u16, calls: u32) {
    let scratch = Scratch::new(&format!("callshard-metrics-sipp-{port}"));
    let (local, media, calls) = (port.to_string(), (port + 1).to_string(), calls.to_string());
    let out = Command::new("sipp")
        .current_dir(scratch.path())
        .args([target, "-sn", "uac", "-i", "127.0.0.1", "-p", &local, "-mp", &media, "-nostdin"])
        .args(["-m", &calls, "-r", "20", "-timeout", "30s", "-timeout_error"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("SIPp is not installed: run scripts/test.sh, which installs the Debian package sip-tester");
    assert_eq!(out.status.code(), Some(0), "SIPp's calls failed:\n{}", String::from_utf8_lossy(&out.stdout));
}

fn counts_sipp_calls(io: &str, port: u16) {
    const CALLS: u64 = 20;
    let metrics = (port + 1).to_string();
    let rtp = format!("{}-{}", 47_000 + port % 1000 * 2, 47_199 + port % 1000 * 2);
    let addr = format!("127.0.0.1:{metrics}");
    let server = Server::start(port, &["--shards", "2", "--io", io, "--metrics", &addr, "--rtp-ports", &rtp]);
    sipp_uac(&format!("127.0.0.1:{port}"), port + 2, CALLS as u32);
    let metrics_port = port + 1;
    // Each shard publishes its own snapshot: wait until the one that received the BYEs has
    // published too, not only the one that owns their calls.
    let text = scrape_until(metrics_port, |t| {
        sum(t, "callshard_calls_ended_total", &["by=\"remote\""]) == CALLS
            && sum(t, "callshard_active_calls", &[]) == 0
            && sum(t, "callshard_datagrams_received_total", &[]) >= 3 * CALLS
    });
    assert_eq!(sum(&text, "callshard_calls_incoming_total", &[]), CALLS, "{text}");
    assert_eq!(sum(&text, "callshard_calls_total", &["outcome=\"answered\""]), CALLS, "{text}");
    assert_eq!(sum(&text, "callshard_calls_ended_total", &["by=\"remote\""]), CALLS, "{text}");
    assert_eq!(sum(&text, "callshard_calls_total", &["outcome=\"refused\""]), 0, "{text}");
    assert_eq!(sum(&text, "callshard_active_calls", &[]), 0, "{text}");
    assert_eq!(sum(&text, "callshard_setup_seconds_count", &[]), CALLS, "{text}");
    assert_eq!(sum(&text, "callshard_setup_seconds_bucket", &["le=\"+Inf\""]), CALLS, "{text}");
    // INVITE, ACK and BYE of each call, and the OPTIONS probe of the test harness.
    assert!(sum(&text, "callshard_datagrams_received_total", &[]) >= 3 * CALLS, "{text}");
    assert!(sum(&text, "callshard_active_transactions", &[]) >= CALLS, "BYEs linger (Timer J): {text}");
    for shard in ["shard=\"0\"", "shard=\"1\""] {
        assert!(text.contains(&format!("callshard_calls_incoming_total{{{shard}}}")), "{text}");
    }
    for family in ["callshard_dropped_total", "callshard_retransmissions_total", "callshard_handoffs_total"] {
        assert!(text.contains(&format!("# TYPE {} counter", family.trim_end_matches("_total"))), "{family}: {text}");
    }
    assert!(text.contains("callshard_rtp_packets_total{shard=\"0\",direction=\"received\"}"), "{text}");
    assert!(text.contains("callshard_udp_rcvbuf_errors_total "), "kernel drops: {text}");
    assert!(text.contains("callshard_ring_empty_total{shard=\"1\"}"), "ring drops: {text}");
    assert_eq!(get(metrics_port, "/other").0, "HTTP/1.1 404 Not Found");
    let (code, _) = server.stop();
    assert_eq!(code, Some(0));
}

#[test]
fn metrics_count_sipp_calls_uring() {
    counts_sipp_calls("uring", 19_100);
}

#[test]
fn metrics_count_sipp_calls_poll() {
    counts_sipp_calls("poll", 19_200);
}

#[test]
fn a_bad_metrics_address_is_a_one_line_error() {
    let out = Command::new(BIN).args(["serve", "--metrics", "localhost"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--metrics"), "{err}");
}

/// Refuses every call: the smallest application.
struct Refuse;

impl callshard::Application for Refuse {
    fn on_incoming(&mut self, calls: &mut callshard::Calls<'_>, call: callshard::CallId) {
        let _ = calls.reject(call, 603);
    }
}

#[test]
fn an_embedding_program_serves_metrics_too() {
    let server = callshard::Server::builder()
        .listen("127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap())
        .metrics("127.0.0.1:0".parse().unwrap())
        .rtp_ports(47_900, 47_999)
        .start_single(Refuse)
        .unwrap();
    let port = server.metrics_addr().expect("metrics asked for").port();
    let text = scrape_until(port, |t| t.contains("callshard_active_calls{shard=\"0\"} 0"));
    assert!(text.contains("callshard_calls_incoming_total{shard=\"0\"} 0"), "{text}");
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    server.stop();
    server.join().unwrap();
}
