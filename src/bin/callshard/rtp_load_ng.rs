//! rtpengine's ng control protocol for `rtp-load --ng`: a cookie and a bencoded dictionary per
//! UDP datagram. Each stream is one call whose two legs are the same client socket: the offer
//! and the answer both name it, so what the socket sends to the port of the answer's SDP is
//! relayed out of the offer's port back to it. That is a relay (one pass through rtpengine's
//! forwarding), measured like an echo.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use super::rtp_load_io::{control_socket, pcmu_offer};

pub struct NgCalls {
    sock: UdpSocket,
    ng: SocketAddr,
    run: u64,
}

impl NgCalls {
    pub fn new(ng: SocketAddr) -> Result<NgCalls, String> {
        let (sock, run) = control_socket("ng", Duration::from_secs(2))?;
        Ok(NgCalls { sock, ng, run })
    }

    /// Opens call `n` with both legs on 127.0.0.1:`rtp_port`; returns the port to send to.
    pub fn open(&self, n: u32, rtp_port: u16) -> Result<u16, String> {
        let sdp = pcmu_offer(rtp_port);
        let call_id = self.call_id(n);
        let offer = [("command", "offer"), ("call-id", &call_id), ("from-tag", "a"), ("sdp", &sdp)];
        self.command(n, &offer)?;
        let answer = [("command", "answer"), ("call-id", &call_id), ("from-tag", "a"), ("to-tag", "b"), ("sdp", &sdp)];
        let reply = self.command(n, &answer)?;
        let sdp = bencoded_string(&reply, "sdp").ok_or("an ng answer without sdp")?;
        let port = sdp.lines().find_map(|l| l.strip_prefix("m=audio ")).and_then(|m| m.split(' ').next());
        port.and_then(|p| p.parse().ok()).ok_or_else(|| "an ng answer's sdp without m=audio".to_string())
    }

    /// Deletes call `n`; failures only count.
    pub fn close(&self, n: u32) -> bool {
        let call_id = self.call_id(n);
        self.command(n, &[("command", "delete"), ("call-id", &call_id), ("from-tag", "a")]).is_ok()
    }

    fn call_id(&self, n: u32) -> String {
        format!("rtpload-{}-{n}", self.run)
    }

    /// Sends one command (keys in bencode's sorted order are not required by rtpengine) and
    /// returns the reply's dictionary, which must say `result: ok`.
    fn command(&self, n: u32, pairs: &[(&str, &str)]) -> Result<String, String> {
        let cookie = format!("{}_{n}", self.run);
        let mut msg = format!("{cookie} d");
        for (k, v) in pairs {
            msg += &format!("{}:{k}{}:{v}", k.len(), v.len());
        }
        msg.push('e');
        self.sock.send_to(msg.as_bytes(), self.ng).map_err(|e| format!("ng send to {}: {e}", self.ng))?;
        let mut buf = vec![0u8; 65_536];
        loop {
            let len = self.sock.recv(&mut buf).map_err(|e| format!("no ng reply from {}: {e}", self.ng))?;
            let reply = String::from_utf8_lossy(&buf[..len]).into_owned();
            let Some(dict) = reply.strip_prefix(&cookie).map(str::trim_start) else { continue };
            return match bencoded_string(dict, "result") {
                Some("ok") => Ok(dict.to_string()),
                _ => Err(format!("ng {}: {dict}", pairs[0].1)),
            };
        }
    }
}

/// The string value of `key` in a flat bencoded dictionary (`3:sdp12:...`).
fn bencoded_string<'a>(dict: &'a str, key: &str) -> Option<&'a str> {
    let at = dict.find(&format!("{}:{key}", key.len()))? + key.len() + 1 + key.len().to_string().len();
    let rest = &dict[at..];
    let (len, value) = rest.split_once(':')?;
    value.get(..len.parse::<usize>().ok()?)
}
