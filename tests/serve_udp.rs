//! `callshard serve` on a real UDP socket: RFC 4475 torture messages get the answers the RFC
//! calls for, OPTIONS and unknown methods get theirs, a bad flag is a one-line error with exit
//! code 2, and SIGTERM drains (new calls get 503) before a final report and exit 0.

use std::io::Read;
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_callshard");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rfc4475");

/// An I/O backend to test, the offset of its ports from the uring run's, and the loopback
/// address its torture-message clients bind (both runs go on at once).
type Backend = (&'static str, u16, &'static str);
const URING: Backend = ("uring", 0, "127.0.0.2");
const POLL: Backend = ("poll", 100, "127.0.0.3");

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start((io, offset, _): Backend, port: u16, extra: &[&str]) -> Server {
        let port = port + offset;
        let listen = format!("127.0.0.1:{port}");
        let mut args = vec!["serve", "--listen", &listen, "--shards", "2", "--stats-interval", "0", "--io", io];
        args.extend_from_slice(extra);
        let child = Command::new(BIN).args(&args).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        let server = Server { child, port };
        // Ready when it answers an OPTIONS.
        let probe = client();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let reply = exchange(&probe, port, &options("probe")).into_iter().next();
            if reply.is_some() || Instant::now() > deadline {
                break;
            }
        }
        server
    }

    /// Sends SIGTERM and returns (exit code, stderr).
    fn stop(mut self) -> (Option<i32>, String) {
        let result = self.terminate();
        std::mem::forget(self);
        result
    }

    fn terminate(&mut self) -> (Option<i32>, String) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = self.child.wait().unwrap();
        let mut err = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        (status.code(), err)
    }
}

/// A test that fails must not leave its server running: SO_REUSEPORT would let the next
/// run's server share the port with it.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    s
}

/// Sends one datagram and collects what comes back within the read timeout.
fn exchange(sock: &UdpSocket, port: u16, data: &[u8]) -> Vec<String> {
    sock.send_to(data, ("127.0.0.1", port)).unwrap();
    let mut replies = Vec::new();
    let mut buf = [0u8; 65536];
    while let Ok((n, _)) = sock.recv_from(&mut buf) {
        replies.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    replies
}

fn status_line(reply: &str) -> &str {
    reply.split("\r\n").next().unwrap_or_default()
}

fn options(id: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:callshard@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{id};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=t{id}\r\nTo: <sip:callshard@127.0.0.1>\r\n\
         Call-ID: {id}@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
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
    let server = Server::start(backend, 15_060, &[]);
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
        let got: Vec<&str> = replies.iter().map(|r| status_line(r)).collect();
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
    let server = Server::start(backend, 15_062, &[]);
    let sock = client();
    let reply = exchange(&sock, server.port, &options("opt2")).remove(0);
    assert!(reply.starts_with("SIP/2.0 200 OK\r\n"));
    for header in
        ["\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n", "\r\nAccept: application/sdp\r\n", "\r\nSupported: "]
    {
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
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
}

fn invite(id: &str, user: &str) -> Vec<u8> {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n";
    format!(
        "INVITE sip:{user}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{id};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=t{id}\r\nTo: <sip:{user}@127.0.0.1>\r\n\
         Call-ID: {id}@test\r\nCSeq: 1 INVITE\r\nContact: <sip:t@127.0.0.1:9>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
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
    let server = Server::start(backend, 15_064, &["--route", "hold=ringing"]);
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
