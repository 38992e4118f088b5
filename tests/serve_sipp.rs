//! `callshard serve` under real SIPp: every scenario of `sipp_stress/scenarios` runs against
//! a fresh server and must end with every call successful (SIPp exits 0) and the server
//! stopping cleanly. SIPp comes from the Debian package `sip-tester` (`scripts/test.sh`
//! installs it).

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_callshard");
const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sipp_stress/scenarios");

/// Runs `scenario` as user `user` with `calls` calls at `rate` calls/s against a server on
/// `port + offset` using I/O backend `io`, with SIPp on the port above, over UDP or, with
/// `tcp`, over one TCP connection (`-t t1`). Panics with SIPp's own words when a call fails.
fn run(
    (io, offset, tcp): (&str, i32, bool),
    scenario: &str,
    user: &str,
    calls: u32,
    rate: u32,
    port: u16,
    extra: &[&str],
) {
    let port = (i32::from(port) + offset) as u16;
    assert!(
        Command::new("sipp").arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok(),
        "SIPp is not installed: run scripts/test.sh, which installs the Debian package sip-tester"
    );
    let listen = format!("127.0.0.1:{port}");
    let tcp_listen = ["--listen".to_string(), format!("tcp:{listen}")];
    let mut server = Command::new(BIN)
        .args(["serve", "--listen", &listen, "--shards", "2", "--stats-interval", "0", "--io", io])
        .args(if tcp { &tcp_listen[..] } else { &[] })
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let scratch = common::scratch::Scratch::new(&format!("callshard-sipp-{scenario}-{io}-{port}"));
    let dir = scratch.path();
    let started = Instant::now();
    let (calls, rate, local) = (calls.to_string(), rate.to_string(), (port + 1).to_string());
    let out = Command::new("sipp")
        .current_dir(dir)
        .args([&listen, "-sf", &format!("{SCENARIOS}/{scenario}.xml"), "-s", user, "-i", "127.0.0.1"])
        .args(["-p", &local, "-m", &calls, "-r", &rate, "-timeout", "60s", "-timeout_error", "-nostdin"])
        .args(["-trace_err", "-buff_size", "4194304"])
        .args(if tcp { &["-t", "t1"][..] } else { &[] })
        .args(extra)
        .output()
        .unwrap();
    unsafe { libc::kill(server.id() as i32, libc::SIGTERM) };
    let status = server.wait().unwrap();
    let errors = scratch.sipp_errors();
    let screen = String::from_utf8_lossy(&out.stdout);
    let tail = common::scratch::last_lines(&screen, 40);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{scenario} ({io}): SIPp reported failed calls after {:?}\n{tail}\n{}\n{errors}",
        started.elapsed(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(screen.contains("Successful call"), "{scenario}: no SIPp summary\n{tail}");
    assert_eq!(status.code(), Some(0), "{scenario}: the server did not exit cleanly");
}

/// Each scenario runs once per I/O backend and transport, on its own ports (poll: 200 above
/// uring; over TCP, 2 500 below).
macro_rules! on_both_backends {
    ($($name:ident: $($arg:expr),+;)+) => {
        mod uring {
            $(#[test]
            fn $name() {
                super::run(("uring", 0, false), $($arg),+);
            })+
        }
        mod poll {
            $(#[test]
            fn $name() {
                super::run(("poll", 200, false), $($arg),+);
            })+
        }
        mod uring_tcp {
            $(#[test]
            fn $name() {
                super::run(("uring", -2_500, true), $($arg),+);
            })+
        }
        mod poll_tcp {
            $(#[test]
            fn $name() {
                super::run(("poll", -2_300, true), $($arg),+);
            })+
        }
    };
}

on_both_backends! {
    basic_call: "basic_call", "basic", 10, 10, 16_000, &["-d", "200"];
    call_rejection: "call_rejection", "busy", 10, 10, 16_010, &[];
    call_cancel: "call_cancel", "slow", 10, 10, 16_020, &[];
    options_ping: "options_ping", "callshard", 10, 10, 16_030, &[];
    hold_resume: "hold_resume", "hold", 5, 5, 16_040, &[];
    early_media: "early_media", "early", 5, 5, 16_050, &[];
    multiple_codecs: "multiple_codecs", "codecs", 5, 5, 16_060, &[];
    forking_test: "forking_test", "fork", 5, 5, 16_070, &[];
    stress_test: "stress_test", "stress", 1000, 500, 16_080, &[];
    timeout_test: "timeout_test", "slow", 2, 2, 16_090, &[];
    timeout_noack: "timeout_noack", "basic", 1, 1, 16_100, &["-nr"];
}
