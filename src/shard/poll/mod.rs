//! The fallback backend, for kernels or containers without io_uring: each ready socket drained
//! with `recvmmsg` and written with `sendmmsg`; hand-offs through a lock-free queue per shard
//! plus an eventfd; and when nothing is ready, one `ppoll` on the SIP sockets, the media
//! sockets' epoll set and the eventfd until the next timer. A turn touches only the sockets
//! that are ready or have sends queued (`ready.rs`), however many media ports are bound.

mod inbox;
mod ready;
mod socket;
mod stream;
mod turn;

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

pub use inbox::Inbox;
use ready::Ready;
use socket::{Datagrams, ReceiveArea};
pub use stream::PollStreams;

use super::io::{Arrival, Datagram, IoCounters, Passed, ShardIo};
use crate::transport::StreamLocal;

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
    /// Per socket: a TCP listening socket (accepted from, not read).
    listening: Vec<bool>,
    /// The connections, when a listen address is TCP; their epoll set is polled before the inbox.
    streams: Option<PollStreams>,
    /// A `ppoll` said a connection is ready, or the last look stopped at its bound.
    streams_ready: bool,
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
            listening: vec![false; n],
            streams: None,
            streams_ready: false,
        }
    }

    /// Serves stream connections: the sockets `listening` marks are TCP listening sockets.
    pub fn with_streams(mut self, listening: Vec<bool>, streams: PollStreams) -> PollIo {
        let inbox = self.pollfds.len() - 1;
        self.pollfds.insert(inbox, libc::pollfd { fd: streams.fd(), events: libc::POLLIN, revents: 0 });
        (self.listening, self.streams) = (listening, Some(streams));
        self
    }
}

impl ShardIo for PollIo {
    fn send(&mut self, local: u32, to: SocketAddr, data: Bytes) {
        if let Some(s) = StreamLocal::decode(local) {
            // A connection of this shard's, or of the shard that holds it (its inbox).
            return match (&mut self.streams, s.shard as usize == self.id) {
                (Some(streams), true) => streams.send(local, to, data),
                (_, false) => {
                    self.hand_off_passed(s.shard as usize, Passed::Outbound(Datagram { data, from: to, local }))
                }
                (None, true) => self.counters.send_failed += 1,
            };
        }
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
        self.hand_off_passed(owner, Passed::Inbound(datagram));
    }

    fn turn(&mut self, timeout: Duration, out: &mut Vec<Arrival>) -> io::Result<()> {
        self.flush();
        if self.collect(out) == 0 && !timeout.is_zero() && !self.streams_ready {
            self.wait(timeout);
            self.collect(out);
        }
        Ok(())
    }

    fn send_now(&mut self) {
        self.send_datagrams();
    }

    fn counters(&self) -> IoCounters {
        let fds = self.sockets[..self.sip_sockets].iter().map(|s| s.fd());
        let streams = self.streams.as_ref().map_or(Default::default(), |st| st.conns.counters);
        IoCounters { kernel_dropped: super::sockets::kernel_drops(fds), streams, ..self.counters }
    }

    fn waiting_bytes(&self) -> usize {
        super::sockets::queued_bytes(self.sockets[..self.sip_sockets].iter().map(|s| s.fd()))
    }
}

impl PollIo {
    fn hand_off_passed(&mut self, owner: usize, passed: Passed) {
        match self.inboxes.get(owner).map(|inbox| inbox.push(passed)) {
            Some(Ok(())) => self.woken[owner] = true,
            _ => self.counters.handoff_dropped += 1,
        }
    }
}
