//! The receive side of one stream connection: bytes in as they come, whole SIP messages out
//! (framed by Content-Length, RFC 3261 18.3), keep-alive pings noticed (RFC 5626 3.5.1), and
//! every way a peer can hold memory or time bounded. A bound broken is an error, and the
//! runtime closes the connection: nothing on a stream can be skipped to resynchronise.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::sip::framing::message_length;
use crate::sip::{ParseError, ParseLimits};

/// The bounds of one connection; `ServerConfig` carries them (serve's `--tcp-*` flags).
#[derive(Clone, Copy, Debug)]
pub struct StreamBounds {
    /// Bytes buffered on a connection while a message is incomplete; at least the message
    /// size bound (`ParseLimits::max_message_size`), which a single message may not pass.
    pub max_buffered: usize,
    /// How long a message may take from its first byte to its last: a peer that sends half
    /// a message and stalls is closed after it.
    pub partial_timeout: Duration,
    /// A connection on which nothing arrives for this long is closed (keep-alive pings count:
    /// a client that pings, RFC 5626 4.4.1, keeps its connection).
    pub idle_timeout: Duration,
    /// TLS only: how long after its accept a connection may take to complete its handshake,
    /// so a peer that connects and never speaks TLS does not hold a slot until `idle_timeout`.
    pub handshake_timeout: Duration,
    pub limits: ParseLimits,
}

impl Default for StreamBounds {
    fn default() -> StreamBounds {
        StreamBounds {
            max_buffered: 128 * 1024,
            partial_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(600),
            handshake_timeout: Duration::from_secs(10),
            limits: ParseLimits::default(),
        }
    }
}

/// Why a connection must close.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// Bytes that cannot be a SIP message, or a message that cannot be framed.
    #[error("unframeable stream: {0}")]
    Garbage(ParseError),
    #[error("more than {0} bytes buffered")]
    TooMuch(usize),
    #[error("a message took longer than its bound")]
    PartialTimeout,
    #[error("idle")]
    Idle,
    /// TLS: a handshake failure, an alert from the peer, bytes that are not TLS records.
    #[error("TLS: {0}")]
    Tls(String),
    #[error("TLS handshake not done within its bound")]
    HandshakeTimeout,
}

/// What [`StreamReceiver::pop`] found at the front of the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Popped {
    /// One whole message, to be parsed like a datagram.
    Message(Bytes),
    /// A CRLFCRLF ping: answer it with one CRLF pong (RFC 5626 3.5.1).
    Ping,
}

/// One connection's receive buffer and clocks.
#[derive(Debug)]
pub struct StreamReceiver {
    buf: BytesMut,
    /// Line feeds in the keep-alive run at the front of the stream: every second one ends a
    /// CRLFCRLF ping. The run may be split across reads, so it is counted, not searched.
    feeds: usize,
    /// Bytes of `buf` searched for the end of the header section.
    searched: usize,
    /// Length of the message at the front, once its headers are in.
    need: Option<usize>,
    /// When the message at the front began to arrive.
    partial_since: Option<Instant>,
    last_heard: Instant,
}

impl StreamReceiver {
    pub fn new(now: Instant) -> StreamReceiver {
        let buf = BytesMut::new();
        StreamReceiver { buf, feeds: 0, searched: 0, need: None, partial_since: None, last_heard: now }
    }

    /// Takes bytes read from the connection.
    pub fn push(&mut self, data: &[u8], now: Instant, bounds: &StreamBounds) -> Result<(), StreamError> {
        self.last_heard = now;
        if self.buf.len() + data.len() > bounds.max_buffered {
            return Err(StreamError::TooMuch(bounds.max_buffered));
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// The next message or ping at the front of the stream; `None` until more arrives.
    pub fn pop(&mut self, now: Instant, bounds: &StreamBounds) -> Result<Option<Popped>, StreamError> {
        loop {
            let crlf = self.buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
            if crlf > 0 {
                let feeds = self.feeds + self.buf[..crlf].iter().filter(|&&b| b == b'\n').count();
                let _ = self.buf.split_to(crlf);
                // Two line feeds make a ping; one alone is a pong to a ping of ours.
                self.feeds = feeds % 2;
                if feeds >= 2 {
                    return Ok(Some(Popped::Ping));
                }
                continue;
            }
            if self.buf.is_empty() {
                self.partial_since = None;
                return Ok(None);
            }
            self.feeds = 0;
            self.partial_since.get_or_insert(now);
            if self.need.is_none() && self.headers_ended() {
                self.check_start_line()?;
                self.need = message_length(&self.buf, &bounds.limits).map_err(StreamError::Garbage)?;
            } else if self.need.is_none() {
                if self.buf.len() > bounds.limits.max_message_size {
                    return Err(StreamError::Garbage(ParseError::TooLarge));
                }
                self.first_line_or_wait()?;
                return Ok(None);
            }
            let Some(n) = self.need.filter(|&n| self.buf.len() >= n) else { return Ok(None) };
            let message = self.buf.split_to(n).freeze();
            (self.need, self.searched, self.partial_since) = (None, 0, None);
            return Ok(Some(Popped::Message(message)));
        }
    }

    /// The connection's bounds in time at `now`.
    pub fn check(&self, now: Instant, bounds: &StreamBounds) -> Result<(), StreamError> {
        if self.partial_since.is_some_and(|t| now.saturating_duration_since(t) >= bounds.partial_timeout) {
            return Err(StreamError::PartialTimeout);
        }
        if now.saturating_duration_since(self.last_heard) >= bounds.idle_timeout {
            return Err(StreamError::Idle);
        }
        Ok(())
    }

    /// Bytes waiting for the rest of their message.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Whether the header section's empty line is in the buffer; searches only what is new.
    fn headers_ended(&mut self) -> bool {
        let from = self.searched.saturating_sub(2);
        let found = memchr::memchr_iter(b'\n', &self.buf[from..]).any(|i| {
            let rest = &self.buf[from + i + 1..];
            rest.starts_with(b"\n") || rest.starts_with(b"\r\n")
        });
        self.searched = self.buf.len();
        found
    }

    /// Once the first line is in, it must be a SIP start line, so a stream of garbage is
    /// refused at its first line feed rather than at the size bound.
    fn first_line_or_wait(&self) -> Result<(), StreamError> {
        match memchr::memchr(b'\n', &self.buf) {
            Some(_) => self.check_start_line(),
            None => Ok(()),
        }
    }

    fn check_start_line(&self) -> Result<(), StreamError> {
        let end = memchr::memchr(b'\n', &self.buf).unwrap_or(self.buf.len());
        let line = self.buf[..end].strip_suffix(b"\r").unwrap_or(&self.buf[..end]);
        let sip = line.starts_with(b"SIP/2.0 ") || line.ends_with(b" SIP/2.0");
        match sip && !line.contains(&0) {
            true => Ok(()),
            false => Err(StreamError::Garbage(ParseError::bad("start line", "not a SIP request or status line"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 5\r\n\r\nhello";

    fn drain(r: &mut StreamReceiver, now: Instant, b: &StreamBounds) -> Result<Vec<Popped>, StreamError> {
        let mut out = Vec::new();
        while let Some(p) = r.pop(now, b)? {
            out.push(p);
        }
        Ok(out)
    }

    #[test]
    fn frames_messages_and_pings() {
        let (now, b) = (Instant::now(), StreamBounds::default());
        let mut r = StreamReceiver::new(now);
        let mut bytes = INVITE.to_vec();
        bytes.extend_from_slice(b"\r\n\r\n");
        bytes.extend_from_slice(&INVITE[..30]);
        r.push(&bytes, now, &b).unwrap();
        let m = Popped::Message(Bytes::from_static(INVITE));
        assert_eq!(drain(&mut r, now, &b), Ok(vec![m.clone(), Popped::Ping]));
        r.push(&INVITE[30..], now, &b).unwrap();
        // A lone CRLF (a pong) is skipped; a ping split across reads is still one.
        r.push(b"\r\n", now, &b).unwrap();
        assert_eq!(drain(&mut r, now, &b), Ok(vec![m]));
        r.push(b"\r\n", now, &b).unwrap();
        assert_eq!(drain(&mut r, now, &b), Ok(vec![Popped::Ping]));
        assert_eq!(r.buffered(), 0);
    }

    #[test]
    fn closes_on_garbage_and_bounds() {
        let (now, b) = (Instant::now(), StreamBounds::default());
        let mut r = StreamReceiver::new(now);
        r.push(b"GET / HTTP/1.1\r\nHost: x\r\n", now, &b).unwrap();
        assert!(matches!(r.pop(now, &b), Err(StreamError::Garbage(_))));
        let mut r = StreamReceiver::new(now);
        r.push(b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n", now, &b).unwrap();
        assert_eq!(r.pop(now, &b), Err(StreamError::Garbage(ParseError::MissingContentLength)));
        let small = StreamBounds { max_buffered: 40, ..b };
        let mut r = StreamReceiver::new(now);
        assert_eq!(r.push(INVITE, now, &small), Err(StreamError::TooMuch(40)));
        let mut r = StreamReceiver::new(now);
        r.push(&[b'x'; 70_000][..], now, &StreamBounds { max_buffered: 1 << 20, ..b }).unwrap();
        assert_eq!(r.pop(now, &b), Err(StreamError::Garbage(ParseError::TooLarge)));
    }

    #[test]
    fn times_out_partial_and_idle_connections() {
        let (t0, b) = (Instant::now(), StreamBounds::default());
        let mut r = StreamReceiver::new(t0);
        r.push(&INVITE[..20], t0, &b).unwrap();
        assert_eq!(r.pop(t0, &b), Ok(None));
        assert_eq!(r.check(t0 + b.partial_timeout / 2, &b), Ok(()));
        assert_eq!(r.check(t0 + b.partial_timeout, &b), Err(StreamError::PartialTimeout));
        let mut r = StreamReceiver::new(t0);
        let later = t0 + b.idle_timeout / 2;
        r.push(b"\r\n\r\n", later, &b).unwrap();
        assert_eq!(drain(&mut r, later, &b), Ok(vec![Popped::Ping]));
        assert_eq!(r.check(t0 + b.idle_timeout, &b), Ok(()));
        assert_eq!(r.check(later + b.idle_timeout, &b), Err(StreamError::Idle));
    }
}
