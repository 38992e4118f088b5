//! Datagrams on their way out through the ring. A send SQE points at the bytes and at the
//! destination address, and the kernel may read them any time until the completion, so each
//! send owns a slot that stays put until then; the `Bytes` is kept alive in the slot. When
//! every slot is busy, sends wait in a backlog in order.
//!
//! IORING_OP_SEND with a destination address (Linux 6.0) rather than SENDMSG: no `msghdr` and
//! `iovec` for the kernel to copy and import per datagram (measured: perf/udp_path.md).

use std::collections::VecDeque;
use std::net::SocketAddr;

use bytes::Bytes;
use io_uring::{opcode, squeue, types};

use super::super::sockaddr::RawAddr;
use super::token::Token;
use super::RingIo;

struct Slot {
    name: RawAddr,
    data: Option<Bytes>,
}

/// A send waiting for a slot: socket index, destination, bytes.
pub type Pending = (u32, SocketAddr, Bytes);

pub struct SendSlots {
    /// Boxed and never resized: the kernel holds pointers into it.
    slots: Box<[Slot]>,
    free: Vec<u32>,
    pub backlog: VecDeque<Pending>,
    /// Sends go out as SEND_ZC: a slot is free only after the kernel's notification.
    pub zero_copy: bool,
}

impl SendSlots {
    pub fn new(capacity: usize, zero_copy: bool) -> SendSlots {
        let slots = (0..capacity).map(|_| Slot { name: RawAddr::zeroed(), data: None }).collect();
        SendSlots { slots, free: (0..capacity as u32).rev().collect(), backlog: VecDeque::new(), zero_copy }
    }

    /// Fills a free slot with `data` to `to` and returns the send's SQE (its `user_data` is
    /// left to the caller) and the slot's index; gives `data` back when every slot is busy.
    pub fn fill(&mut self, fd: types::Fixed, to: SocketAddr, data: Bytes) -> Result<(squeue::Entry, u32), Bytes> {
        let Some(index) = self.free.pop() else { return Err(data) };
        let slot = &mut self.slots[index as usize];
        let name_len = slot.name.set(to);
        let (buf, len) = (data.as_ptr(), data.len() as u32);
        let entry = if self.zero_copy {
            opcode::SendZc::new(fd, buf, len).dest_addr(slot.name.as_ptr()).dest_addr_len(name_len).build()
        } else {
            opcode::Send::new(fd, buf, len).dest_addr(slot.name.as_ptr()).dest_addr_len(name_len).build()
        };
        slot.data = Some(data);
        Ok((entry, index))
    }

    /// The send in slot `index` completed: the slot is free again.
    pub fn complete(&mut self, index: u32) {
        if let Some(slot) = self.slots.get_mut(index as usize) {
            if slot.data.take().is_some() {
                self.free.push(index);
            }
        }
    }
}

impl RingIo {
    /// Turns queued datagrams into send SQEs while send slots are free; whether any was.
    pub(super) fn start_sends(&mut self) -> bool {
        let mut started = false;
        while let Some((local, to, data)) = self.sends.backlog.pop_front() {
            match self.sends.fill(types::Fixed(local), to, data) {
                Ok((entry, slot)) => {
                    self.push(entry.user_data(Token::Send(slot).encode()));
                    started = true;
                }
                Err(data) => {
                    self.sends.backlog.push_front((local, to, data));
                    break;
                }
            }
        }
        started
    }
}
