//! What the TCP and TLS serve tests share about a stream connection: how long the server
//! takes to close one, and reading a header out of what came back.
#![allow(dead_code)]

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How long until the server closes `s` (reading what comes meanwhile); `None` past `limit`.
pub fn closed_after(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(start.elapsed()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
            Ok(_) if start.elapsed() > limit => return None,
            Ok(_) => {}
        }
    }
}

/// The value of header `name` in the first message of `text` that has it.
pub fn header<'a>(text: &'a str, name: &str) -> &'a str {
    let at = text.find(&format!("\r\n{name}: ")).unwrap_or_else(|| panic!("no {name} in {text}")) + name.len() + 4;
    &text[at..at + text[at..].find("\r\n").unwrap()]
}
