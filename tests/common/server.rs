//! A real `callshard serve` process for tests: started on a loopback port with the flags a
//! test gives, ready once it answers an OPTIONS, stopped with SIGTERM (or killed when a test
//! fails, so no server outlives its test and shares a port through SO_REUSEPORT).
#![allow(dead_code)]

use std::io::Read;
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_callshard");

pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    /// `callshard serve --listen 127.0.0.1:PORT --stats-interval 0` plus `args`.
    pub fn start(port: u16, args: &[&str]) -> Server {
        let listen = format!("127.0.0.1:{port}");
        let mut all = vec!["serve", "--listen", &listen, "--stats-interval", "0"];
        all.extend_from_slice(args);
        let child = Command::new(BIN).args(&all).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        let server = Server { child, port };
        let probe = client();
        let deadline = Instant::now() + Duration::from_secs(10);
        while exchange(&probe, port, &options("probe")).is_empty() && Instant::now() < deadline {}
        server
    }

    /// Sends SIGTERM and returns (exit code, stderr).
    pub fn stop(mut self) -> (Option<i32>, String) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = self.child.wait().unwrap();
        let mut err = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        std::mem::forget(self);
        (status.code(), err)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    s
}

/// Sends one datagram and collects what comes back within the read timeout.
pub fn exchange(sock: &UdpSocket, port: u16, data: &[u8]) -> Vec<String> {
    sock.send_to(data, ("127.0.0.1", port)).unwrap();
    let mut replies = Vec::new();
    let mut buf = [0u8; 65536];
    while let Ok((n, _)) = sock.recv_from(&mut buf) {
        replies.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    replies
}

pub fn status_line(reply: &str) -> &str {
    reply.split("\r\n").next().unwrap_or_default()
}

/// An OPTIONS whose Call-ID is `ID@test` and whose answer goes back to its source (rport).
pub fn options(id: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:callshard@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{id};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=t{id}\r\nTo: <sip:callshard@127.0.0.1>\r\n\
         Call-ID: {id}@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// An INVITE with SDP to `user`, answered to its source (rport).
pub fn invite(id: &str, user: &str) -> Vec<u8> {
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

/// The value of `name=` in a statistics line, e.g. `stat(&line, "ring:empty")`.
pub fn stat(line: &str, name: &str) -> u64 {
    let key = format!("{name}=");
    let at = line.find(&key).unwrap_or_else(|| panic!("no {key} in {line}")) + key.len();
    line[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

/// The final statistics line of a server's stderr.
pub fn final_line(stderr: &str) -> &str {
    stderr.lines().find(|l| l.starts_with("final: ")).unwrap_or_else(|| panic!("no final line in {stderr}"))
}
