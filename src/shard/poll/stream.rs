//! The poll backend's stream connections: TCP listening sockets accepted with `accept4`, the
//! connections in one level-triggered epoll set (readable, and writable while a write waits)
//! whose descriptor the backend's `ppoll` watches, reads into one scratch buffer the shard's
//! connections share, and writes in order with `send` (a short write waits for EPOLLOUT).

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Instant;

use bytes::Bytes;
use socket2::Socket;

use super::super::conns::{Conns, TlsConfig};
use super::super::io::Arrival;
use crate::transport::StreamBounds;

/// Connections accepted from one listening socket per turn, reads per connection per turn,
/// and ready connections taken per `epoll_wait`: no peer holds a turn for long.
const ACCEPTS: usize = 64;
const READS: usize = 4;
const EVENTS: usize = 256;
/// Bytes read per `recv`.
const SCRATCH: usize = 64 * 1024;

pub struct Stream {
    socket: Socket,
    /// EPOLLOUT is asked for: a write waits for room.
    waiting: bool,
}

pub struct PollStreams {
    pub conns: Conns<Stream>,
    epoll: OwnedFd,
    events: Vec<libc::epoll_event>,
    scratch: Box<[u8]>,
    /// Connections with bytes to write, and connections to close after this turn's writes.
    dirty: Vec<u32>,
    doomed: Vec<u32>,
}

impl PollStreams {
    pub fn new(shard: usize, max: usize, bounds: StreamBounds, tls: Vec<TlsConfig>) -> io::Result<PollStreams> {
        // SAFETY: plain system call; the descriptor is owned from here on.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by epoll_create1 and nothing else owns it.
        let epoll = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(PollStreams {
            conns: Conns::new(shard, max, bounds, tls),
            epoll,
            events: vec![libc::epoll_event { events: 0, u64: 0 }; EVENTS],
            scratch: vec![0u8; SCRATCH].into_boxed_slice(),
            dirty: Vec::new(),
            doomed: Vec::new(),
        })
    }

    /// The epoll set's descriptor, for `ppoll`.
    pub fn fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }

    /// Accepts what waits on listening socket `fd` (listen index `listener`); true when
    /// more may wait.
    pub fn accept(&mut self, fd: RawFd, listener: u32, now: Instant) -> bool {
        for _ in 0..ACCEPTS {
            let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
            // SAFETY: no address is asked for; the peer's is read from the socket below.
            let c = unsafe { libc::accept4(fd, std::ptr::null_mut(), std::ptr::null_mut(), flags) };
            if c < 0 {
                return false;
            }
            // SAFETY: a fresh descriptor that nothing else owns.
            let socket = unsafe { Socket::from_raw_fd(c) };
            let Some(peer) = super::super::sockets::peer_of(&socket) else { continue };
            let Ok(slot) = self.conns.admit(peer, listener, Stream { socket, waiting: false }, now) else { continue };
            if self.watch(slot, libc::EPOLL_CTL_ADD, false).is_err() {
                self.conns.remove(slot);
            }
        }
        true
    }

    /// Reads and writes the connections the epoll set names; true when more may be ready.
    pub fn poll(&mut self, now: Instant, out: &mut Vec<Arrival>) -> bool {
        // SAFETY: `events` is a live buffer of EVENTS entries the kernel writes into.
        let n = unsafe { libc::epoll_wait(self.fd(), self.events.as_mut_ptr(), EVENTS as i32, 0) };
        for k in 0..n.max(0) as usize {
            let (ev, id) = (self.events[k].events, self.events[k].u64);
            let Some(slot) = self.conns.slot_of(id) else { continue };
            if ev & libc::EPOLLOUT as u32 != 0 {
                self.dirty.push(slot);
            }
            if ev & (libc::EPOLLIN | libc::EPOLLHUP | libc::EPOLLERR) as u32 != 0 && !self.read(slot, now, out) {
                self.doomed.push(slot);
            }
        }
        let mut expired = std::mem::take(&mut self.doomed);
        self.conns.expired(now, &mut expired);
        self.doomed = expired;
        n == EVENTS as i32
    }

    /// Reads connection `slot`; false when it must close (end of stream, error, a bound).
    fn read(&mut self, slot: u32, now: Instant, out: &mut Vec<Arrival>) -> bool {
        for _ in 0..READS {
            let Some(c) = self.conns.get_mut(slot) else { return true };
            let fd = c.io.socket.as_raw_fd();
            // SAFETY: reads into the live scratch buffer, at most its length.
            let n = unsafe { libc::recv(fd, self.scratch.as_mut_ptr().cast(), SCRATCH, libc::MSG_DONTWAIT) };
            match n {
                0 => return false,
                n if n < 0 => return io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock,
                n => {
                    let queued = !c.out.is_empty();
                    if self.conns.received(slot, &self.scratch[..n as usize], now, out).is_err() {
                        return false;
                    }
                    // A ping's pong was queued.
                    if !queued && self.conns.get_mut(slot).is_some_and(|c| !c.out.is_empty()) {
                        self.dirty.push(slot);
                    }
                }
            }
        }
        true
    }

    /// Queues `data` for connection `local` (this shard's).
    pub fn send(&mut self, local: u32, to: SocketAddr, data: Bytes) {
        if let Some(slot) = self.conns.queue(local, to, data) {
            self.dirty.push(slot);
        }
    }

    /// Writes what is queued, in order, and closes the connections that must close.
    pub fn flush(&mut self) {
        let mut dirty = std::mem::take(&mut self.dirty);
        for &slot in &dirty {
            if !self.write(slot) {
                self.doomed.push(slot);
            }
        }
        dirty.clear();
        self.dirty = dirty;
        for slot in std::mem::take(&mut self.doomed) {
            // Closing the socket takes it out of the epoll set.
            self.conns.remove(slot);
        }
    }

    /// Writes connection `slot`'s queue until it is empty or the socket is full; false when
    /// the connection must close.
    fn write(&mut self, slot: u32) -> bool {
        let Some(c) = self.conns.get_mut(slot) else { return true };
        while let Some(front) = c.out.front() {
            // SAFETY: sends from a live `Bytes`; MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE.
            let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
            let n = unsafe { libc::send(c.io.socket.as_raw_fd(), front.as_ptr().cast(), front.len(), flags) };
            if n < 0 {
                return io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock
                    && self.watch(slot, libc::EPOLL_CTL_MOD, true).is_ok();
            }
            c.written(n as usize);
        }
        let (closing, waiting) = (c.closing || c.done(), c.io.waiting);
        !closing && (!waiting || self.watch(slot, libc::EPOLL_CTL_MOD, false).is_ok())
    }

    /// Puts connection `slot` in the epoll set (or changes its interest): readable, and
    /// writable when `write` waits for room.
    fn watch(&mut self, slot: u32, op: libc::c_int, write: bool) -> io::Result<()> {
        let id = self.conns.id(slot);
        let Some(c) = self.conns.get_mut(slot) else { return Ok(()) };
        c.io.waiting = write;
        let events = libc::EPOLLIN | libc::EPOLLRDHUP | if write { libc::EPOLLOUT } else { 0 };
        let mut event = libc::epoll_event { events: events as u32, u64: id };
        // SAFETY: live descriptors and a live event; the kernel copies the event.
        match unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), op, c.io.socket.as_raw_fd(), &mut event) } {
            0 => Ok(()),
            _ => Err(io::Error::last_os_error()),
        }
    }
}
