//! Loss on the wire: every scenario of `sipp_stress/scenarios` that `tests/serve_sipp.rs` runs
//! runs again through `callshard relay`, which drops 5 % of the datagrams each way and
//! duplicates and reorders 1 %. Every call must still succeed, by SIPp's retransmissions and
//! callshard's, and the relay must really have dropped datagrams both ways.
//!
//! Addressing (README, Testing under loss): SIPp binds 127.0.0.1:P but writes `localhost:P`
//! in its Via and Contact (`-i localhost`), and the relay's socket toward the server is
//! 127.0.0.2:P. callshard answers to the source address with the Via's port (RFC 3261
//! 18.2.2: 127.0.0.2:P, the relay) and sends its own requests (the BYE of timeout_noack) to
//! the source of the INVITE when the Contact names no IP address: the relay again. Nothing
//! can go around it; the server's count of datagrams received must be what the relay sent
//! (plus the test's readiness probes).

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_callshard");
const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sipp_stress/scenarios");

/// Every scenario's impairment: percent dropped, duplicated, reordered, each way.
const RELAY: [&str; 6] = ["--drop", "5", "--duplicate", "1", "--reorder", "1"];

/// Kills a child left running when an assertion fails, so no process outlives its test.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Reap {
    /// SIGTERM, then the exit code and all of stdout or stderr (whichever was piped).
    fn stop(mut self) -> (Option<i32>, String) {
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let code = self.0.wait().unwrap().code();
        let mut text = String::new();
        if let Some(mut out) = self.0.stdout.take() {
            out.read_to_string(&mut text).unwrap();
        }
        if let Some(mut err) = self.0.stderr.take() {
            err.read_to_string(&mut text).unwrap();
        }
        (code, text)
    }
}

/// Runs `scenario` (`calls` at `rate`/s as `user`) through the relay against a fresh server
/// with backend `io` on `port`; the relay listens on `port + 1`, SIPp on `port + 2`.
/// `seed` picks the relay's choices by the datagram's rank in its direction: each seed used
/// drops one of the first six datagrams each way (timeout_noack's: the 2nd toward the server,
/// the 8th toward SIPp, as its XML explains), so the drops asserted are certain whatever the
/// timing.
#[allow(clippy::too_many_arguments)]
fn run(
    (io, offset): (&str, u16),
    scenario: &str,
    user: &str,
    calls: u32,
    rate: u32,
    port: u16,
    seed: u32,
    extra: &[&str],
) {
    let port = port + offset;
    let (listen, relay_at, sipp_port) =
        (format!("127.0.0.1:{port}"), format!("127.0.0.1:{}", port + 1), (port + 2).to_string());
    // Media ports of its own (100 a test, far more than its calls hold at once): tests run
    // side by side, and SIP ports of other tests lie in the default range.
    let low = 50_000 + (port - 14_000) / 10 * 100;
    let rtp = format!("{low}-{}", low + 99);
    let server = Reap(
        Command::new(BIN)
            .args(["serve", "--listen", &listen, "--shards", "2", "--stats-interval", "0", "--io", io])
            .args(["--rtp-ports", &rtp])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let probes = wait_ready(port);
    let mut relay = Reap(
        Command::new(BIN)
            .args(["relay", "--listen", &relay_at, "--target", &listen, "--bind", &format!("127.0.0.2:{sipp_port}")])
            .args(RELAY)
            .args(["--seed", &seed.to_string(), "--duration", "100"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Its first line says it is bound.
    let mut line = String::new();
    BufReader::new(relay.0.stderr.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("callshard relay:"), "{scenario}: the relay did not start: {line}");

    let scratch = common::scratch::Scratch::new(&format!("callshard-lossy-{scenario}-{io}-{port}"));
    let started = Instant::now();
    let out = Command::new("sipp")
        .current_dir(scratch.path())
        .args([&relay_at, "-sf", &format!("{SCENARIOS}/{scenario}.xml"), "-s", user])
        .args(["-i", "localhost", "-mi", "127.0.0.1", "-p", &sipp_port])
        .args(["-m", &calls.to_string(), "-r", &rate.to_string(), "-timeout", "80s", "-timeout_error"])
        .args(["-nostdin", "-trace_err", "-buff_size", "4194304"])
        .args(extra)
        .output()
        .expect("SIPp is not installed: run scripts/test.sh, which installs the Debian package sip-tester");
    let took = started.elapsed();
    let (_, counters) = relay.stop();
    let (code, stderr) = server.stop();
    let errors = scratch.sipp_errors();
    let screen = String::from_utf8_lossy(&out.stdout);
    let tail = common::scratch::last_lines(&screen, 30);
    let errors: String = errors.chars().take(3000).collect();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{scenario} ({io}, seed {seed}): SIPp reported failed calls after {took:?}\n{tail}\n{counters}\n{errors}"
    );
    assert!(screen.contains("Successful call"), "{scenario}: no SIPp summary\n{tail}");
    let (up, down) = (field(&counters, "to-server"), field(&counters, "to-client"));
    assert!(up("dropped") > 0 && down("dropped") > 0, "{scenario}: nothing dropped one way\n{counters}");
    assert_eq!(down("unroutable"), 0, "{scenario}: {counters}");
    let rx = common::server::stat(common::server::final_line(&stderr), "rx");
    // A probe sent before the server was bound is not counted: hence a range.
    let through = up("forwarded");
    assert!(
        (through..=through + probes).contains(&rx),
        "{scenario}: the server received {rx} datagrams, the relay sent it {through}, the test {probes}\n{counters}\n{stderr}"
    );
    assert_eq!(code, Some(0), "{scenario}: the server did not exit cleanly");
    eprintln!("{scenario} ({io}): {} calls in {took:?}\n{counters}", calls);
}

/// Sends OPTIONS straight to the server until one is answered; returns how many were sent.
fn wait_ready(port: u16) -> u64 {
    let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
    probe.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sent = 0;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        probe.send_to(&common::server::options(&format!("probe{sent}")), ("127.0.0.1", port)).unwrap();
        sent += 1;
        if probe.recv_from(&mut buf).is_ok() {
            return sent;
        }
    }
    panic!("the server on port {port} never answered");
}

/// A reader of `name=` values in the relay's line for one direction.
fn field<'a>(counters: &'a str, way: &str) -> impl Fn(&str) -> u64 + 'a {
    let line = counters.lines().find(|l| l.starts_with(&format!("relay {way}:"))).unwrap_or_default().to_string();
    move |name| common::server::stat(&line, name)
}

/// Each scenario runs once per I/O backend, on its own ports (poll: 200 above uring).
macro_rules! on_both_backends {
    ($($name:ident: $($arg:expr),+;)+) => {
        mod uring {
            $(#[test]
            fn $name() {
                super::run(("uring", 0), $($arg),+);
            })+
        }
        mod poll {
            $(#[test]
            fn $name() {
                super::run(("poll", 200), $($arg),+);
            })+
        }
    };
}

// scenario, user, calls, rate, port, seed, extra SIPp options (as tests/serve_sipp.rs)
on_both_backends! {
    basic_call: "basic_call", "basic", 20, 10, 14_000, 17, &["-d", "200"];
    call_rejection: "call_rejection", "busy", 20, 10, 14_010, 21, &[];
    call_cancel: "call_cancel", "slow", 20, 10, 14_020, 28, &[];
    options_ping: "options_ping", "callshard", 20, 10, 14_030, 37, &[];
    hold_resume: "hold_resume", "hold", 10, 10, 14_040, 39, &[];
    early_media: "early_media", "early", 10, 10, 14_050, 62, &[];
    multiple_codecs: "multiple_codecs", "codecs", 10, 10, 14_060, 80, &[];
    forking_test: "forking_test", "fork", 10, 10, 14_070, 115, &[];
    stress_test: "stress_test", "stress", 200, 100, 14_080, 122, &[];
    timeout_test: "timeout_test", "slow", 4, 4, 14_090, 153, &[];
    timeout_noack: "timeout_noack", "basic", 1, 1, 14_100, 245, &["-nr"];
}
