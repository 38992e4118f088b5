//! Overload control on real sockets: a flood of new INVITEs, far more than the server reads
//! before its socket queue builds, makes it shed (503 Overloaded with Retry-After) while it
//! completes every call it admitted; each call gets exactly one final answer, and once the
//! flood is over a new call is answered again. Both backends.

mod common;

use std::collections::HashMap;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::server::{invite, stat, status_line, Server};

const FLOOD: usize = 3000;

#[test]
fn a_flood_is_shed_and_admitted_calls_complete_uring() {
    a_flood_is_shed_and_admitted_calls_complete("uring", 17_500);
}

#[test]
fn a_flood_is_shed_and_admitted_calls_complete_poll() {
    a_flood_is_shed_and_admitted_calls_complete("poll", 17_510);
}

/// A client socket with room for every answer of the flood.
fn flood_client() -> UdpSocket {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    let _ = s.set_recv_buffer_size(16 << 20);
    s.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into()).unwrap();
    let s: UdpSocket = s.into();
    s.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
    s
}

/// Final status codes (and reason of the first) per Call-ID, and whether a call had a 180.
fn collect(sock: &UdpSocket) -> HashMap<String, (Vec<u16>, bool, String)> {
    let mut calls: HashMap<String, (Vec<u16>, bool, String)> = HashMap::new();
    let mut buf = [0u8; 65536];
    while let Ok((n, _)) = sock.recv_from(&mut buf) {
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        let line = status_line(&text).to_string();
        let code: u16 = line.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let id = text.lines().find_map(|l| l.strip_prefix("Call-ID: ")).unwrap_or_default().to_string();
        let entry = calls.entry(id).or_default();
        match code {
            180 => entry.1 = true,
            c if c >= 200 => {
                if entry.0.is_empty() {
                    entry.2 = text.clone();
                }
                entry.0.push(c);
            }
            _ => {}
        }
    }
    calls
}

fn a_flood_is_shed_and_admitted_calls_complete(io: &str, port: u16) {
    let server =
        Server::start(port, &["--shards", "1", "--io", io, "--overload-onset-ms", "1", "--overload-backlog-kib", "64"]);
    let sock = flood_client();
    let flood: Vec<Vec<u8>> = (0..FLOOD).map(|i| invite(&format!("flood{i}"), "alice")).collect();
    for msg in &flood {
        sock.send_to(msg, ("127.0.0.1", port)).unwrap();
    }
    let calls = collect(&sock);
    let answered = |code: u16| calls.values().filter(|(finals, _, _)| finals.first() == Some(&code)).count();
    let (ok, shed) = (answered(200), answered(503));
    eprintln!("{io}: {ok} answered, {shed} shed of {FLOOD}");
    assert_eq!(calls.len(), FLOOD, "every INVITE is answered");
    assert_eq!(ok + shed, FLOOD, "each with 200 or 503");
    assert!(shed > 0, "the flood was shed ({ok} answered)");
    assert!(ok > 0, "the calls admitted first were answered");
    for (id, (finals, rang, first)) in &calls {
        if finals[0] == 503 {
            assert!(!rang, "{id}: shed after it was admitted");
            assert!(first.contains("SIP/2.0 503 Overloaded\r\n"), "{first}");
            assert!(first.contains("\r\nRetry-After: 5\r\n"), "{first}");
            assert!(finals.iter().all(|&c| c == 503), "{id}: {finals:?}");
        }
    }
    // The flood is over: a new call is admitted again.
    let probe = flood_client();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = String::new();
    while Instant::now() < deadline {
        probe.send_to(&invite(&format!("after{}", last.len()), "alice"), ("127.0.0.1", port)).unwrap();
        let calls = collect(&probe);
        last = calls.values().map(|c| c.2.clone()).collect();
        if calls.values().any(|(finals, _, _)| finals.first() == Some(&200)) {
            break;
        }
    }
    assert!(last.starts_with("SIP/2.0 200"), "not admitted again after the flood: {last}");
    let (code, err) = server.stop();
    assert_eq!(code, Some(0), "{err}");
    let line = err.lines().rev().find(|l| l.starts_with("final:")).expect("a final report");
    assert_eq!(stat(line, "overload:shed") as usize, shed, "{line}");
    assert!(stat(line, "episodes") >= 1, "{line}");
}
