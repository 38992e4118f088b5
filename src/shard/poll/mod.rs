//! The fallback backend, for kernels or containers without io_uring: each ready socket drained
//! with `recvmmsg` and written with `sendmmsg`; hand-offs through a lock-free queue per shard
//! plus an eventfd; and when nothing is ready, one `ppoll` on the SIP sockets, the media
//! sockets' epoll set and the eventfd until the next timer. A turn touches only the sockets
//! that are ready or have sends queued (`ready.rs`), however many media ports are bound.

mod inbox;
mod ready;
mod socket;

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

pub use inbox::Inbox;
use ready::Ready;
use socket::{Datagrams, ReceiveArea, BATCH};

use super::io::{Arrival, Datagram, IoCounters, ShardIo};

/// Batches read from one socket per turn before the others get their turn.
const BATCHES_PER_TURN: usize = 8;

pub struct PollIo {
    id: usize,
    sockets: Vec<Datagrams>,
    area: ReceiveArea,
    /// Sockets to read: the last batch was full, or a poll said so.
    ready: Ready,
    /// The list being read this turn (kept for its allocation).
    reading: Vec<u32>,
    sends: Vec<Vec<(SocketAddr, Bytes)>>,
    /// Sockets with sends queued.
    dirty: Vec<u32>,
    /// SIP sockets: the first `pollfds` entries; then the media epoll set if any; the inbox last.
    sip_sockets: usize,
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
            ready: Ready::new(n),
            reading: Vec::new(),
            sends: vec![Vec::new(); n],
            dirty: Vec::new(),
            sip_sockets: n,
            inboxes,
            woken: vec![false; shards],
            pollfds,
            counters: IoCounters::default(),
        }
    }

    /// Sends the queued datagrams and wakes the shards that were handed some.
    fn flush(&mut self) {
        for i in self.dirty.drain(..) {
            let (socket, sends) = (&self.sockets[i as usize], &mut self.sends[i as usize]);
            let sent = socket.send_batch(sends).unwrap_or(0);
            // UDP may drop anyway; the transaction layer retransmits what matters.
            self.counters.send_failed += (sends.len() - sent) as u64;
            sends.clear();
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
        self.ready.take(&mut self.reading);
        for &i in &self.reading {
            let socket = &mut self.sockets[i as usize];
            let truncated = socket.truncated;
            let mut full = true;
            for _ in 0..BATCHES_PER_TURN {
                let start = out.len();
                // An error other than EAGAIN (ICMP errors reported on the socket) ends the batch.
                full = socket.recv_batch(&mut self.area, out).unwrap_or(0) == BATCH;
                self.counters.received += (out.len() - start) as u64;
                if !full {
                    break;
                }
            }
            self.counters.truncated += socket.truncated - truncated;
            if full {
                self.ready.mark(i);
            }
        }
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
        for i in 0..self.sip_sockets {
            if self.pollfds[i].revents != 0 {
                self.ready.mark(i as u32);
            }
        }
        let media_set = self.pollfds.len() - 1 > self.sip_sockets;
        if media_set && self.pollfds[self.sip_sockets].revents != 0 {
            self.ready.poll_media();
        }
        if self.pollfds.last().is_some_and(|fd| fd.revents != 0) {
            self.inboxes[self.id].clear_wake();
        }
    }
}

impl ShardIo for PollIo {
    fn send(&mut self, local: u32, to: SocketAddr, data: Bytes) {
        match self.sends.get_mut(local as usize) {
            Some(queue) => {
                if queue.is_empty() {
                    self.dirty.push(local);
                }
                queue.push((to, data));
            }
            None => self.counters.send_failed += 1,
        }
    }

    fn add_socket(&mut self, socket: socket2::Socket) -> io::Result<u32> {
        socket.set_nonblocking(true)?;
        let local = self.sockets.len() as u32;
        if let Some(epfd) = self.ready.add(local, socket.as_raw_fd())? {
            // The media sockets' epoll set is polled after the SIP sockets; the inbox stays last.
            let pollfd = libc::pollfd { fd: epfd, events: libc::POLLIN, revents: 0 };
            self.pollfds.insert(self.sip_sockets, pollfd);
        }
        self.sockets.push(Datagrams::new(socket, local));
        self.sends.push(Vec::new());
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
        let fds = self.sockets[..self.sip_sockets].iter().map(|s| s.fd());
        IoCounters { kernel_dropped: super::sockets::kernel_drops(fds), ..self.counters }
    }

    fn waiting_bytes(&self) -> usize {
        super::sockets::queued_bytes(self.sockets[..self.sip_sockets].iter().map(|s| s.fd()))
    }
}
