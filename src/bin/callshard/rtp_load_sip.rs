//! Calls for `rtp-load` placed with raw SIP over one UDP socket: INVITE with a G.711 offer,
//! the answer's `m=audio` port, ACK; and BYE at the end. On loopback nothing is retransmitted:
//! a reply that does not come within a second is an error, not something to wait out.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use super::rtp_load_io::{control_socket, pcmu_offer};

/// An answered call: what the BYE needs and where its media goes.
pub struct SipCall {
    call_id: String,
    to_tag: String,
    pub media_port: u16,
}

pub struct SipCalls {
    sock: UdpSocket,
    target: SocketAddr,
    run: u64,
}

impl SipCalls {
    pub fn new(target: SocketAddr) -> Result<SipCalls, String> {
        let (sock, run) = control_socket("SIP", Duration::from_millis(100))?;
        Ok(SipCalls { sock, target, run })
    }

    /// Places call `n` offering G.711 on `rtp_port` of 127.0.0.1.
    pub fn place(&self, n: u32, rtp_port: u16) -> Result<SipCall, String> {
        let call_id = format!("rtpload-{}-{n}", self.run);
        let sdp = pcmu_offer(rtp_port);
        self.send(&self.request("INVITE", &call_id, "", 1, &sdp))?;
        let ok = self.wait_for(&call_id, "SIP/2.0 200")?;
        let to_tag = header(&ok, "to").and_then(|to| to.split(";tag=").nth(1)).ok_or("a 200 without a To tag")?;
        let to_tag = to_tag.split(';').next().unwrap_or_default().trim().to_string();
        let port = ok.lines().find_map(|l| l.strip_prefix("m=audio ")).and_then(|m| m.split(' ').next());
        let media_port = port.and_then(|p| p.parse().ok()).ok_or("a 200 without an m=audio port")?;
        self.send(&self.request("ACK", &call_id, &to_tag, 1, ""))?;
        Ok(SipCall { call_id, to_tag, media_port })
    }

    /// Sends every BYE, then waits for their 200s; returns how many calls did not confirm.
    pub fn hang_up(&self, calls: &[SipCall]) -> usize {
        let mut pending: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for c in calls {
            if self.send(&self.request("BYE", &c.call_id, &c.to_tag, 2, "")).is_ok() {
                pending.insert(&c.call_id);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut buf = vec![0u8; 65_536];
        while !pending.is_empty() && Instant::now() < deadline {
            let Ok(n) = self.sock.recv(&mut buf) else { continue };
            let text = String::from_utf8_lossy(&buf[..n]);
            if text.starts_with("SIP/2.0 200") && text.contains(" BYE") {
                if let Some(id) = header(&text, "call-id") {
                    pending.remove(id);
                }
            }
        }
        pending.len()
    }

    fn send(&self, data: &[u8]) -> Result<(), String> {
        self.sock.send_to(data, self.target).map(drop).map_err(|e| format!("SIP send to {}: {e}", self.target))
    }

    /// Reads replies until the one for `call_id` starting with `status`; a final error fails.
    fn wait_for(&self, call_id: &str, status: &str) -> Result<String, String> {
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut buf = vec![0u8; 65_536];
        while Instant::now() < deadline {
            let Ok(n) = self.sock.recv(&mut buf) else { continue };
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if header(&text, "call-id") != Some(call_id) || text.starts_with("SIP/2.0 1") {
                continue;
            }
            if text.starts_with(status) {
                return Ok(text);
            }
            return Err(format!("{call_id}: {}", text.lines().next().unwrap_or_default()));
        }
        Err(format!("{call_id}: no {status} from {} within 1 s", self.target))
    }

    fn request(&self, method: &str, call_id: &str, to_tag: &str, cseq: u32, body: &str) -> Vec<u8> {
        let port = self.sock.local_addr().map_or(0, |a| a.port());
        let to_tag = if to_tag.is_empty() { String::new() } else { format!(";tag={to_tag}") };
        let ctype = if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" };
        // RFC 3261 8.1.1.7: a fresh branch per transaction; ACK for a 2xx is its own.
        let branch = format!("z9hG4bK{}{cseq}{method}", call_id.replace('-', ""));
        format!(
            "{method} sip:echo@{t} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:rtpload@127.0.0.1>;tag=f{run}\r\nTo: <sip:echo@{t}>{to_tag}\r\n\
             Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContact: <sip:rtpload@127.0.0.1:{port}>\r\n\
             {ctype}Content-Length: {}\r\n\r\n{body}",
            body.len(),
            t = self.target,
            run = self.run,
        )
        .into_bytes()
    }
}

/// The value of the first header named `name` (case-insensitive, full names only).
fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}
