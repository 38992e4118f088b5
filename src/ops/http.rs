//! `GET /metrics` over HTTP/1.1 on a thread of its own: one connection at a time, each
//! answered and closed. A scraper is one Prometheus asking every few seconds, so a plain
//! blocking listener is enough; what a client may cost is bounded (request size, time).

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::metrics::render;
use crate::shard::ShardStats;

/// Bytes of a request read at most (its head: a scrape has no body).
pub const MAX_REQUEST: usize = 8 * 1024;
/// How long a client may take to send its request, and to take the answer.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);
/// A pause after a failed accept (out of file descriptors, say), so the thread does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The metrics endpoint; dropping it stops its thread.
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Listens on `addr` (port 0: the kernel chooses) and serves the figures of `live`, the
    /// vector the shards publish their snapshots into.
    pub fn start(addr: SocketAddr, live: Arc<Mutex<Vec<ShardStats>>>) -> io::Result<MetricsServer> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        // A blocking accept: an idle endpoint costs no wake-ups; `drop` wakes it to stop.
        let thread = std::thread::Builder::new().name("metrics".into()).spawn(move || loop {
            let accepted = listener.accept();
            if flag.load(Ordering::Relaxed) {
                return;
            }
            match accepted {
                // A client's failure (reset, timeout) is its own: the next one is served.
                Ok((stream, _)) => drop(answer(stream, &live)),
                Err(_) => std::thread::sleep(ACCEPT_BACKOFF),
            }
        })?;
        Ok(MetricsServer { addr, stop, thread: Some(thread) })
    }

    /// The address it listens on, with the port the kernel chose for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // A connection of our own ends the thread's accept; a wildcard address is reached on
        // the loopback of its family. Without that connection the thread is left to the exit.
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(if wake.is_ipv4() { Ipv4Addr::LOCALHOST.into() } else { Ipv6Addr::LOCALHOST.into() });
        }
        if TcpStream::connect_timeout(&wake, CLIENT_TIMEOUT).is_ok() {
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// Reads one request head and answers it: 200 with the metrics for `GET /metrics`, 404 for
/// another path, 405 for another method, 400 for what is not HTTP.
fn answer(mut stream: TcpStream, live: &Arc<Mutex<Vec<ShardStats>>>) -> io::Result<()> {
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST {
        match stream.read(&mut buf)? {
            0 => break,
            n => head.extend_from_slice(&buf[..n]),
        }
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut parts = std::str::from_utf8(line).unwrap_or_default().split_whitespace();
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    let path = target.map(|t| t.split('?').next().unwrap_or(t));
    let (status, body) = match (method, path, version) {
        (Some(_), Some(_), Some(v)) if !v.starts_with("HTTP/1.") => ("400 Bad Request", String::from("bad request\n")),
        (Some("GET"), Some("/metrics"), Some(_)) => match render(live) {
            Ok(text) => ("200 OK", text),
            Err(_) => ("500 Internal Server Error", String::from("encoding failed\n")),
        },
        (Some("GET"), Some(_), Some(_)) => ("404 Not Found", String::from("not found: try /metrics\n")),
        (Some(_), Some(_), Some(_)) => ("405 Method Not Allowed", String::from("only GET\n")),
        _ => ("400 Bad Request", String::from("bad request\n")),
    };
    let kind = if status.starts_with("200") { CONTENT_TYPE } else { "text/plain; charset=utf-8" };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}
