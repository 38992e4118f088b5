//! `callshard serve` over TCP (RFC 3261 18): SIPp's built-in `uac` over one shared connection
//! (`-t t1`) and over a connection per call (`-t tn`), with two shards so that messages cross
//! to the shard owning their Call-ID and the answers cross back to the connection; a stalled
//! client and a garbage stream are closed without disturbing the calls beside them; idle
//! connections close; CRLFCRLF pings get their pong (RFC 5626 3.5.1). Each on both backends.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::server::{final_line, stat, Server};
use common::stream::{closed_after, header};

/// SIPp's `uac` against `port` over `transport` (`t1`, `tn`): `calls` calls at `rate`; its
/// output and its error log.
fn sipp_uac(port: u16, transport: &str, calls: u32, rate: u32) -> (Output, String) {
    let scratch = common::scratch::Scratch::new(&format!("callshard-sipp-tcp-{port}"));
    let out = Command::new("sipp")
        .current_dir(scratch.path())
        .args([&format!("127.0.0.1:{port}"), "-sn", "uac", "-t", transport, "-i", "127.0.0.1"])
        .args(["-p", &(port + 1).to_string(), "-m", &calls.to_string(), "-r", &rate.to_string()])
        .args(["-timeout", "30s", "-timeout_error", "-nostdin", "-max_socket", "1000", "-trace_err"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let errors = scratch.sipp_errors();
    (out, errors)
}

fn assert_sipp_ok((out, errors): &(Output, String), what: &str) {
    let screen = String::from_utf8_lossy(&out.stdout);
    let tail: Vec<&str> = screen.lines().rev().take(30).collect();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{what}: SIPp failed\n{}\n{err}\n{errors}", tail.join("\n"));
}

/// A server on UDP and TCP `port` with two shards on backend `io`.
fn server(port: u16, io: &str, extra: &[&str]) -> Server {
    let tcp = format!("tcp:127.0.0.1:{port}");
    let mut args = vec!["--listen", &tcp, "--shards", "2", "--io", io];
    args.extend_from_slice(extra);
    Server::start(port, &args)
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// An OPTIONS over TCP with Call-ID `id@test`.
fn options(id: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:callshard@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK{id}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=t{id}\r\nTo: <sip:callshard@127.0.0.1>\r\n\
         Call-ID: {id}@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// Reads until `want` responses' status lines came (or the read times out).
fn read_responses(s: &mut TcpStream, want: usize) -> String {
    let mut got = String::new();
    let mut buf = [0u8; 8192];
    while got.matches("SIP/2.0 200").count() < want {
        match s.read(&mut buf) {
            Ok(0) => {
                got.push_str("<EOF>");
                break;
            }
            // The in-process servers' rings may interrupt a blocking read; it is not an answer.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                got.push_str(&format!("<{e}>"));
                break;
            }
            Ok(n) => got.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
    got
}

fn shared_connection(io: &str, port: u16) {
    let server = server(port, io, &[]);
    let out = sipp_uac(port, "t1", 40, 40);
    let (code, err) = server.stop();
    assert_sipp_ok(&out, &format!("uac -t t1\n{err}"));
    let line = final_line(&err);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!((stat(line, "established"), stat(line, "accepted")), (40, 1), "{line}");
    assert!(stat(line, "handoff") > 0, "two shards, one connection: some calls cross\n{line}");
}

fn connection_per_call(io: &str, port: u16) {
    let server = server(port, io, &[]);
    let out = sipp_uac(port, "tn", 30, 30);
    let (code, err) = server.stop();
    assert_sipp_ok(&out, "uac -t tn");
    let line = final_line(&err);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!((stat(line, "established"), stat(line, "accepted")), (30, 30), "{line}");
}

fn answers_on_the_connection(io: &str, port: u16) {
    let server = server(port, io, &[]);
    let mut s = connect(port);
    // Eight Call-IDs spread over both shards, in one write: every answer comes back here.
    let all: Vec<u8> = (0..8).flat_map(|i| options(&format!("multi{i}"))).collect();
    s.write_all(&all).unwrap();
    let got = read_responses(&mut s, 8);
    assert_eq!(got.matches("SIP/2.0 200").count(), 8, "{got}");
    assert!(got.contains("Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKmulti0"), "{got}");
    // A CRLFCRLF ping gets one CRLF (RFC 5626 3.5.1).
    s.write_all(b"\r\n\r\n").unwrap();
    let mut pong = [0u8; 2];
    s.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"\r\n");
    drop(server);
}

fn bounds_close_bad_peers(io: &str, port: u16) {
    let server = server(port, io, &["--tcp-partial-timeout-ms", "700", "--tcp-idle-timeout", "2"]);
    let mut stalled = connect(port);
    stalled.write_all(&options("stalled")[..60]).unwrap();
    let mut garbage = connect(port);
    garbage.write_all(b"GET / HTTP/1.1\r\nHost: callshard\r\n\r\n").unwrap();
    let mut idle = connect(port);
    idle.write_all(&options("idle")).unwrap();
    assert_eq!(read_responses(&mut idle, 1).matches("SIP/2.0 200").count(), 1);
    let calls = std::thread::spawn(move || sipp_uac(port, "t1", 20, 20));
    let garbage_closed = closed_after(&mut garbage, Duration::from_secs(2)).expect("garbage is closed");
    assert!(garbage_closed < Duration::from_millis(700), "garbage closed after {garbage_closed:?}");
    let stalled_closed = closed_after(&mut stalled, Duration::from_secs(3)).expect("a stalled peer is closed");
    assert!(stalled_closed >= Duration::from_millis(300), "stalled closed after {stalled_closed:?}");
    let idle_closed = closed_after(&mut idle, Duration::from_secs(4)).expect("an idle connection is closed");
    assert!(idle_closed >= Duration::from_millis(500), "idle closed after {idle_closed:?}");
    assert_sipp_ok(&calls.join().unwrap(), "uac -t t1 beside bad peers");
    let (code, err) = server.stop();
    let line = final_line(&err);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(stat(line, "established"), 20, "{line}");
    assert!(stat(line, "closed-by-bound") >= 3, "{line}");
}

fn too_many_connections(io: &str, port: u16) {
    let server = server(port, io, &["--max-connections", "2"]);
    // Two shards hold two each; the kernel spreads connections by source port.
    let mut held: Vec<TcpStream> = (0..12).map(|_| connect(port)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut open = 0;
    for s in &mut held {
        s.write_all(&options(&format!("many{open}{}", s.local_addr().unwrap().port()))).ok();
        open += usize::from(read_responses(s, 1).contains("SIP/2.0 200"));
    }
    assert!((1..=4).contains(&open), "{open} connections answered");
    let (_, err) = server.stop();
    assert!(stat(final_line(&err), "refused") >= 8, "{err}");
}

macro_rules! on_both_backends {
    ($($name:ident: $port:expr;)+) => {
        mod uring {
            $(#[test]
            fn $name() {
                super::$name("uring", $port);
            })+
        }
        mod poll {
            $(#[test]
            fn $name() {
                super::$name("poll", $port + 200);
            })+
        }
    };
}

on_both_backends! {
    shared_connection: 13_100;
    connection_per_call: 13_110;
    answers_on_the_connection: 13_120;
    bounds_close_bad_peers: 13_130;
    too_many_connections: 13_140;
    our_bye_reuses_the_connection: 13_150;
    embedded: 0;
}

/// The embedding API takes a TCP `Listen` too (port 0: the kernel's choice, shared by shards).
fn embedded(io: &str, _port: u16) {
    use callshard::app::{Application, Calls};
    use callshard::shard::IoChoice;
    use callshard::transport::Listen;
    struct Busy;
    impl Application for Busy {
        fn on_incoming(&mut self, calls: &mut Calls<'_>, call: callshard::session::CallId) {
            let _ = calls.reject(call, 486);
        }
    }
    let server = callshard::Server::builder()
        .listen("tcp:127.0.0.1:0".parse::<Listen>().unwrap())
        .shards(2)
        .io(if io == "poll" { IoChoice::Poll } else { IoChoice::Uring })
        .max_connections(8)
        .drain(Duration::from_millis(200))
        .start(|_| Busy)
        .unwrap();
    let port = server.local_addrs()[0].port();
    let mut s = connect(port);
    s.write_all(&options("embedded")).unwrap();
    let started = Instant::now();
    let got = read_responses(&mut s, 1);
    let waited = started.elapsed();
    server.stop();
    let totals = server.join().unwrap();
    assert!(got.starts_with("SIP/2.0 200"), "after {waited:?}: {got:?}\n{}", totals.line());
    assert_eq!(totals.io.streams.accepted, 1);
}

/// An INVITE over TCP with an SDP offer, Call-ID `id@test`.
fn invite(id: &str) -> Vec<u8> {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n";
    format!(
        "INVITE sip:echo@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK{id}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=t{id}\r\nTo: <sip:echo@127.0.0.1>\r\n\
         Call-ID: {id}@test\r\nCSeq: 1 INVITE\r\nContact: <sip:t@127.0.0.1:9;transport=tcp>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
}

/// Answers a call, ACKs it, and waits for the BYE the server sends when no media arrives:
/// it must come on the connection the call came on. When `close` is set, the connection is
/// closed after the ACK instead, and the BYE is dropped and counted (`send-gone`).
fn our_bye_reuses_the_connection(io: &str, port: u16) {
    let server = server(port, io, &["--media", "echo", "--media-timeout", "1"]);
    for (id, close) in [("byecall", false), ("gonecall", true)] {
        let mut s = connect(port);
        s.write_all(&invite(id)).unwrap();
        let ok = read_responses(&mut s, 1);
        let to = header(&ok, "To");
        assert!(header(&ok, "Contact").ends_with(";transport=tcp>"), "{ok}");
        let ack = format!(
            "ACK sip:callshard@127.0.0.1:{port};transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKa{id}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=t{id}\r\nTo: {to}\r\nCall-ID: {id}@test\r\n\
             CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
        );
        s.write_all(ack.as_bytes()).unwrap();
        if close {
            drop(s);
            std::thread::sleep(Duration::from_millis(2_500));
            continue;
        }
        let mut got = String::new();
        let mut buf = [0u8; 4096];
        while !got.contains("\r\n\r\n") || !got.starts_with("BYE ") {
            let n = match s.read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                read => read.expect("a BYE within the read timeout"),
            };
            assert!(n > 0, "closed before the BYE: {got}");
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        assert!(header(&got, "Via").starts_with("SIP/2.0/TCP "), "{got}");
        let ok = format!(
            "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {id}@test\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
            header(&got, "Via"),
            header(&got, "From"),
            header(&got, "To"),
            header(&got, "CSeq")
        );
        s.write_all(ok.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, err) = server.stop();
    let line = final_line(&err);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!((stat(line, "established"), stat(line, "active")), (2, 0), "{line}");
    assert!(stat(line, "send-gone") >= 1, "the second call's BYE had no connection\n{line}");
}
