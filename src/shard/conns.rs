//! A shard's stream (TCP) connections, whichever backend drives their sockets: who the peer
//! is, which listen address took it, its receive side (`transport::StreamReceiver`: framing,
//! keep-alive, bounds) and the bytes waiting to be written, in order. A framed message leaves
//! as a `Datagram` whose `local` names the connection (`transport::StreamLocal`), so it is
//! routed to the Call-ID's owner like any datagram, and the owner's answer finds its way back.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};

use super::io::{Arrival, Datagram, StreamCounters};
use crate::transport::{Popped, StreamBounds, StreamError, StreamLocal, StreamReceiver, MAX_STREAM_SLOTS};

/// How often the time bounds of every connection are checked: a bound is kept to this much.
const SWEEP: Duration = Duration::from_millis(250);
/// The pong to a CRLFCRLF ping (RFC 5626 3.5.1).
const PONG: &[u8] = b"\r\n";

/// One connection; `X` is the backend's part (its socket and what it has in flight).
pub struct Conn<X> {
    pub peer: SocketAddr,
    listener: u32,
    rx: StreamReceiver,
    /// Bytes to write, in order; the front one is trimmed as the kernel takes it.
    pub out: VecDeque<Bytes>,
    queued: usize,
    /// Shut down: no more reads or writes; freed once the backend has nothing in flight.
    pub closing: bool,
    pub io: X,
}

impl<X> Conn<X> {
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
}

/// The table: slots reused through a free list, each with a generation so that a backend's
/// stale completion never reaches the slot's next connection.
pub struct Conns<X> {
    shard: u32,
    slots: Vec<Option<Conn<X>>>,
    generations: Vec<u32>,
    free: Vec<u32>,
    max: usize,
    pub bounds: StreamBounds,
    next_sweep: Option<Instant>,
    pub counters: StreamCounters,
}

impl<X> Conns<X> {
    /// Shard `shard`'s table of at most `max` connections (capped by what a `local` can name).
    pub fn new(shard: usize, max: usize, bounds: StreamBounds) -> Conns<X> {
        let max = max.min(MAX_STREAM_SLOTS as usize);
        let (slots, generations, free) = (Vec::new(), Vec::new(), Vec::new());
        let counters = StreamCounters::default();
        Conns { shard: shard as u32, slots, generations, free, max, bounds, next_sweep: None, counters }
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
        let rx = StreamReceiver::new(now);
        let conn = Conn { peer, listener, rx, out: VecDeque::new(), queued: 0, closing: false, io };
        self.slots[slot as usize] = Some(conn);
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
    /// a ping queues its pong (the caller writes it). `Err`: close the connection.
    pub fn received(
        &mut self,
        slot: u32,
        data: &[u8],
        now: Instant,
        out: &mut Vec<Arrival>,
    ) -> Result<(), StreamError> {
        let (shard, bounds) = (self.shard, self.bounds);
        let Some(c) = self.slots.get_mut(slot as usize).and_then(|c| c.as_mut()) else { return Ok(()) };
        let local = StreamLocal { listener: c.listener, shard, slot }.encode().unwrap_or(0);
        let result = c.rx.push(data, now, &bounds).and_then(|()| loop {
            match c.rx.pop(now, &bounds)? {
                Some(Popped::Message(data)) => out.push(Arrival::Received(Datagram { data, from: c.peer, local })),
                Some(Popped::Ping) => {
                    c.out.push_back(Bytes::from_static(PONG));
                    c.queued += PONG.len();
                }
                None => return Ok(()),
            }
        });
        if result.is_err() {
            self.counters.closed_by_bound += 1;
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
        c.queued += data.len();
        c.out.push_back(data);
        if c.queued > max_queued {
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
            if c.as_ref().is_some_and(|c| !c.closing && c.rx.check(now, &self.bounds).is_err()) {
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
