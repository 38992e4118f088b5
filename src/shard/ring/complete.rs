//! Reaping a turn's completions, and the orderly end of a ring.

use std::time::Duration;

use io_uring::{cqueue, types};

use super::super::io::{Arrival, Datagram};
use super::super::sockaddr::decode;
use super::token::Token;
use super::RingIo;

/// Size of each packed buffer received datagrams are copied into.
const PACK: usize = 256 * 1024;

impl RingIo {
    /// Handles every completion waiting in the queue.
    pub(super) fn reap(&mut self, out: &mut Vec<Arrival>) {
        loop {
            let Some(cqe) = self.uring.completion().next() else { return };
            match Token::decode(cqe.user_data()) {
                Token::Recv(n) => self.on_recv(n, cqe.result(), cqe.flags(), out),
                Token::Send(slot) => self.on_sent(slot, cqe.result(), cqe.flags()),
                Token::Accept(n) => self.on_accept(n, cqe.result(), cqe.flags()),
                Token::StreamRecv(id) => self.on_stream_recv(id, cqe.result(), cqe.flags(), out),
                Token::StreamSend(id) => self.on_stream_sent(id, cqe.result()),
                // The doorbell only wakes us: the turn drains the hand-off queue after reaping.
                Token::Doorbell | Token::Other => {}
            }
        }
    }

    /// A send completed. A SEND_ZC posts its result first, flagged MORE when a notification
    /// (NOTIF) follows once the kernel no longer reads the bytes: only then is the slot free.
    fn on_sent(&mut self, slot: u32, result: i32, flags: u32) {
        if cqueue::notif(flags) {
            self.sends.complete(slot);
            return;
        }
        if result < 0 {
            self.counters.send_failed += 1;
        }
        if !cqueue::more(flags) {
            self.sends.complete(slot);
        }
    }

    /// One multishot receive completion on socket `n`.
    fn on_recv(&mut self, n: u32, result: i32, flags: u32, out: &mut Vec<Arrival>) {
        if !cqueue::more(flags) {
            // The kernel ended this multishot receive: on ENOBUFS (buffer ring empty), a full
            // completion queue or an error. The datagrams wait in the socket until we re-arm.
            self.unarmed.push(n);
            self.counters.rearmed += 1;
            if result == -libc::ENOBUFS {
                self.counters.ring_empty += 1;
            }
        }
        let Some(id) = cqueue::buffer_select(flags) else { return };
        self.buffers.taken();
        if result > 0 {
            let buffer = self.buffers.get(id, result as usize);
            match types::RecvMsgOut::parse(buffer, &self.recv_header) {
                Ok(msg) if msg.is_payload_truncated() => self.counters.truncated += 1,
                Ok(msg) => {
                    if let Some(from) = decode(msg.name_data()) {
                        let payload = msg.payload_data();
                        if self.packed.capacity() - self.packed.len() < payload.len() {
                            self.packed = bytes::BytesMut::with_capacity(PACK.max(payload.len()));
                        }
                        // The one copy after the kernel's: the buffer goes back at once.
                        self.packed.extend_from_slice(payload);
                        let data = self.packed.split().freeze();
                        out.push(Arrival::Received(Datagram { data, from, local: n }));
                        self.counters.received += 1;
                    }
                }
                Err(()) => self.counters.truncated += 1,
            }
        }
        self.buffers.give_back(id);
    }

    /// Cancels every receive and send still in the kernel and collects what is left, so that
    /// the sockets are released before the ring closes (a ring's teardown is asynchronous and
    /// would otherwise keep the ports bound for a moment). Datagrams still queued for this shard
    /// are freed with the last shard's `Directory`.
    pub fn shutdown(&mut self) {
        let ts = types::Timespec::new().sec(1);
        let _ = self.uring.submitter().register_sync_cancel(Some(ts), types::CancelBuilder::any());
        let mut rest = Vec::new();
        for _ in 0..3 {
            let _ = self.enter(Duration::from_millis(1));
            self.reap(&mut rest);
        }
        rest.clear();
        // The fixed-file table holds the sockets too: release it now, not with the ring.
        let _ = self.uring.submitter().unregister_files();
    }
}
