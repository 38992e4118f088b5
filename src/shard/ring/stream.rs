//! The ring's stream connections. Each TCP listening socket has a multishot accept; each
//! connection a multishot `recv` into the shard's provided buffer ring (the buffers datagrams
//! use: bytes are copied into the connection's receive buffer and the buffer goes back at
//! once, so a thousand quiet connections hold no receive memory, where a plain `recv` SQE per
//! connection would pin a buffer each) and at most one send in flight, so bytes leave in order;
//! a short write sends the rest next. A connection closes by `shutdown`, which ends its
//! receive and any send; its socket is closed once neither is in the kernel any more.

use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd};
use std::time::Instant;

use bytes::Bytes;
use io_uring::{cqueue, opcode, squeue, types};
use socket2::Socket;

use super::super::conns::{Conns, TlsConfig};
use super::super::io::{Arrival, Datagram, Passed};
use super::enter::push;
use super::token::Token;
use super::RingIo;
use crate::transport::{StreamBounds, StreamLocal};

pub struct RingConn {
    socket: Socket,
    recv_armed: bool,
    sending: bool,
}

pub struct RingStreams {
    id: usize,
    pub conns: Conns<RingConn>,
    /// Per socket index: a TCP listening socket.
    pub listening: Vec<bool>,
    /// Connections with bytes queued; those whose receive ended on an empty buffer ring.
    dirty: Vec<u32>,
    unarmed: Vec<u32>,
    expired: Vec<u32>,
}

impl RingStreams {
    pub fn new(id: usize, max: usize, bounds: StreamBounds, listening: Vec<bool>, tls: Vec<TlsConfig>) -> RingStreams {
        let conns = Conns::new(id, max, bounds, tls);
        RingStreams { id, conns, listening, dirty: Vec::new(), unarmed: Vec::new(), expired: Vec::new() }
    }
}

/// The multishot accept of listening socket `n` (in the fixed-file table).
pub fn accept_entry(n: u32) -> squeue::Entry {
    opcode::AcceptMulti::new(types::Fixed(n)).flags(libc::SOCK_CLOEXEC).build().user_data(Token::Accept(n).encode())
}

impl RingIo {
    /// A connection accepted on listening socket `n` (or the accept ended: armed again).
    pub(super) fn on_accept(&mut self, n: u32, result: i32, flags: u32) {
        if !cqueue::more(flags) {
            self.unarmed.push(n);
        }
        let Some(st) = self.streams.as_mut().filter(|_| result >= 0) else { return };
        // SAFETY: the kernel gave us this fresh descriptor; nothing else owns it.
        let socket = unsafe { Socket::from_raw_fd(result) };
        let Some(peer) = super::super::sockets::peer_of(&socket) else { return };
        let conn = RingConn { socket, recv_armed: false, sending: false };
        if let Ok(slot) = st.conns.admit(peer, n, conn, Instant::now()) {
            self.arm_stream(slot);
        }
    }

    fn arm_stream(&mut self, slot: u32) {
        let Some(st) = self.streams.as_mut() else { return };
        let (id, group) = (st.conns.id(slot), self.buffers.group());
        // Never two receives on one stream: their bytes could interleave.
        let Some(c) = st.conns.get_mut(slot).filter(|c| !c.closing && !c.io.recv_armed) else { return };
        c.io.recv_armed = true;
        let entry = opcode::RecvMulti::new(types::Fd(c.io.socket.as_raw_fd()), group).build();
        push(&mut self.uring, entry.user_data(Token::StreamRecv(id).encode()));
    }

    /// Bytes (or the end) of a connection's stream.
    pub(super) fn on_stream_recv(&mut self, id: u64, result: i32, flags: u32, out: &mut Vec<Arrival>) {
        let buffer = cqueue::buffer_select(flags);
        if buffer.is_some() {
            self.buffers.taken();
        }
        let Some(st) = self.streams.as_mut() else { return };
        let slot = st.conns.slot_of(id);
        let open = slot.and_then(|s| st.conns.get_mut(s)).is_some_and(|c| !c.closing);
        let mut close = false;
        if let (Some(b), Some(slot), true) = (buffer, slot.filter(|_| open), result > 0) {
            let data = self.buffers.get(b, result as usize);
            let before = out.len();
            close = st.conns.received(slot, data, Instant::now(), out).is_err();
            self.counters.received += (out.len() - before) as u64;
            if st.conns.get_mut(slot).is_some_and(|c| !c.out.is_empty() && !c.io.sending) {
                st.dirty.push(slot);
            }
        }
        if let Some(b) = buffer {
            self.buffers.give_back(b);
        }
        let Some(slot) = slot else { return };
        if !cqueue::more(flags) {
            if let Some(c) = st.conns.get_mut(slot) {
                c.io.recv_armed = false;
            }
            // An empty buffer ring (or a full completion queue, after data) ends the receive
            // of an open connection: armed again. The end of the stream or an error closes it.
            match (result > 0 || result == -libc::ENOBUFS) && open {
                true => st.unarmed.push(slot),
                false => close = true,
            }
        }
        if close {
            self.close_stream(slot);
        }
    }

    /// The send in flight on a connection completed, wholly or in part.
    pub(super) fn on_stream_sent(&mut self, id: u64, result: i32) {
        let Some(st) = self.streams.as_mut() else { return };
        let Some(slot) = st.conns.slot_of(id) else { return };
        let Some(c) = st.conns.get_mut(slot) else { return };
        c.io.sending = false;
        if result <= 0 {
            return self.close_stream(slot);
        }
        c.written(result as usize);
        match c.closing || c.done() {
            true => self.close_stream(slot),
            false if !c.out.is_empty() => st.dirty.push(slot),
            false => {}
        }
    }

    /// Queues bytes for a connection: this shard's, or handed to the shard that holds it.
    pub(super) fn send_stream(&mut self, s: StreamLocal, local: u32, to: SocketAddr, data: Bytes) {
        match self.streams.as_mut() {
            Some(st) if s.shard as usize == st.id => {
                if let Some(slot) = st.conns.queue(local, to, data) {
                    st.dirty.push(slot);
                }
            }
            Some(_) => {
                let passed = Passed::Outbound(Datagram { data, from: to, local });
                if self.handoffs.push(s.shard as usize, passed).is_err() {
                    self.counters.handoff_dropped += 1;
                }
            }
            None => self.counters.send_failed += 1,
        }
    }

    /// Once a turn: the next send of every connection with bytes queued and none in flight,
    /// receives to arm again, and connections past a time bound closed.
    pub(super) fn start_stream_sends(&mut self) {
        let Some(st) = self.streams.as_mut() else { return };
        let mut expired = std::mem::take(&mut st.expired);
        st.conns.expired(Instant::now(), &mut expired);
        for slot in expired.drain(..) {
            self.close_stream(slot);
        }
        let Some(st) = self.streams.as_mut() else { return };
        st.expired = expired;
        let mut closing = Vec::new();
        for slot in std::mem::take(&mut st.dirty) {
            let id = st.conns.id(slot);
            let Some(c) = st.conns.get_mut(slot) else { continue };
            if c.closing {
                closing.push(slot);
            }
            if c.io.sending || c.closing {
                continue;
            }
            let Some(front) = c.out.front() else { continue };
            c.io.sending = true;
            let fd = types::Fd(c.io.socket.as_raw_fd());
            let len = front.len().min(u32::MAX as usize) as u32;
            // MSG_NOSIGNAL: a peer gone is an error completion, not SIGPIPE.
            let entry = opcode::Send::new(fd, front.as_ptr(), len).flags(libc::MSG_NOSIGNAL).build();
            push(&mut self.uring, entry.user_data(Token::StreamSend(id).encode()));
        }
        for slot in closing {
            self.close_stream(slot);
        }
        if self.buffers.available >= self.buffers.count() / 4 {
            let st = self.streams.as_mut().map(|st| std::mem::take(&mut st.unarmed)).unwrap_or_default();
            st.into_iter().for_each(|slot| self.arm_stream(slot));
        }
    }

    /// Shuts connection `slot` down (its receive and send end in the kernel) and frees it
    /// once nothing of it is in flight.
    fn close_stream(&mut self, slot: u32) {
        let Some(st) = self.streams.as_mut() else { return };
        let id = st.conns.id(slot);
        let Some(c) = st.conns.get_mut(slot) else { return };
        if !c.closing {
            c.closing = true;
            // SAFETY: a live descriptor; shutdown only changes the connection's state.
            unsafe { libc::shutdown(c.io.socket.as_raw_fd(), libc::SHUT_RDWR) };
            if c.io.recv_armed {
                let cancel = opcode::AsyncCancel::new(Token::StreamRecv(id).encode()).build();
                push(&mut self.uring, cancel.user_data(Token::Other.encode()));
            }
        }
        if !c.io.recv_armed && !c.io.sending {
            st.conns.remove(slot);
        }
    }
}
