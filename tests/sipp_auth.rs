//! Digest authentication against a real peer: SIPp runs `sipp_stress/scenarios/uas_auth.xml`,
//! a UAS that answers the INVITE with 401 (MD5, qop=auth), checks the retried INVITE's
//! Authorization with its own `verifyauth`, and answers 200 only if it is right (403 if not).
//! callshard's UAC runs here as an `Endpoint` on a real UDP socket, moved by a small loop.
//! SIPp 3.6.1 verifies MD5 only; SHA-256 is covered by tests/call_auth.rs.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use callshard::session::{CallEvent, Credentials, EndReason, Endpoint, EndpointConfig, PlaceCall};

const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sipp_stress/scenarios/uas_auth.xml");

/// SIPp as a UAS on `port` for one call; killed if the test ends before it does.
/// The child, and its working directory (held for its removal when the test ends).
struct Sipp(Option<Child>, #[allow(dead_code)] common::scratch::Scratch);

impl Sipp {
    fn start(port: u16) -> Sipp {
        assert!(
            Command::new("sipp").arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok(),
            "SIPp is not installed: run scripts/test.sh, which installs the Debian package sip-tester"
        );
        let scratch = common::scratch::Scratch::new(&format!("callshard-sipp-auth-{port}"));
        let dir = scratch.path();
        let (local, media) = (port.to_string(), (port + 500).to_string());
        let child = Command::new("sipp")
            .current_dir(dir)
            .args(["-sf", SCENARIO, "-i", "127.0.0.1", "-p", &local, "-mp", &media, "-m", "1"])
            .args(["-timeout", "20s", "-timeout_error", "-nostdin", "-trace_err"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Ready well before our INVITE's first retransmission (T1, 500 ms) if not before it.
        std::thread::sleep(Duration::from_millis(300));
        Sipp(Some(child), scratch)
    }

    /// Waits for SIPp to finish its call (at most 20 s) and returns what it said.
    fn finish(mut self) -> Output {
        let mut child = self.0.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait_with_output().unwrap()
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Places one call to SIPp on `port` with alice's `password`, hangs up 200 ms after it is
/// established, and returns the call's events once it ends (or after 15 s).
fn call_sipp(port: u16, password: &[u8]) -> Vec<CallEvent> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
    let mut ep = Endpoint::new(EndpointConfig::new(sock.local_addr().unwrap()), Instant::now());
    let uri = format!("sip:bob@127.0.0.1:{port}");
    let peer = SocketAddr::from(([127, 0, 0, 1], port));
    let credentials = Some(Credentials { username: b"alice", password });
    let call =
        ep.place_call(PlaceCall { credentials, ..PlaceCall::new(uri.as_bytes(), peer) }, Instant::now()).unwrap();
    let (mut events, mut hang_up_at) = (Vec::new(), None);
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut buf = vec![0u8; 65536];
    while Instant::now() < deadline && !events.iter().any(|e| matches!(e, CallEvent::Ended { .. })) {
        for o in ep.drain_outputs().collect::<Vec<_>>() {
            match o {
                callshard::session::Output::Transmit { to, data, .. } => {
                    sock.send_to(&data, to).unwrap();
                }
                callshard::session::Output::Event(e) => {
                    if let CallEvent::Established { .. } = e {
                        hang_up_at = Some(Instant::now() + Duration::from_millis(200));
                    }
                    events.push(e);
                }
            }
        }
        if hang_up_at.is_some_and(|t| Instant::now() >= t) {
            hang_up_at = None;
            ep.hangup(call, Instant::now()).unwrap();
            continue;
        }
        if let Ok((n, from)) = sock.recv_from(&mut buf) {
            ep.on_datagram(Bytes::copy_from_slice(&buf[..n]), from, Instant::now());
        }
        if ep.next_deadline().is_some_and(|t| t <= Instant::now()) {
            ep.on_timer(Instant::now());
        }
    }
    events
}

fn ended(events: &[CallEvent]) -> Vec<EndReason> {
    events.iter().filter_map(|e| if let CallEvent::Ended { reason, .. } = e { Some(*reason) } else { None }).collect()
}

fn report(out: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn sipp_accepts_our_md5_answer_to_its_401() {
    let sipp = Sipp::start(17_100);
    let events = call_sipp(17_100, b"secret");
    let out = sipp.finish();
    assert!(events.iter().any(|e| matches!(e, CallEvent::Established { .. })), "{events:?}\n{}", report(&out));
    assert_eq!(ended(&events), [EndReason::LocalHangup], "{}", report(&out));
    assert_eq!(out.status.code(), Some(0), "SIPp counted the call failed:\n{}", report(&out));
}

#[test]
fn sipp_refuses_a_wrong_password_with_403() {
    let sipp = Sipp::start(17_110);
    let events = call_sipp(17_110, b"wrong");
    let out = sipp.finish();
    assert_eq!(ended(&events), [EndReason::Rejected(403)], "{events:?}\n{}", report(&out));
    assert_ne!(out.status.code(), Some(0), "the scenario fails a wrong answer:\n{}", report(&out));
}

#[test]
fn callshard_call_answers_the_challenge_with_the_credentials_given() {
    let sipp = Sipp::start(17_120);
    let out = Command::new(env!("CARGO_BIN_EXE_callshard"))
        .args(["call", "sip:alice@127.0.0.1:17120", "--hold-ms", "200", "--user", "alice", "--password", "secret"])
        .output()
        .unwrap();
    let sipp_out = sipp.finish();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}\n{}", report(&sipp_out));
    assert!(said.contains("200 answered") && said.contains("LocalHangup"), "{said}");
    assert_eq!(sipp_out.status.code(), Some(0), "SIPp counted the call failed:\n{}", report(&sipp_out));
}
