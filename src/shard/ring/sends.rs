//! Datagrams on their way out through the ring. A `sendmsg` SQE points at a `msghdr`, its
//! `iovec` and the destination address, and the kernel may read them any time until the
//! completion, so each send owns a slot that stays put until then; the `Bytes` is kept alive
//! in the slot. When every slot is busy, sends wait in a backlog in order.

use std::collections::VecDeque;
use std::net::SocketAddr;

use bytes::Bytes;

use super::super::sockaddr::RawAddr;

struct Slot {
    header: libc::msghdr,
    iov: libc::iovec,
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
}

impl SendSlots {
    pub fn new(capacity: usize) -> SendSlots {
        let slots = (0..capacity)
            .map(|_| Slot {
                // SAFETY: an all-zero msghdr and iovec are valid (null pointers, zero lengths).
                header: unsafe { std::mem::zeroed() },
                iov: libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 },
                name: RawAddr::zeroed(),
                data: None,
            })
            .collect();
        SendSlots { slots, free: (0..capacity as u32).rev().collect(), backlog: VecDeque::new() }
    }

    /// Fills a free slot with `data` to `to`; returns its index and the `msghdr` for the SQE,
    /// or `None` when every slot is busy.
    pub fn fill(&mut self, to: SocketAddr, data: Bytes) -> Result<(u32, *const libc::msghdr), Bytes> {
        let Some(index) = self.free.pop() else { return Err(data) };
        let slot = &mut self.slots[index as usize];
        let name_len = slot.name.set(to);
        slot.iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
        slot.header.msg_name = slot.name.as_ptr() as *mut libc::c_void;
        slot.header.msg_namelen = name_len;
        slot.header.msg_iov = &mut slot.iov;
        slot.header.msg_iovlen = 1;
        slot.data = Some(data);
        Ok((index, &slot.header))
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
