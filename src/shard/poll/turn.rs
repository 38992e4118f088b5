//! One turn of the poll backend: write what is queued, read what is ready, and when nothing
//! was, wait in `ppoll` until something is or the next timer is due.

use std::time::{Duration, Instant};

use super::super::io::{Arrival, Passed};
use super::socket::BATCH;
use super::{PollIo, BATCHES_PER_TURN};

impl PollIo {
    /// Sends the queued datagrams and stream bytes, and wakes the shards that were handed some.
    pub(super) fn flush(&mut self) {
        self.send_datagrams();
        if let Some(streams) = &mut self.streams {
            streams.flush();
        }
        for (owner, flag) in self.woken.iter_mut().enumerate() {
            if std::mem::take(flag) {
                self.inboxes[owner].notify();
            }
        }
    }

    /// Sends the queued datagrams, a `sendmmsg` per socket that has some.
    pub(super) fn send_datagrams(&mut self) {
        for i in self.dirty.drain(..) {
            let (socket, sends) = (&self.sockets[i as usize], &mut self.sends[i as usize]);
            let sent = socket.send_batch(sends).unwrap_or(0);
            // UDP may drop anyway; the transaction layer retransmits what matters.
            self.counters.send_failed += (sends.len() - sent) as u64;
            sends.clear();
        }
    }

    /// Reads the sockets marked as possibly holding more, the connections, and the inbox.
    pub(super) fn collect(&mut self, out: &mut Vec<Arrival>) -> usize {
        let before = out.len();
        let (streams, mut passed) = (&mut self.streams, false);
        self.inboxes[self.id].drain(|p| match (p, &mut *streams) {
            (Passed::Inbound(d), _) => out.push(Arrival::HandedOff(d)),
            (Passed::Outbound(d), Some(s)) => {
                s.send(d.local, d.from, d.data);
                passed = true;
            }
            (Passed::Outbound(_), None) => {}
        });
        if let Some(s) = self.streams.as_mut().filter(|_| passed) {
            // Answers for our connections from their calls' owners: out now, not after a wait.
            s.flush();
        }
        let now = Instant::now();
        self.ready.take(&mut self.reading);
        for &i in &self.reading {
            let socket = &mut self.sockets[i as usize];
            if let Some(streams) = self.streams.as_mut().filter(|_| self.listening.get(i as usize) == Some(&true)) {
                if streams.accept(socket.fd(), i, now) {
                    self.ready.mark(i);
                }
                continue;
            }
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
        if let Some(streams) = self.streams.as_mut() {
            // Ready connections, and every connection's time bounds (a sweep at most every 250 ms).
            let start = out.len();
            self.streams_ready = streams.poll(now, out);
            self.counters.received += (out.len() - start) as u64;
        }
        out.len() - before
    }

    /// Blocks in `ppoll` until a socket, a connection or the inbox is readable, or `timeout`
    /// passes.
    pub(super) fn wait(&mut self, timeout: Duration) {
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
        // The connections' epoll set, when there is one, is just before the inbox (so there
        // are at least two entries then; a backend with no socket has only the inbox).
        let streams = self.streams.is_some();
        let media_set = self.pollfds.len() - 1 - usize::from(streams) > self.sip_sockets;
        if media_set && self.pollfds[self.sip_sockets].revents != 0 {
            self.ready.poll_media();
        }
        if streams && self.pollfds[self.pollfds.len() - 2].revents != 0 {
            self.streams_ready = true;
        }
        if self.pollfds.last().is_some_and(|fd| fd.revents != 0) {
            self.inboxes[self.id].clear_wake();
        }
    }
}
