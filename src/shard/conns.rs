//! A shard's table of stream (TCP and TLS) connections ([`Conn`]), whichever backend drives
//! their sockets. A framed message leaves as a `Datagram` whose `local` names the connection
//! (`transport::StreamLocal`), so it is routed to the Call-ID's owner like any datagram, and
//! the owner's answer finds its way back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

pub use super::conn::Conn;
use super::io::{Arrival, Datagram, StreamCounters};
use crate::transport::{Popped, StreamBounds, StreamError, StreamLocal, TlsSession, MAX_STREAM_SLOTS};

/// How often the time bounds of every connection are checked: a bound is kept to this much.
const SWEEP: Duration = Duration::from_millis(250);
/// The pong to a CRLFCRLF ping (RFC 5626 3.5.1).
const PONG: &[u8] = b"\r\n";

/// Per listen address: its TLS configuration when it is a `tls:` one.
pub type TlsConfig = Option<Arc<rustls::ServerConfig>>;

/// The table: slots reused through a free list, each with a generation so that a backend's
/// stale completion never reaches the slot's next connection.
pub struct Conns<X> {
    shard: u32,
    slots: Vec<Option<Conn<X>>>,
    generations: Vec<u32>,
    free: Vec<u32>,
    max: usize,
    pub bounds: StreamBounds,
    /// Per listen index: the TLS configuration of a `tls:` address.
    tls: Vec<TlsConfig>,
    /// Scratch for the plaintext of TLS records, shared by the shard's connections.
    plain: Vec<u8>,
    next_sweep: Option<Instant>,
    pub counters: StreamCounters,
}

impl<X> Conns<X> {
    /// Shard `shard`'s table of at most `max` connections (capped by what a `local` can name);
    /// `tls[i]` is the TLS configuration of listen address `i` when it is a `tls:` one.
    pub fn new(shard: usize, max: usize, bounds: StreamBounds, tls: Vec<TlsConfig>) -> Conns<X> {
        let max = max.min(MAX_STREAM_SLOTS as usize);
        let (slots, generations, free, plain) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let counters = StreamCounters::default();
        Conns { shard: shard as u32, slots, generations, free, max, bounds, tls, plain, next_sweep: None, counters }
    }

    /// Takes a new connection from `peer` on listen address `listener`; gives `io` back when
    /// the shard holds its most already (the caller closes it; counted as refused).
    pub fn admit(&mut self, peer: SocketAddr, listener: u32, io: X, now: Instant) -> Result<u32, X> {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None if self.slots.len() < self.max => {
                self.slots.push(None);
                self.generations.push(0);
                self.slots.len() as u32 - 1
            }
            None => {
                self.counters.refused += 1;
                return Err(io);
            }
        };
        let tls = match self.tls.get(listener as usize).cloned().flatten().map(|c| TlsSession::new(c, now)) {
            Some(Ok(session)) => Some(Box::new(session)),
            None => None,
            Some(Err(_)) => {
                self.free.push(slot);
                self.counters.tls_failed += 1;
                return Err(io);
            }
        };
        self.slots[slot as usize] = Some(Conn::new(peer, listener, tls, io, now));
        self.counters.accepted += 1;
        self.counters.open += 1;
        Ok(slot)
    }

    /// The connection in `slot`.
    pub fn get_mut(&mut self, slot: u32) -> Option<&mut Conn<X>> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    /// A name for the connection in `slot` that a completion can carry: slot and generation.
    pub fn id(&self, slot: u32) -> u64 {
        u64::from(slot) | u64::from(self.generations.get(slot as usize).copied().unwrap_or(0)) << 32
    }

    /// The slot an [`Conns::id`] names, if it still holds the same connection.
    pub fn slot_of(&self, id: u64) -> Option<u32> {
        let slot = id as u32;
        let live = self.slots.get(slot as usize).is_some_and(|c| c.is_some());
        (live && self.generations[slot as usize] == (id >> 32) as u32).then_some(slot)
    }

    /// Bytes read from the connection in `slot`: its whole messages join `out` as datagrams;
    /// a ping queues its pong (the caller writes it, and the TLS handshake's answers too).
    /// `Err`: close the connection; [`Conn::done`] after `out` is written: close it then.
    pub fn received(
        &mut self,
        slot: u32,
        data: &[u8],
        now: Instant,
        out: &mut Vec<Arrival>,
    ) -> Result<(), StreamError> {
        let (shard, bounds, plain) = (self.shard, self.bounds, &mut self.plain);
        let Some(c) = self.slots.get_mut(slot as usize).and_then(|c| c.as_mut()) else { return Ok(()) };
        let local = StreamLocal { listener: c.listener, shard, slot }.encode().unwrap_or(0);
        let result = c.take_in(data, plain, now, &bounds).and_then(|open| loop {
            match c.pop(now, &bounds)? {
                Some(Popped::Message(data)) => out.push(Arrival::Received(Datagram { data, from: c.peer, local })),
                Some(Popped::Ping) => c.enqueue(Bytes::from_static(PONG))?,
                None => {
                    c.ending |= !open;
                    return Ok(());
                }
            }
        });
        match &result {
            Err(StreamError::Tls(_)) => self.counters.tls_failed += 1,
            Err(_) => self.counters.closed_by_bound += 1,
            Ok(()) => {}
        }
        result
    }

    /// Queues `data` for the connection `local` names, if it is still this shard's connection
    /// to `to` (a slot reused for another peer never gets the old peer's bytes). Returns the
    /// slot, for the backend to write; `None` when the connection is gone (counted). A peer
    /// that does not read is closed once its queue passes the buffered-bytes bound.
    pub fn queue(&mut self, local: u32, to: SocketAddr, data: Bytes) -> Option<u32> {
        let max_queued = self.bounds.max_buffered;
        let slot = StreamLocal::decode(local).filter(|s| s.shard == self.shard).map(|s| s.slot);
        let conn = slot.and_then(|s| self.slots.get_mut(s as usize)?.as_mut()).filter(|c| c.peer == to && !c.closing);
        let Some(c) = conn else {
            self.counters.send_dropped += 1;
            return None;
        };
        if data.is_empty() {
            return None;
        }
        if c.enqueue(data).is_err() {
            self.counters.tls_failed += 1;
            c.closing = true;
        } else if c.queued() > max_queued {
            self.counters.closed_by_bound += 1;
            c.closing = true;
        }
        slot
    }

    /// Appends the connections whose time bounds have passed (checked every [`SWEEP`]).
    pub fn expired(&mut self, now: Instant, into: &mut Vec<u32>) {
        if self.next_sweep.is_some_and(|t| now < t) {
            return;
        }
        self.next_sweep = Some(now + SWEEP);
        for (slot, c) in self.slots.iter().enumerate() {
            if c.as_ref().is_some_and(|c| !c.closing && c.check(now, &self.bounds).is_err()) {
                into.push(slot as u32);
                self.counters.closed_by_bound += 1;
            }
        }
    }

    /// Frees `slot` (the backend has closed its socket or is about to).
    pub fn remove(&mut self, slot: u32) -> Option<Conn<X>> {
        let c = self.slots.get_mut(slot as usize)?.take()?;
        // 28 bits: an id fits a ring token's 61 bits of payload with its 14-bit slot.
        self.generations[slot as usize] = self.generations[slot as usize].wrapping_add(1) & 0x0fff_ffff;
        self.free.push(slot);
        self.counters.open -= 1;
        Some(c)
    }

    /// Every slot holding a connection (for the backends' shutdown).
    pub fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots.iter().enumerate().filter(|(_, c)| c.is_some()).map(|(i, _)| i as u32)
    }
}
