//! The ring's fixed-file table: every socket the shard receives and sends on, named by its
//! index (a datagram's `local`), so the kernel takes no file reference per request (fget/fput
//! per SQE otherwise). The table is registered sparse at start with room for
//! [`RingConfig::max_sockets`](super::RingConfig::max_sockets): a media socket joins while the
//! shard runs with one `IORING_REGISTER_FILES_UPDATE` into the next free slot, and stays until
//! the shard stops (ports are bound once and reused, ARCHITECTURE.md), so slots never free.

use std::io;
use std::os::fd::AsRawFd;

use io_uring::IoUring;
use socket2::Socket;

use super::RingIo;

/// Registers a sparse table of `max_sockets` slots (no more than the soft `RLIMIT_NOFILE`,
/// which the kernel applies to the table; the process could not open more sockets anyway)
/// and puts `sockets` in its first slots. Returns the table's size.
pub fn register(uring: &IoUring, sockets: &[Socket], max_sockets: u32) -> io::Result<u32> {
    let size = max_sockets.min(open_files_limit()).max(sockets.len() as u32).max(1);
    uring.submitter().register_files_sparse(size)?;
    let fds: Vec<i32> = sockets.iter().map(|s| s.as_raw_fd()).collect();
    if !fds.is_empty() {
        uring.submitter().register_files_update(0, &fds)?;
    }
    Ok(size)
}

/// The soft limit on open files (`u32::MAX` when unlimited or unknown).
fn open_files_limit() -> u32 {
    // SAFETY: a zeroed rlimit is valid; getrlimit writes only it.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return u32::MAX;
    }
    u32::try_from(lim.rlim_cur).unwrap_or(u32::MAX)
}

impl RingIo {
    /// Puts `socket` in the next free slot of the table and queues its multishot receive
    /// for the next turn (with the re-armed ones: same rule when the buffer ring is low).
    pub(super) fn add(&mut self, socket: Socket) -> io::Result<u32> {
        let index = self.sockets.len() as u32;
        if index >= self.table {
            return Err(io::Error::other(format!(
                "this shard's ring is full: {} sockets (RingConfig::max_sockets, capped by RLIMIT_NOFILE)",
                self.table
            )));
        }
        let updated = self.uring.submitter().register_files_update(index, &[socket.as_raw_fd()])?;
        if updated != 1 {
            return Err(io::Error::other(format!("the ring took no socket into slot {index}")));
        }
        self.sockets.push(socket);
        self.unarmed.push(index);
        Ok(index)
    }
}
