//! `callshard serve` over TLS (RFC 3261 26.2.1, framed as TCP, 18.3): a rustls client that
//! trusts only the test certificate (`tests/fixtures/tls/`, test-only) places a call
//! (INVITE with an SDP offer, ACK, BYE) and sends OPTIONS, and every answer comes back on its
//! connection with our `Via: SIP/2.0/TLS` and `;transport=tls` Contact; connections spread
//! over two shards, their messages handed to the Call-ID's owner and the answers back; a
//! client speaking plaintext SIP to the TLS port, one that refuses our certificate (its
//! alert) and one that never speaks are closed (the last by the handshake bound) without
//! disturbing a good client; bad certificate and key
//! files are refused in one line. Each on both backends. (Debian's SIPp is built without
//! TLS, so the client is rustls.)

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::server::{final_line, stat, Server, BIN};
use common::stream::{closed_after, header};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

type Tls = StreamOwned<ClientConnection, TcpStream>;

fn fixture(name: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "tls", name].iter().collect();
    p.to_string_lossy().into_owned()
}

/// A client configuration whose only root is the test certificate (none: `trusting` false).
fn client_config(trusting: bool) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    if trusting {
        roots.add(CertificateDer::from_pem_file(fixture("cert.pem")).unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions().unwrap();
    Arc::new(builder.with_root_certificates(roots).with_no_client_auth())
}

/// A server on UDP (the readiness probe) and TLS `port`, two shards on backend `io`.
fn server(port: u16, io: &str, extra: &[&str]) -> Server {
    let (tls, cert, key) = (format!("tls:127.0.0.1:{port}"), fixture("cert.pem"), fixture("key.pem"));
    let mut args = vec!["--listen", &tls, "--tls-cert", &cert, "--tls-key", &key, "--shards", "2", "--io", io];
    args.extend_from_slice(extra);
    Server::start(port, &args)
}

fn connect(port: u16) -> Tls {
    connect_with(port, true)
}

fn connect_with(port: u16, trusting: bool) -> Tls {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    StreamOwned::new(ClientConnection::new(client_config(trusting), name).unwrap(), tcp)
}

fn send(s: &mut Tls, data: &[u8]) {
    s.write_all(data).unwrap();
    s.flush().unwrap();
}

/// Reads until `done` holds for what came (or the read ends: `<EOF>` or `<error>` appended).
fn read_until(s: &mut Tls, done: impl Fn(&str) -> bool) -> String {
    let mut got = String::new();
    let mut buf = [0u8; 8192];
    while !done(&got) {
        match s.read(&mut buf) {
            Ok(0) => {
                got.push_str("<EOF>");
                break;
            }
            // The in-process server's ring may interrupt a blocking read; it is not an answer.
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

fn oks(want: usize) -> impl Fn(&str) -> bool {
    move |got: &str| got.matches("SIP/2.0 200 ").count() >= want
}

fn request(method: &str, id: &str, cseq: u32, to: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} sip:echo@127.0.0.1;transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bK{id}{cseq}{method}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=t{id}\r\nTo: {to}\r\nCall-ID: {id}@test\r\n\
         CSeq: {cseq} {method}\r\nContact: <sip:t@127.0.0.1:9;transport=tls>\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn options(id: &str) -> Vec<u8> {
    request("OPTIONS", id, 1, "<sip:echo@127.0.0.1>", "", "")
}

/// INVITE (SDP offer), 180 and 200, ACK, BYE and its 200, then OPTIONS, on one connection;
/// the client ends TLS in order (close_notify) and the server closes the connection.
fn call_over_tls(io: &str, port: u16) {
    let server = server(port, io, &[]);
    let mut s = connect(port);
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n";
    send(&mut s, &request("INVITE", "call", 1, "<sip:echo@127.0.0.1>", "Content-Type: application/sdp\r\n", sdp));
    let got = read_until(&mut s, oks(1));
    // No 100 Trying: the route answers within its 200 ms delay (RFC 3261 17.2.1).
    let (ringing, ok) = (got.find("SIP/2.0 180 "), got.find("SIP/2.0 200 "));
    assert!(ringing.is_some() && ringing < ok, "180 then 200: {got}");
    let ok = &got[got.find("SIP/2.0 200 ").unwrap()..];
    assert_eq!(header(ok, "Via"), "SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bKcall1INVITE", "{ok}");
    assert!(header(ok, "Contact").ends_with(";transport=tls>"), "{ok}");
    assert!(ok.contains("\r\nm=audio "), "an SDP answer: {ok}");
    let to = header(ok, "To").to_string();
    send(&mut s, &request("ACK", "call", 1, &to, "", ""));
    send(&mut s, &request("BYE", "call", 2, &to, "", ""));
    let bye = read_until(&mut s, oks(1));
    assert!(bye.starts_with("SIP/2.0 200 ") && bye.contains("CSeq: 2 BYE\r\n"), "{bye}");
    assert!(bye.contains("Via: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bKcall2BYE"), "{bye}");
    send(&mut s, &options("opts"));
    let opts = read_until(&mut s, oks(1));
    assert!(opts.contains("Call-ID: opts@test") && opts.contains("Via: SIP/2.0/TLS "), "{opts}");
    s.conn.send_close_notify();
    s.flush().unwrap();
    assert!(read_until(&mut s, |_| false).ends_with("<EOF>"), "the server closes after our close_notify");
    let (code, err) = server.stop();
    let line = final_line(&err);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!((stat(line, "established"), stat(line, "active"), stat(line, "accepted")), (1, 0, 1), "{line}");
    assert_eq!((stat(line, "open"), stat(line, "tls-failed")), (0, 0), "{line}");
}

/// Eight connections at once, each with eight Call-IDs (spread over both shards): every
/// answer comes back on its own connection.
fn many_connections(io: &str, port: u16) {
    let server = server(port, io, &[]);
    let clients: Vec<_> = (0..8)
        .map(|c| {
            std::thread::spawn(move || {
                let mut s = connect(port);
                let all: Vec<u8> = (0..8).flat_map(|i| options(&format!("c{c}m{i}"))).collect();
                send(&mut s, &all);
                let got = read_until(&mut s, oks(8));
                (0..8).all(|i| got.contains(&format!("Call-ID: c{c}m{i}@test"))).then_some(()).ok_or(got)
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap().unwrap_or_else(|got| panic!("answers missing: {got}"));
    }
    let (code, err) = server.stop();
    let line = final_line(&err);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!((stat(line, "accepted"), stat(line, "tls-failed")), (8, 0), "{line}");
    assert!(stat(line, "handoff") > 0, "two shards: some messages cross\n{line}");
}

/// Plaintext SIP to the TLS port is closed at once (a TLS failure), as is a client that does
/// not trust our certificate (its alert); a connection that never speaks is closed by the
/// handshake bound; a good client beside them, idle past that bound after its handshake, is
/// still answered.
fn bad_peers_closed(io: &str, port: u16) {
    let server = server(port, io, &["--tls-handshake-timeout-ms", "600"]);
    let mut good = connect(port);
    send(&mut good, &options("good1"));
    assert!(read_until(&mut good, oks(1)).contains("Call-ID: good1@test"));
    let mut plain = TcpStream::connect(("127.0.0.1", port)).unwrap();
    plain.write_all(&options("plain")).unwrap();
    let mut silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut distrusting = connect_with(port, false);
    let refused = distrusting.write_all(&options("distrust")).and_then(|()| distrusting.flush());
    assert!(refused.is_err(), "the client refuses our certificate and sends its alert");
    let plain_closed = closed_after(&mut plain, Duration::from_secs(2)).expect("plaintext is closed");
    assert!(plain_closed < Duration::from_millis(500), "plaintext closed after {plain_closed:?}");
    let silent_closed = closed_after(&mut silent, Duration::from_secs(3)).expect("a silent peer is closed");
    assert!(silent_closed >= Duration::from_millis(200), "silent closed after {silent_closed:?}");
    send(&mut good, &options("good2"));
    assert!(read_until(&mut good, oks(1)).contains("Call-ID: good2@test"), "the good client is still served");
    let (code, err) = server.stop();
    let line = final_line(&err);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!((stat(line, "accepted"), stat(line, "tls-failed"), stat(line, "closed-by-bound")), (4, 2, 1), "{line}");
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
                super::$name("poll", $port + 150);
            })+
        }
    };
}

on_both_backends! {
    call_over_tls: 12_100;
    many_connections: 12_110;
    bad_peers_closed: 12_120;
    embedded: 0;
}

/// The embedding API: `ServerBuilder::tls` with a configuration from PEM files; without one
/// a `tls:` address fails the start.
fn embedded(io: &str, _port: u16) {
    use callshard::app::{Application, Calls};
    use callshard::shard::IoChoice;
    use callshard::transport::{tls_server_config, Listen};
    struct Busy;
    impl Application for Busy {
        fn on_incoming(&mut self, calls: &mut Calls<'_>, call: callshard::session::CallId) {
            let _ = calls.reject(call, 486);
        }
    }
    let io = if io == "poll" { IoChoice::Poll } else { IoChoice::Uring };
    let listen = "tls:127.0.0.1:0".parse::<Listen>().unwrap();
    let refused = callshard::Server::builder().listen(listen).shards(1).io(io).start(|_| Busy);
    let why = refused.err().expect("a tls: address without a certificate is refused").to_string();
    assert!(why.contains("TLS needs a certificate and key"), "{why}");
    let config = tls_server_config(fixture("cert.pem").as_ref(), fixture("key.pem").as_ref()).unwrap();
    let server = callshard::Server::builder()
        .listen(listen)
        .tls(config)
        .shards(2)
        .io(io)
        .drain(Duration::from_millis(200))
        .start(|_| Busy)
        .unwrap();
    let mut s = connect(server.local_addrs()[0].port());
    send(&mut s, &options("embedded"));
    let got = read_until(&mut s, oks(1));
    server.stop();
    let totals = server.join().unwrap();
    assert!(got.starts_with("SIP/2.0 200 "), "{got}\n{}", totals.line());
    assert_eq!((totals.io.streams.accepted, totals.io.streams.tls_failed), (1, 0));
}

/// Missing or wrong certificate and key files: one line naming the flag, the file and the
/// fault, exit 2, before anything listens.
#[test]
fn bad_files_are_refused_in_one_line() {
    let scratch = common::scratch::Scratch::new("callshard-tls-files");
    let other_key = scratch.path().join("other.pem");
    // A valid P-256 PKCS#8 key that is not the certificate's.
    std::fs::write(&other_key, OTHER_KEY).unwrap();
    let garbled = scratch.path().join("garbled.pem");
    std::fs::write(&garbled, "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n").unwrap();
    let not_der = scratch.path().join("not-der.pem");
    std::fs::write(&not_der, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
    let (cert, key) = (fixture("cert.pem"), fixture("key.pem"));
    let other = other_key.to_string_lossy().into_owned();
    let (garbled, not_der) = (garbled.to_string_lossy().into_owned(), not_der.to_string_lossy().into_owned());
    let cases: [(&[&str], &str); 8] = [
        (&[], "--listen tls:127.0.0.1:12390 needs --tls-cert FILE and --tls-key FILE"),
        (&["--tls-cert", &cert], "--tls-cert needs --tls-key"),
        (&["--tls-cert", "/nonexistent.pem", "--tls-key", &key], "--tls-cert /nonexistent.pem: cannot read it: "),
        (&["--tls-cert", &key, "--tls-key", &key], ": no certificate (BEGIN CERTIFICATE) in it"),
        (&["--tls-cert", &cert, "--tls-key", &cert], ": no private key (PKCS#8, RSA or EC PRIVATE KEY) in it"),
        (&["--tls-cert", &cert, "--tls-key", &other], ": does not match the certificate's public key"),
        (&["--tls-cert", &garbled, "--tls-key", &key], "garbled.pem: not valid PEM: "),
        (&["--tls-cert", &not_der, "--tls-key", &key], "not-der.pem: unusable certificate: "),
    ];
    for (flags, want) in cases {
        let out = Command::new(BIN)
            .args(["serve", "--listen", "tls:127.0.0.1:12390", "--stats-interval", "0"])
            .args(flags)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{flags:?}: one line: {err}");
        assert!(err.starts_with("error: ") && err.contains(want), "{flags:?}: {err}");
    }
}

const OTHER_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgYWHMjE3OzWW4Sn4A
V63iv46SY60Y0h8wNm0ppVSgBfChRANCAARJgtGujaXjhd+mJxt5pmiyMMV/P5Bz
G7hL9rk7KJ5dJyJII0iFi1oqbOqf+Vl8dIfA4exv6He/NVOkF/gggVXj
-----END PRIVATE KEY-----
";

/// The configuration file takes the TLS flags as keys (`tls-cert`, `tls-key`), checked alike.
#[test]
fn config_file_keys() {
    let scratch = common::scratch::Scratch::new("callshard-tls-config");
    let file = scratch.path().join("serve.toml");
    let key = fixture("key.pem");
    let text = format!("listen = [\"tls:127.0.0.1:12391\"]\ntls-cert = \"/nonexistent.pem\"\ntls-key = \"{key}\"\n");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(BIN).args(["serve", "--config", file.to_str().unwrap()]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error: --tls-cert /nonexistent.pem: cannot read it: "), "{err}");
}
