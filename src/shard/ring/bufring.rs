//! The provided buffer ring (IORING_REGISTER_PBUF_RING): a fixed set of receive buffers the
//! kernel picks from when a multishot receive completes. Each completion names its buffer; we
//! copy the datagram out and give the buffer back at once, so a buffer is never held past the
//! turn that received into it (the rule and its measurement: ARCHITECTURE.md).

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::types::BufRingEntry;
use io_uring::IoUring;

/// One anonymous private mapping, page-aligned and zero-filled as the kernel requires of a
/// buffer ring; pages are only backed once touched.
struct Mapping {
    addr: NonNull<u8>,
    len: usize,
}

impl Mapping {
    fn new(len: usize) -> io::Result<Mapping> {
        // SAFETY: an anonymous mapping with no address hint; checked for failure below.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_ANONYMOUS | libc::MAP_PRIVATE,
                -1,
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        NonNull::new(addr.cast()).map(|addr| Mapping { addr, len }).ok_or_else(io::Error::last_os_error)
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `new` mapped; nothing refers to it any more.
        unsafe { libc::munmap(self.addr.as_ptr().cast(), self.len) };
    }
}

/// `count` buffers of `size` bytes registered as buffer group `group`.
pub struct ProvidedBuffers {
    ring: Mapping,
    memory: Mapping,
    group: u16,
    count: u16,
    size: usize,
    /// Our copy of the tail; published to the kernel by [`ProvidedBuffers::publish`].
    tail: u16,
    /// Buffers currently owned by the kernel.
    pub available: u16,
}

impl ProvidedBuffers {
    /// Maps and registers the ring; `count` must be a power of two up to 32 768.
    pub fn register(uring: &IoUring, group: u16, count: u16, size: usize) -> io::Result<ProvidedBuffers> {
        if !count.is_power_of_two() || count > 32_768 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "buffer count must be a power of two up to 32768"));
        }
        let ring = Mapping::new(usize::from(count) * std::mem::size_of::<BufRingEntry>())?;
        let memory = Mapping::new(usize::from(count) * size)?;
        // SAFETY: the ring mapping is page-aligned, zeroed, `count` entries long, and lives as
        // long as the registration (both are dropped together, the ring unregistered first
        // because the io_uring itself is closed before this struct goes).
        unsafe { uring.submitter().register_buf_ring_with_flags(ring.addr.as_ptr() as u64, count, group, 0)? };
        let mut buffers = ProvidedBuffers { ring, memory, group, count, size, tail: 0, available: 0 };
        for id in 0..count {
            buffers.give_back(id);
        }
        buffers.publish();
        Ok(buffers)
    }

    pub fn group(&self) -> u16 {
        self.group
    }

    pub fn count(&self) -> u16 {
        self.count
    }

    /// The first `len` bytes of buffer `id`, as the kernel filled them.
    pub fn get(&self, id: u16, len: usize) -> &[u8] {
        let id = usize::from(id % self.count);
        // SAFETY: buffer `id` lies inside `memory`; the kernel wrote it before posting the
        // completion we are handling and will not touch it until we give it back.
        unsafe { std::slice::from_raw_parts(self.memory.addr.as_ptr().add(id * self.size), len.min(self.size)) }
    }

    /// Returns buffer `id` to the kernel (visible after the next [`ProvidedBuffers::publish`]).
    pub fn give_back(&mut self, id: u16) {
        let slot = usize::from(self.tail & (self.count - 1));
        // SAFETY: `slot` is below `count`, so the entry lies inside the ring mapping; the kernel
        // only reads entries between its head and our published tail, which excludes this one.
        unsafe {
            let entry = &mut *self.ring.addr.as_ptr().cast::<BufRingEntry>().add(slot);
            entry.set_addr(self.memory.addr.as_ptr().add(usize::from(id) * self.size) as u64);
            entry.set_len(self.size as u32);
            entry.set_bid(id);
        }
        self.tail = self.tail.wrapping_add(1);
        self.available += 1;
    }

    /// Tells the kernel about every buffer given back since the last call.
    pub fn publish(&self) {
        // SAFETY: the tail field sits inside the first entry of the ring mapping (it overlays
        // that entry's reserved field), aligned for a u16; the kernel reads it concurrently,
        // hence the atomic store with release ordering after the entries were written.
        unsafe {
            let tail = BufRingEntry::tail(self.ring.addr.as_ptr().cast::<BufRingEntry>()) as *const AtomicU16;
            (*tail).store(self.tail, Ordering::Release);
        }
    }

    /// The kernel took buffer `id` for a completion.
    pub fn taken(&mut self) {
        self.available = self.available.saturating_sub(1);
    }
}
