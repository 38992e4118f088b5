//! `callshard serve` on a real UDP socket: RFC 4475 torture messages get the answers the RFC
//! calls for, OPTIONS and unknown methods get theirs, a bad flag is a one-line error with exit
//! code 2, and SIGTERM drains (new calls get 503) before a final report and exit 0.

mod common;

use std::net::UdpSocket;
use std::process::Command;
use std::time::Duration;

use common::server::{client, exchange, invite, options, status_line, Server, BIN};
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rfc4475");

/// An I/O backend to test, the offset of its ports from the uring run's, and the loopback
/// address its torture-message clients bind (both runs go on at once).
type Backend = (&'static str, u16, &'static str);
const URING: Backend = ("uring", 0, "127.0.0.2");
const POLL: Backend = ("poll", 100, "127.0.0.3");

/// Two shards on `backend`, at `port` plus the backend's offset.
fn start((io, offset, _): Backend, port: u16, args: &[&str]) -> Server {
    let mut all = vec!["--shards", "2", "--io", io];
    all.extend_from_slice(args);
    Server::start(port + offset, &all)
}

/// The value of the first Call-ID line of a raw message, if it has one.
fn call_id_of(data: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(data).ok()?;
    let line = text.lines().find(|l| l.starts_with("Call-ID:") || l.starts_with("i:"))?;
    Some(line.split_once(':')?.1.trim())
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}.dat")).unwrap()
}

/// The fixtures' Vias have no `rport`, so answers go to the source address at the Via's port
/// (RFC 3261 18.2.2): listen on `ip` (127.0.0.x) at that port (5060 unless the Via says otherwise).
fn via_port_socket(ip: &str, data: &[u8]) -> UdpSocket {
    let msg = callshard::sip::Message::index(bytes::Bytes::copy_from_slice(data), &Default::default()).unwrap();
    let port = msg.top_via_for_routing().and_then(|v| v.port).unwrap_or(5060);
    let s = UdpSocket::bind((ip, port)).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    s
}

#[test]
fn torture_messages_over_udp_get_the_rfc_answers_uring() {
    torture_messages_over_udp_get_the_rfc_answers(URING);
}

#[test]
fn torture_messages_over_udp_get_the_rfc_answers_poll() {
    torture_messages_over_udp_get_the_rfc_answers(POLL);
}

fn torture_messages_over_udp_get_the_rfc_answers(backend: Backend) {
    let server = start(backend, 15_060, &[]);
    let expect: &[(&str, &str)] = &[
        ("badinv01", "SIP/2.0 400 Bad Via"),
        ("clerr", "SIP/2.0 400 Body Shorter Than Content-Length"),
        ("scalar02", "SIP/2.0 400 Bad CSeq"),
        ("quotbal", "SIP/2.0 400 Bad To"),
        ("ltgtruri", "SIP/2.0 400 Bad Request-URI"),
        ("lwsruri", "SIP/2.0 400 Bad Request-URI"),
        ("escruri", "SIP/2.0 400 Bad Request-URI"),
        ("baddate", "SIP/2.0 400 Bad Date"),
        ("regbadct", "SIP/2.0 400 Bad Contact"),
        ("badvers", "SIP/2.0 505 Version Not Supported"),
        ("mismatch01", "SIP/2.0 400 CSeq Method Mismatch"),
        ("insuf", "SIP/2.0 400 Missing From"),
        ("unkscm", "SIP/2.0 416 Unsupported URI Scheme"),
        ("novelsc", "SIP/2.0 416 Unsupported URI Scheme"),
        ("multi01", "SIP/2.0 400 Conflicting Call-ID"),
        ("mcl01", "SIP/2.0 400 Conflicting Content-Length"),
        // Valid requests: OPTIONS get 200; an INVITE we cannot take gets what the RFC says.
        ("lwsdisp", "SIP/2.0 200 OK"),
        ("zeromf", "SIP/2.0 200 OK"),
        ("bext01", "SIP/2.0 420 Bad Extension"),
        ("sdp01", "SIP/2.0 406 Not Acceptable"),
        ("invut", "SIP/2.0 415 Unsupported Media Type"),
        ("regaut01", "SIP/2.0 405 Method Not Allowed"),
    ];
    for (name, want) in expect {
        let data = fixture(name);
        let replies = exchange(&via_port_socket(backend.2, &data), server.port, &data);
        // Only this request's answers: the fixtures share Vias, and an earlier INVITE's final
        // response, never ACKed here, is retransmitted (Timer G) into a later exchange.
        let call_id = call_id_of(&data);
        let got: Vec<&str> =
            replies.iter().filter(|r| call_id.is_none_or(|id| r.contains(id))).map(|r| status_line(r)).collect();
        assert_eq!(got.last().copied(), Some(*want), "{name}: {got:?}");
    }
    // Responses and unreadable messages are dropped: no answer at all.
    let sock = client();
    for name in ["bigcode", "scalarlg", "test"] {
        assert!(exchange(&sock, server.port, &fixture(name)).is_empty(), "{name} must be dropped");
    }
    let (code, err) = server.stop();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("final: "), "{err}");
    assert!(err.contains("malformed=16"), "every malformed request counted: {err}");
}

#[test]
fn options_and_unknown_methods_uring() {
    options_and_unknown_methods(URING);
}

#[test]
fn options_and_unknown_methods_poll() {
    options_and_unknown_methods(POLL);
}

fn options_and_unknown_methods(backend: Backend) {
    let server = start(backend, 15_062, &[]);
    let sock = client();
    let reply = exchange(&sock, server.port, &options("opt2")).remove(0);
    assert!(reply.starts_with("SIP/2.0 200 OK\r\n"));
    for header in [
        "\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY\r\n",
        "\r\nAccept: application/sdp\r\n",
        "\r\nSupported: ",
    ] {
        assert!(reply.contains(header), "{header:?} in {reply}");
    }
    assert!(reply.contains(";rport=") && reply.contains(";received=127.0.0.1"), "{reply}");
    let frob = String::from_utf8(options("frob")).unwrap().replace("OPTIONS", "FROB");
    let reply = exchange(&sock, server.port, frob.as_bytes()).remove(0);
    assert!(reply.starts_with("SIP/2.0 501 Not Implemented\r\n") && reply.contains("\r\nAllow: "), "{reply}");
    assert_eq!(server.stop().0, Some(0));
}

#[test]
fn bad_flags_are_one_line_errors_with_exit_code_2() {
    for args in [
        &["serve", "--shards", "zero"][..],
        &["serve", "--route", "x=dance"],
        &["serve", "--rtp-ports", "5000"],
        &["serve", "--nope"],
        &["serve", "--io", "dance"],
        &["serve", "--ring-buffers", "1000"],
        &["serve", "--max-message", "70000"],
        &["serve", "--listen", "localhost"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
}

#[test]
fn sigterm_drains_new_calls_get_503_then_exit_0_uring() {
    sigterm_drains_new_calls_get_503_then_exit_0(URING);
}

#[test]
fn sigterm_drains_new_calls_get_503_then_exit_0_poll() {
    sigterm_drains_new_calls_get_503_then_exit_0(POLL);
}

fn sigterm_drains_new_calls_get_503_then_exit_0(backend: Backend) {
    let server = start(backend, 15_064, &["--route", "hold=ringing"]);
    let sock = client();
    let ringing = exchange(&sock, server.port, &invite("d1", "hold"));
    assert!(ringing.iter().any(|r| r.starts_with("SIP/2.0 180 Ringing")), "{ringing:?}");
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
    std::thread::sleep(Duration::from_millis(300));
    let refused = exchange(&sock, server.port, &invite("d2", "anyone"));
    let refused = refused.iter().find(|r| r.starts_with("SIP/2.0 503")).expect("503 while draining");
    assert!(refused.contains("\r\nRetry-After: "), "{refused}");
    let (code, err) = server.stop();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("busy503=1"), "{err}");
}

#[test]
fn several_listen_addresses_answer_from_the_address_asked_uring() {
    several_listen_addresses_answer_from_the_address_asked(URING);
}

#[test]
fn several_listen_addresses_answer_from_the_address_asked_poll() {
    several_listen_addresses_answer_from_the_address_asked(POLL);
}

/// `--listen` three times (two IPv4 addresses and IPv6 loopback, same port): each request is
/// answered from the address it was sent to (RFC 3581 4), and a call's Contact names it.
fn several_listen_addresses_answer_from_the_address_asked((io, offset, _): Backend) {
    let port = 15_066 + offset;
    let listen: Vec<String> = ["127.0.0.1", "127.0.0.4", "[::1]"].iter().map(|h| format!("{h}:{port}")).collect();
    let mut args = vec!["--io", io, "--shards", "2"];
    for l in &listen {
        args.extend(["--listen", l]);
    }
    let server = Server::start(port, &args);
    for (i, target) in listen.iter().enumerate() {
        let target: std::net::SocketAddr = target.parse().unwrap();
        let sock = UdpSocket::bind(if target.is_ipv4() { "127.0.0.1:0" } else { "[::1]:0" }).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
        for (n, request) in [options(&format!("multi{i}")), invite(&format!("multi{i}"), "anyone")].iter().enumerate() {
            let text = String::from_utf8(request.clone())
                .unwrap()
                .replace("127.0.0.1:9", &sock.local_addr().unwrap().to_string());
            sock.send_to(text.as_bytes(), target).unwrap();
            let mut buf = [0u8; 4096];
            let (len, from) = sock.recv_from(&mut buf).unwrap();
            let reply = String::from_utf8_lossy(&buf[..len]);
            assert_eq!(from, target, "the answer to {target} comes from {target}: {reply}");
            if n == 1 {
                let contact = reply.lines().find(|l| l.starts_with("Contact:")).unwrap_or_default();
                assert!(contact.contains(&target.to_string()), "{target}: {contact}");
            }
        }
    }
    assert_eq!(server.stop().0, Some(0));
}
