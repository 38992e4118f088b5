//! The io_uring backend: one ring per shard carries every socket's receives (multishot
//! `recvmsg` into a provided buffer ring), every send (a `send` SQE each), the doorbells of
//! hand-offs to other shards (a lock-free queue per shard; IORING_OP_MSG_RING posts a completion
//! into the owner's ring once per turn) and the wait for the next timer (the enter's timeout).
//! A turn is one `io_uring_enter`: submit what the last turn queued, wait, then reap.

mod bufring;
mod complete;
mod config;
mod enter;
mod files;
mod handoff;
mod sends;
pub mod setup;
mod stream;
mod token;

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use io_uring::{opcode, squeue, types, IoUring};
use socket2::Socket;

use super::io::{Arrival, Datagram, IoCounters, Passed, ShardIo};
use super::sockaddr::SOCKADDR_LEN;
use crate::transport::StreamLocal;
use bufring::ProvidedBuffers;
pub use config::RingConfig;
use enter::push;
use handoff::Handoffs;
use sends::SendSlots;
pub use setup::Directory;
pub use stream::RingStreams;
use token::Token;

/// `IORING_RECVSEND_POLL_FIRST`: arm a poll before trying to receive. Without it, sockets that
/// share a drained buffer ring spin in ENOBUFS (measured in C: 35-56 % of packets lost).
const POLL_FIRST: u16 = 1;
/// Completions a batch wait waits for at most.
const BATCH: usize = 64;
/// Room before the payload in each receive buffer: `io_uring_recvmsg_out` and the address.
const RECV_HEADER: usize = 16 + SOCKADDR_LEN;

pub struct RingIo {
    /// Declared first so it closes first: nothing may still write into the buffers below.
    uring: IoUring,
    /// Every socket in the fixed-file table, by index: the `--listen` ones first, then those
    /// added while the shard runs ([`ShardIo::add_socket`]). Closed with the backend.
    sockets: Vec<Socket>,
    /// Slots in the fixed-file table: no socket beyond it.
    table: u32,
    /// The multishot template: only `msg_namelen` matters. Boxed, as the kernel reads it.
    recv_header: Box<libc::msghdr>,
    /// Sockets whose multishot receive ended and must be armed again.
    unarmed: Vec<u32>,
    buffers: ProvidedBuffers,
    sends: SendSlots,
    handoffs: Handoffs,
    packed: BytesMut,
    counters: IoCounters,
    batch_wait_us: u32,
    /// The `--listen` sockets: the first of `sockets`.
    sip_sockets: usize,
    /// TCP listening sockets and connections, when a listen address is TCP.
    streams: Option<RingStreams>,
    /// Bytes other shards handed us for our connections, this turn.
    outbound: Vec<Datagram>,
}

impl RingIo {
    /// Shard `id`'s ring over its sockets. Must run on the shard's own thread (the ring has a
    /// single issuer); waits until every shard's ring exists (`directory`).
    pub fn new(id: usize, sockets: Vec<Socket>, cfg: RingConfig, directory: &Directory) -> io::Result<RingIo> {
        let uring = setup::build()?;
        let size = (RECV_HEADER + cfg.max_datagram + 1).next_multiple_of(64);
        let buffers = ProvidedBuffers::register(&uring, 0, cfg.buffers, size)?;
        // SAFETY: an all-zero msghdr is valid; only the name length is set.
        let mut recv_header: Box<libc::msghdr> = Box::new(unsafe { std::mem::zeroed() });
        recv_header.msg_namelen = SOCKADDR_LEN as libc::socklen_t;
        let table = files::register(&uring, &sockets, cfg.max_sockets)?;
        let handoffs = directory.join(id, uring.as_raw_fd())?;
        let (unarmed, sip_sockets) = ((0..sockets.len() as u32).collect(), sockets.len());
        if cfg.zero_copy_sends && !setup::supports(&uring, opcode::SendZc::CODE) {
            return Err(io::Error::new(io::ErrorKind::Unsupported, "the kernel's io_uring has no send_zc"));
        }
        let sends = SendSlots::new(cfg.send_slots, cfg.zero_copy_sends);
        let (packed, counters) = (BytesMut::new(), IoCounters::default());
        // The batch wait needs IORING_FEAT_MIN_TIMEOUT; without it a wait ends at the first
        // completion, as if it were 0.
        let batch_wait_us = if uring.params().is_feature_min_timeout() { cfg.batch_wait_us } else { 0 };
        Ok(RingIo {
            uring,
            sockets,
            table,
            recv_header,
            unarmed,
            buffers,
            sends,
            handoffs,
            packed,
            counters,
            batch_wait_us,
            sip_sockets,
            streams: None,
            outbound: Vec::new(),
        })
    }

    /// Serves stream connections on the listening sockets `streams` names.
    pub fn with_streams(mut self, streams: RingStreams) -> RingIo {
        self.streams = Some(streams);
        self
    }

    /// Queues an SQE, submitting first when the queue is full.
    fn push(&mut self, entry: squeue::Entry) {
        push(&mut self.uring, entry);
    }

    /// Arms the multishot receive of every socket whose last one ended, once a quarter of the
    /// buffers is back (re-arming into an empty ring only ends in ENOBUFS again).
    fn rearm(&mut self) {
        if self.unarmed.is_empty() || self.buffers.available < self.buffers.count() / 4 {
            return;
        }
        let group = self.buffers.group();
        for n in std::mem::take(&mut self.unarmed) {
            if self.streams.as_ref().is_some_and(|st| st.listening.get(n as usize) == Some(&true)) {
                self.push(stream::accept_entry(n));
                continue;
            }
            let entry = opcode::RecvMsgMulti::new(types::Fixed(n), &*self.recv_header, group)
                .ioprio(POLL_FIRST)
                .build()
                .user_data(Token::Recv(n).encode());
            self.push(entry);
        }
    }
}

impl ShardIo for RingIo {
    fn send(&mut self, local: u32, to: SocketAddr, data: Bytes) {
        if let Some(s) = StreamLocal::decode(local) {
            return self.send_stream(s, local, to, data);
        }
        if local as usize >= self.sockets.len() {
            self.counters.send_failed += 1;
            return;
        }
        self.sends.backlog.push_back((local, to, data));
    }

    fn add_socket(&mut self, socket: Socket) -> io::Result<u32> {
        self.add(socket)
    }

    fn hand_off(&mut self, owner: usize, datagram: Datagram) {
        if self.handoffs.push(owner, Passed::Inbound(datagram)).is_err() {
            self.counters.handoff_dropped += 1;
        }
    }

    fn turn(&mut self, timeout: Duration, out: &mut Vec<Arrival>) -> io::Result<()> {
        self.start_sends();
        self.start_stream_sends();
        self.rearm();
        for entry in self.handoffs.doorbells() {
            push(&mut self.uring, entry);
        }
        self.enter(timeout)?;
        self.reap(out);
        self.handoffs.drain(out, &mut self.outbound);
        if !self.outbound.is_empty() {
            // Answers for our connections from their calls' owners: out now, not after a wait.
            for d in std::mem::take(&mut self.outbound) {
                self.send(d.local, d.from, d.data);
            }
            self.start_stream_sends();
            let _ = self.uring.submit();
        }
        self.buffers.publish();
        Ok(())
    }

    fn send_now(&mut self) {
        if self.start_sends() {
            let _ = self.uring.submit();
        }
    }

    fn counters(&self) -> IoCounters {
        let fds = self.sockets[..self.sip_sockets].iter().map(|s| s.as_raw_fd());
        let streams = self.streams.as_ref().map_or(Default::default(), |st| st.conns.counters);
        IoCounters { kernel_dropped: super::sockets::kernel_drops(fds), streams, ..self.counters }
    }

    fn waiting_bytes(&self) -> usize {
        super::sockets::queued_bytes(self.sockets[..self.sip_sockets].iter().map(|s| s.as_raw_fd()))
    }
}
