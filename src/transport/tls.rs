//! One TLS connection's record layer (RFC 3261 26.2.1: SIP over TLS is SIP over a TLS byte
//! stream, framed as on TCP, 18.3), sans-IO: the ciphertext the backend read goes in, the
//! plaintext comes out for the connection's `StreamReceiver`; plaintext to send goes in and the
//! records to write come out for the connection's send queue. rustls does the protocol
//! (`ServerConnection` is itself sans-IO); this keeps its buffers in step with ours, so the
//! backends only move bytes, and turns its failures into the error that closes a connection.

use std::io::Read;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rustls::{ServerConfig, ServerConnection};

use super::StreamError;

/// The TLS side of one accepted connection.
pub struct TlsSession {
    conn: ServerConnection,
    /// When the connection was accepted: its handshake must end within the handshake bound.
    accepted: Instant,
}

impl std::fmt::Debug for TlsSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSession").field("handshaking", &self.conn.is_handshaking()).finish()
    }
}

fn failed(e: impl std::fmt::Display) -> StreamError {
    StreamError::Tls(e.to_string())
}

impl TlsSession {
    /// A server session for a connection accepted at `now`.
    pub fn new(config: Arc<ServerConfig>, now: Instant) -> Result<TlsSession, StreamError> {
        let mut conn = ServerConnection::new(config).map_err(failed)?;
        // The connection's send queue has its own bound (`StreamBounds::max_buffered`), and
        // every write is drained at once; rustls's own limit would only cut a write in two.
        conn.set_buffer_limit(None);
        Ok(TlsSession { conn, accepted: now })
    }

    /// Takes the bytes read from the socket and appends their plaintext to `plain`. `Ok(false)`:
    /// the peer closed the session (close_notify; the plaintext before it is in `plain`), and
    /// ours is queued in answer (RFC 8446 6.1: each side sends one before closing).
    /// `Err`: a handshake failure, an alert from the peer, bytes that are not TLS records.
    pub fn on_received(&mut self, mut data: &[u8], plain: &mut Vec<u8>) -> Result<bool, StreamError> {
        while !data.is_empty() {
            // Never called with nothing: rustls takes a read of zero bytes as the end of the stream.
            let ended = self.conn.read_tls(&mut data).map_err(failed)? == 0;
            let state = self.conn.process_new_packets().map_err(failed)?;
            // Drained after every record batch: rustls refuses to read past a full plaintext buffer.
            let closed = match self.conn.reader().read_to_end(plain) {
                // The end of the plaintext: the peer's close_notify came.
                Ok(_) => true,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => state.peer_has_closed(),
                Err(e) => return Err(failed(e)),
            };
            if ended || closed {
                self.conn.send_close_notify();
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Encrypts `plain` (a whole message, or a pong) for the peer; [`Self::take_outgoing`] has
    /// the records.
    pub fn send(&mut self, plain: &[u8]) -> Result<(), StreamError> {
        self.conn.writer().write_all(plain).map_err(failed)
    }

    /// The bytes to write to the socket: handshake messages, alerts, encrypted messages.
    pub fn take_outgoing(&mut self) -> Option<Bytes> {
        let mut out = Vec::new();
        while self.conn.wants_write() {
            // Writing into a Vec never fails.
            if self.conn.write_tls(&mut out).unwrap_or(0) == 0 {
                break;
            }
        }
        (!out.is_empty()).then(|| Bytes::from(out))
    }

    /// Still negotiating: no SIP message can have come yet.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// The handshake bound at `now`: a peer that connects and never completes a handshake (or
    /// never speaks) holds a connection slot for at most `handshake_timeout`.
    pub fn check(&self, now: Instant, handshake_timeout: Duration) -> Result<(), StreamError> {
        let late = now.saturating_duration_since(self.accepted) >= handshake_timeout;
        match self.is_handshaking() && late {
            true => Err(StreamError::HandshakeTimeout),
            false => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    use rustls::{ClientConfig, ClientConnection, RootCertStore};

    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls").join(name)
    }

    fn pair(now: Instant) -> (ClientConnection, TlsSession) {
        let server = crate::transport::tls_server_config(&fixture("cert.pem"), &fixture("key.pem")).unwrap();
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from_pem_file(fixture("cert.pem")).unwrap()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap()).unwrap();
        (client, TlsSession::new(server, now).unwrap())
    }

    /// Moves the client's records to the session, a byte at a time when `dribble` (any cut of
    /// the stream must do), and the session's answers back; the plaintext the session saw.
    fn exchange(
        client: &mut ClientConnection,
        s: &mut TlsSession,
        dribble: bool,
    ) -> Result<(Vec<u8>, bool), StreamError> {
        let (mut plain, mut open) = (Vec::new(), true);
        for _ in 0..8 {
            let mut wire = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut wire).unwrap();
            }
            let chunks: Vec<&[u8]> = if dribble { wire.chunks(1).collect() } else { vec![&wire[..]] };
            for chunk in chunks.into_iter().filter(|c| !c.is_empty()) {
                open &= s.on_received(chunk, &mut plain)?;
            }
            if let Some(back) = s.take_outgoing() {
                client.read_tls(&mut &back[..]).unwrap();
                client.process_new_packets().unwrap();
            }
        }
        Ok((plain, open))
    }

    #[test]
    fn handshakes_and_carries_messages_both_ways() {
        for dribble in [false, true] {
            let now = Instant::now();
            let (mut client, mut s) = pair(now);
            client.writer().write_all(b"OPTIONS sip:a@b SIP/2.0\r\n").unwrap();
            let (plain, open) = exchange(&mut client, &mut s, dribble).unwrap();
            assert_eq!((&plain[..], open, s.is_handshaking()), (&b"OPTIONS sip:a@b SIP/2.0\r\n"[..], true, false));
            assert_eq!(s.check(now + Duration::from_secs(60), Duration::from_secs(10)), Ok(()));
            s.send(b"SIP/2.0 200 OK\r\n").unwrap();
            client.read_tls(&mut &s.take_outgoing().unwrap()[..]).unwrap();
            client.process_new_packets().unwrap();
            let mut got = Vec::new();
            let _ = client.reader().read_to_end(&mut got);
            assert_eq!(got, b"SIP/2.0 200 OK\r\n");
            // The client's close_notify: the session ends, and answers with its own.
            client.send_close_notify();
            assert_eq!(exchange(&mut client, &mut s, dribble), Ok((Vec::new(), false)));
            assert!(client.process_new_packets().unwrap().peer_has_closed());
        }
    }

    #[test]
    fn refuses_plaintext_and_bounds_the_handshake() {
        let now = Instant::now();
        let (_, mut s) = pair(now);
        let got = s.on_received(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n", &mut Vec::new());
        assert!(matches!(got, Err(StreamError::Tls(_))), "{got:?}");
        let (_, s) = pair(now);
        assert_eq!(s.check(now + Duration::from_millis(999), Duration::from_secs(1)), Ok(()));
        assert_eq!(s.check(now + Duration::from_secs(1), Duration::from_secs(1)), Err(StreamError::HandshakeTimeout));
    }
}
