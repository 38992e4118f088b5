//! SIPp's built-in `uac_pcap` scenario against `callshard serve --media echo`: SIPp plays a
//! G.711 A-law recording (236 packets) and an RFC 4733 key press (10 packets, its end packet
//! sent three times under one sequence number) into each call. The calls must succeed, and the
//! server must have echoed every packet, counted every distinct one after each stream's first
//! (RFC 3550 A.1 probation), lost none, and seen one digit a call.

mod common;

use std::process::{Command, Stdio};

use common::server::{final_line, stat, Server};

const CALLS: u64 = 2;
const AUDIO: u64 = 236;
const DTMF: u64 = 10;
/// The key press's distinct sequence numbers: the two repeats of its end are duplicates.
const DTMF_DISTINCT: u64 = 8;

fn uac_pcap_echo(io: &str, port: u16, rtp: &str) {
    assert!(
        Command::new("sipp").arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok(),
        "SIPp is not installed: run scripts/test.sh, which installs the Debian package sip-tester"
    );
    let server = Server::start(port, &["--shards", "2", "--io", io, "--media", "echo", "--rtp-ports", rtp]);
    // The scenario plays pcap/g711a.pcap and pcap/dtmf_2833_1.pcap, relative to where it runs.
    let scratch = common::scratch::Scratch::new(&format!("callshard-sipp-pcap-{io}"));
    let dir = scratch.path();
    let _ = std::os::unix::fs::symlink("/usr/share/sip-tester", dir.join("pcap"));
    let target = format!("127.0.0.1:{port}");
    let (local, media) = ((port + 1).to_string(), (port + 500).to_string());
    let out = Command::new("sipp")
        .current_dir(dir)
        .args([&target, "-sn", "uac_pcap", "-i", "127.0.0.1", "-p", &local, "-mp", &media])
        .args(["-m", &CALLS.to_string(), "-r", "2", "-timeout", "60s", "-timeout_error", "-nostdin"])
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "uac_pcap ({io}) failed:\n{screen}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let line = final_line(&stderr);
    let m = line.split("| media ").nth(1).unwrap_or_else(|| panic!("no media figures: {line}"));
    assert_eq!(stat(m, "tx"), CALLS * (AUDIO + DTMF), "every packet echoed: {m}");
    assert_eq!(stat(m, "rx"), CALLS * (AUDIO - 1 + DTMF_DISTINCT - 1), "every packet counted: {m}");
    assert_eq!(stat(m, "lost"), 0, "{m}");
    assert_eq!(stat(m, "digits"), CALLS, "one key press a call: {m}");
    assert_eq!(stat(m, "active"), 0, "{m}");
}

#[test]
fn sipp_uac_pcap_is_echoed_uring() {
    uac_pcap_echo("uring", 16_600, "43200-43399");
}

#[test]
fn sipp_uac_pcap_is_echoed_poll() {
    uac_pcap_echo("poll", 16_700, "43400-43599");
}
