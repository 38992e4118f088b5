//! The seam between a shard's loop and its I/O backend. The loop sees datagrams arrive, sends
//! datagrams, hands datagrams to other shards and waits; whether that is one io_uring per
//! shard ([`super::ring`]) or `recvmmsg` + `ppoll` ([`super::poll`]) is the backend's business.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;

/// A received datagram: its bytes, its source and which of the shard's sockets took it (the
/// index of the socket in the shard: the `--listen` sockets are 0..n in that order, sockets
/// added later ([`ShardIo::add_socket`]) follow; replies leave from the same socket, RFC 3581 4).
#[derive(Debug)]
pub struct Datagram {
    pub data: Bytes,
    pub from: SocketAddr,
    pub local: u32,
}

/// What a turn of the backend brought in.
#[derive(Debug)]
pub enum Arrival {
    /// Read from one of this shard's sockets.
    Received(Datagram),
    /// Read by another shard, for a call this shard owns.
    HandedOff(Datagram),
}

/// Counters a backend keeps about its own work; merged into the shard's statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoCounters {
    /// Datagrams read from this shard's sockets.
    pub received: u64,
    /// Datagrams dropped because they were larger than a receive buffer.
    pub truncated: u64,
    /// Datagrams the kernel refused to send.
    pub send_failed: u64,
    /// Datagrams for another shard that could not be handed over (its inbox or ring full).
    pub handoff_dropped: u64,
    /// Times the kernel found the buffer ring empty and stopped a multishot receive (io_uring
    /// only). The datagrams wait in the socket meanwhile; they are lost only when the socket's
    /// own buffer overflows too, which the kernel counts as `RcvbufErrors`.
    pub ring_empty: u64,
    /// Multishot receives armed again after the kernel ended them (io_uring only).
    pub rearmed: u64,
    /// Waits for I/O or a timer (one system call each).
    pub waits: u64,
    /// Datagrams the kernel dropped on the SIP sockets, their receive buffers full (read
    /// from the sockets when statistics are published).
    pub kernel_dropped: u64,
    /// Stream (TCP and TLS) connections: open now, accepted, refused (over `max_connections`),
    /// closed by a bound (garbage, bytes, partial-message time, idle, TLS handshake time),
    /// sends dropped because their connection was gone, and TLS failures.
    pub streams: StreamCounters,
}

/// What a shard's stream connections did; merged like the rest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamCounters {
    pub open: u64,
    pub accepted: u64,
    pub refused: u64,
    pub closed_by_bound: u64,
    pub send_dropped: u64,
    /// TLS connections closed on a handshake failure, an alert, or bytes that are not TLS.
    pub tls_failed: u64,
}

impl StreamCounters {
    pub fn merge(&mut self, o: &StreamCounters) {
        self.open += o.open;
        self.accepted += o.accepted;
        self.refused += o.refused;
        self.closed_by_bound += o.closed_by_bound;
        self.send_dropped += o.send_dropped;
        self.tls_failed += o.tls_failed;
    }
}

/// What crosses between shards: a datagram (or a framed stream message) for the shard that
/// owns its call, or bytes the owner sends on a connection another shard holds.
#[derive(Debug)]
pub enum Passed {
    /// Read by the sender, for a call the receiver owns.
    Inbound(Datagram),
    /// To be written on the receiver's connection `local` (its `from` is the destination).
    Outbound(Datagram),
}

impl IoCounters {
    pub fn merge(&mut self, o: &IoCounters) {
        self.received += o.received;
        self.truncated += o.truncated;
        self.send_failed += o.send_failed;
        self.handoff_dropped += o.handoff_dropped;
        self.ring_empty += o.ring_empty;
        self.rearmed += o.rearmed;
        self.waits += o.waits;
        self.kernel_dropped += o.kernel_dropped;
        self.streams.merge(&o.streams);
    }
}

/// One shard's I/O. Sends and hand-offs are queued and leave on the next [`ShardIo::turn`],
/// which also waits (up to `timeout`, not at all when something is ready) and collects what
/// arrived. Nothing here is shared with other shards but the hand-off path.
pub trait ShardIo {
    /// Queues `data` to `to` from socket `local`.
    fn send(&mut self, local: u32, to: SocketAddr, data: Bytes);
    /// Adds a bound socket (a media port's) to the shard's sockets while it runs and returns
    /// its index, the `local` of its datagrams and of [`ShardIo::send`]; it receives from the
    /// next turn on and stays until the backend is dropped: a port is bound once and reused,
    /// so call setup costs no system call once the port's socket exists. `Err` when the
    /// backend holds no more sockets (the caller refuses the call, 503).
    fn add_socket(&mut self, socket: socket2::Socket) -> io::Result<u32>;
    /// Queues a datagram for shard `owner`.
    fn hand_off(&mut self, owner: usize, datagram: Datagram);
    /// Sends what is queued, waits at most `timeout` for something to arrive, and appends
    /// what arrived to `out`.
    fn turn(&mut self, timeout: Duration, out: &mut Vec<Arrival>) -> io::Result<()>;
    /// Starts the datagrams queued so far now, without waiting (one system call when there
    /// are any), so that answers leave before the rest of the turn is handled.
    fn send_now(&mut self);
    fn counters(&self) -> IoCounters;
    /// Bytes the kernel holds unread in the SIP sockets' receive queues (the shard's
    /// overload signal, `overload.rs`): one system call per SIP socket, so asked for at most
    /// once a millisecond, never per datagram.
    fn waiting_bytes(&self) -> usize;
}
