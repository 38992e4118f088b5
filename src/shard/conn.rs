//! One stream connection of a shard, whichever backend drives its socket: who the peer is,
//! which listen address took it, its receive side (`transport::StreamReceiver`: framing,
//! keep-alive, bounds), its TLS record layer on a `tls:` address (`transport::TlsSession`),
//! and the bytes waiting to be written, in order. The backends move bytes only: what they read
//! goes through [`Conn::take_in`], what they write comes from `out`, TLS or not.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::{Buf, Bytes};

use crate::transport::{Popped, StreamBounds, StreamError, StreamReceiver, TlsSession};

/// One connection; `X` is the backend's part (its socket and what it has in flight).
pub struct Conn<X> {
    pub peer: SocketAddr,
    pub(super) listener: u32,
    rx: StreamReceiver,
    /// Between the socket and `rx`/`out` on a TLS connection; boxed, so that the table's
    /// slots stay small for plain TCP.
    tls: Option<Box<TlsSession>>,
    /// Bytes to write, in order (ciphertext on TLS); the front one is trimmed as the kernel
    /// takes it.
    pub out: VecDeque<Bytes>,
    queued: usize,
    /// Shut down: no more reads or writes; freed once the backend has nothing in flight.
    pub closing: bool,
    /// The peer ended TLS in order: to be closed once `out` (our close_notify last) is written.
    pub ending: bool,
    pub io: X,
}

impl<X> Conn<X> {
    pub(super) fn new(peer: SocketAddr, listener: u32, tls: Option<Box<TlsSession>>, io: X, now: Instant) -> Conn<X> {
        let rx = StreamReceiver::new(now);
        Conn { peer, listener, rx, tls, out: VecDeque::new(), queued: 0, closing: false, ending: false, io }
    }

    /// The kernel took `n` bytes of the front of the queue.
    pub fn written(&mut self, n: usize) {
        let mut n = n.min(self.queued);
        self.queued -= n;
        while n > 0 {
            let Some(front) = self.out.front_mut() else { return };
            let k = n.min(front.len());
            front.advance(k);
            n -= k;
            if front.is_empty() {
                self.out.pop_front();
            }
        }
    }

    /// Ended in order and all written: the backend closes it now.
    pub fn done(&self) -> bool {
        self.ending && self.out.is_empty()
    }

    /// Bytes waiting to be written.
    pub(super) fn queued(&self) -> usize {
        self.queued
    }

    fn push_out(&mut self, data: Bytes) {
        self.queued += data.len();
        self.out.push_back(data);
    }

    /// Queues `data` (a message, a pong) for the peer, encrypted on TLS.
    pub(super) fn enqueue(&mut self, data: Bytes) -> Result<(), StreamError> {
        let Some(tls) = self.tls.as_mut() else {
            self.push_out(data);
            return Ok(());
        };
        tls.send(&data)?;
        if let Some(records) = tls.take_outgoing() {
            self.push_out(records);
        }
        Ok(())
    }

    /// Bytes read from the socket, into the receive side: as they are on TCP, their plaintext
    /// on TLS (whose handshake answers and alerts join `out`). `plain` is scratch space.
    /// `Ok(false)`: the peer ended TLS in order (our close_notify is queued); what came before
    /// is still to be popped.
    pub(super) fn take_in(
        &mut self,
        data: &[u8],
        plain: &mut Vec<u8>,
        now: Instant,
        bounds: &StreamBounds,
    ) -> Result<bool, StreamError> {
        let Some(tls) = self.tls.as_mut() else { return self.rx.push(data, now, bounds).map(|()| true) };
        plain.clear();
        let open = tls.on_received(data, plain);
        if let Some(records) = tls.take_outgoing() {
            self.push_out(records);
        }
        let open = open?;
        // Handshake records count as hearing from the peer (the idle bound), as pings do.
        self.rx.push(plain, now, bounds)?;
        Ok(open)
    }

    /// The next message or ping the peer sent.
    pub(super) fn pop(&mut self, now: Instant, bounds: &StreamBounds) -> Result<Option<Popped>, StreamError> {
        self.rx.pop(now, bounds)
    }

    /// The connection's bounds in time at `now`, the TLS handshake's among them.
    pub(super) fn check(&self, now: Instant, bounds: &StreamBounds) -> Result<(), StreamError> {
        self.rx.check(now, bounds)?;
        self.tls.as_ref().map_or(Ok(()), |t| t.check(now, bounds.handshake_timeout))
    }
}
