//! A shard's inbox for datagrams another shard received: a bounded lock-free queue plus an
//! eventfd that wakes the owner from `ppoll`. The `Bytes` cross as they are: no copy, no lock.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crossbeam::queue::ArrayQueue;

use super::super::io::Passed;

pub struct Inbox {
    queue: ArrayQueue<Passed>,
    wake: OwnedFd,
}

impl Inbox {
    pub fn new(capacity: usize) -> io::Result<Inbox> {
        // SAFETY: eventfd returns a new descriptor or -1.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor owned by nobody else.
        let wake = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Inbox { queue: ArrayQueue::new(capacity), wake })
    }

    /// Queues a datagram; gives it back when the inbox is full (the caller counts it lost,
    /// as the network might have: the sender retransmits).
    pub fn push(&self, item: Passed) -> Result<(), Passed> {
        self.queue.push(item)
    }

    /// Wakes the owner (once per batch, not per datagram).
    pub fn notify(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd; a full counter only means
        // the owner is already due to wake.
        unsafe { libc::write(self.wake.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }

    /// Takes every queued datagram (no system call).
    pub fn drain(&self, mut each: impl FnMut(Passed)) {
        while let Some(item) = self.queue.pop() {
            each(item);
        }
    }

    /// Clears the wake-up, once `ppoll` has reported it; the queue is drained after.
    pub fn clear_wake(&self) {
        let mut counter: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64; EAGAIN (nothing pending) leaves it untouched.
        unsafe { libc::read(self.wake.as_raw_fd(), (&mut counter as *mut u64).cast(), 8) };
    }

    pub fn fd(&self) -> RawFd {
        self.wake.as_raw_fd()
    }
}
