//! The fallback backend, for kernels or containers without io_uring: each socket drained with
//! `recvmmsg` and written with `sendmmsg`; hand-offs through a lock-free queue per shard plus an
//! eventfd; and when nothing is ready, one `ppoll` on every socket and the eventfd until the
//! next timer.

mod inbox;
mod socket;

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

pub use inbox::Inbox;
use socket::{Datagrams, ReceiveArea, BATCH};

use super::io::{Arrival, Datagram, IoCounters, ShardIo};

/// Batches read from one socket per turn before the others get their turn.
const BATCHES_PER_TURN: usize = 8;

pub struct PollIo {
    id: usize,
    sockets: Vec<Datagrams>,
    area: ReceiveArea,
    /// Per socket: the last batch was full, so more may wait without a `ppoll` saying so.
    more: Vec<bool>,
    sends: Vec<Vec<(SocketAddr, Bytes)>>,
    inboxes: Arc<[Inbox]>,
    /// Per shard: hand-offs were queued to it this turn and it must be woken.
    woken: Vec<bool>,
    pollfds: Vec<libc::pollfd>,
    counters: IoCounters,
}

impl PollIo {
    /// Shard `id`'s backend over its sockets (one per `--listen` address, in that order).
    pub fn new(id: usize, sockets: Vec<socket2::Socket>, max_datagram: usize, inboxes: Arc<[Inbox]>) -> PollIo {
        let n = sockets.len();
        let sockets: Vec<Datagrams> =
            sockets.into_iter().enumerate().map(|(i, s)| Datagrams::new(s, i as u32)).collect();
        let mut pollfds: Vec<libc::pollfd> =
            sockets.iter().map(|s| libc::pollfd { fd: s.fd(), events: libc::POLLIN, revents: 0 }).collect();
        pollfds.push(libc::pollfd { fd: inboxes[id].fd(), events: libc::POLLIN, revents: 0 });
        let shards = inboxes.len();
        PollIo {
            id,
            sockets,
            area: ReceiveArea::new(max_datagram),
            more: vec![true; n],
            sends: vec![Vec::new(); n],
            inboxes,
            woken: vec![false; shards],
            pollfds,
            counters: IoCounters::default(),
        }
    }

    /// Sends the queued datagrams and wakes the shards that were handed some.
    fn flush(&mut self) {
        for (socket, sends) in self.sockets.iter().zip(&mut self.sends) {
            if !sends.is_empty() {
                let sent = socket.send_batch(sends).unwrap_or(0);
                // UDP may drop anyway; the transaction layer retransmits what matters.
                self.counters.send_failed += (sends.len() - sent) as u64;
                sends.clear();
            }
        }
        for (owner, flag) in self.woken.iter_mut().enumerate() {
            if std::mem::take(flag) {
                self.inboxes[owner].notify();
            }
        }
    }

    /// Reads the sockets marked as possibly holding more, and the inbox.
    fn collect(&mut self, out: &mut Vec<Arrival>) -> usize {
        let before = out.len();
        self.inboxes[self.id].drain(|d| out.push(Arrival::HandedOff(d)));
        for (socket, more) in self.sockets.iter_mut().zip(&mut self.more) {
            let mut batches = 0;
            while *more && batches < BATCHES_PER_TURN {
                let start = out.len();
                // An error other than EAGAIN (ICMP errors reported on the socket) ends the batch.
                *more = socket.recv_batch(&mut self.area, out).unwrap_or(0) == BATCH;
                self.counters.received += (out.len() - start) as u64;
                batches += 1;
            }
        }
        self.counters.truncated = self.sockets.iter().map(|s| s.truncated).sum();
        out.len() - before
    }

    /// Blocks in `ppoll` until a socket or the inbox is readable, or `timeout` passes.
    fn wait(&mut self, timeout: Duration) {
        let ts = libc::timespec { tv_sec: timeout.as_secs() as libc::time_t, tv_nsec: timeout.subsec_nanos().into() };
        self.counters.waits += 1;
        // SAFETY: live pollfd entries and a live timespec; no signal mask change.
        let n = unsafe {
            libc::ppoll(self.pollfds.as_mut_ptr(), self.pollfds.len() as libc::nfds_t, &ts, std::ptr::null())
        };
        if n <= 0 {
            return;
        }
        for (more, fd) in self.more.iter_mut().zip(&self.pollfds) {
            *more |= fd.revents != 0;
        }
        if self.pollfds.last().is_some_and(|fd| fd.revents != 0) {
            self.inboxes[self.id].clear_wake();
        }
    }
}

impl ShardIo for PollIo {
    fn send(&mut self, local: u32, to: SocketAddr, data: Bytes) {
        match self.sends.get_mut(local as usize) {
            Some(queue) => queue.push((to, data)),
            None => self.counters.send_failed += 1,
        }
    }

    fn add_socket(&mut self, socket: socket2::Socket) -> io::Result<u32> {
        socket.set_nonblocking(true)?;
        let local = self.sockets.len() as u32;
        let pollfd = libc::pollfd { fd: socket.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        self.sockets.push(Datagrams::new(socket, local));
        // Read at once: datagrams may have come between the bind and now.
        self.more.push(true);
        self.sends.push(Vec::new());
        // Socket `i` is polled at `pollfds[i]`; the inbox's eventfd stays last.
        self.pollfds.insert(self.pollfds.len() - 1, pollfd);
        Ok(local)
    }

    fn hand_off(&mut self, owner: usize, datagram: Datagram) {
        match self.inboxes[owner].push(datagram) {
            Ok(()) => self.woken[owner] = true,
            Err(_) => self.counters.handoff_dropped += 1,
        }
    }

    fn turn(&mut self, timeout: Duration, out: &mut Vec<Arrival>) -> io::Result<()> {
        self.flush();
        if self.collect(out) == 0 && !timeout.is_zero() {
            self.wait(timeout);
            self.collect(out);
        }
        Ok(())
    }

    fn counters(&self) -> IoCounters {
        self.counters
    }
}
