//! Building a shard's ring, and telling in one line why io_uring cannot be used here (an old
//! kernel, a seccomp profile that forbids it, `kernel.io_uring_disabled`), so the server can
//! fall back to the poll backend and say so.

use std::io;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use io_uring::{opcode, register::Probe, IoUring};

use crossbeam::queue::ArrayQueue;

use super::bufring::ProvidedBuffers;
use super::handoff::{Handoffs, Queues, QUEUE_CAPACITY};

/// Submission queue entries; the completion queue gets `CQ_FACTOR` (8) times as many.
pub const SQ_ENTRIES: u32 = 1024;
const CQ_FACTOR: u32 = 8;

/// A ring set up as the shard loop needs it: one issuer (the shard's thread), completions
/// processed only when the shard asks for them (DEFER_TASKRUN: measured 17 % less CPU per
/// datagram than without, in C), and a large completion queue for many sockets' receives.
pub fn build() -> io::Result<IoUring> {
    IoUring::builder()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .setup_submit_all()
        .setup_cqsize(SQ_ENTRIES * CQ_FACTOR)
        .build(SQ_ENTRIES)
}

/// Checks, on a throwaway ring, everything the backend uses; `Err` says what is missing.
pub fn probe() -> Result<(), String> {
    let ring = build().map_err(|e| match e.raw_os_error() {
        Some(libc::ENOSYS) => "the kernel has no io_uring".to_string(),
        Some(libc::EPERM) => "io_uring is forbidden here (seccomp profile or kernel.io_uring_disabled)".to_string(),
        Some(libc::EINVAL) => {
            "the kernel's io_uring lacks SINGLE_ISSUER/DEFER_TASKRUN (Linux 6.1 or later)".to_string()
        }
        _ => format!("io_uring_setup failed: {e}"),
    })?;
    let params = ring.params();
    if !params.is_feature_ext_arg() || !params.is_feature_nodrop() || !params.is_feature_skip_cqe_on_success() {
        return Err("the kernel's io_uring lacks EXT_ARG, NODROP or CQE_SKIP_SUCCESS".into());
    }
    let mut probe = Probe::new();
    ring.submitter().register_probe(&mut probe).map_err(|e| format!("io_uring probe failed: {e}"))?;
    for (code, name) in
        [(opcode::RecvMsg::CODE, "recvmsg"), (opcode::Send::CODE, "send"), (opcode::MsgRingData::CODE, "msg_ring")]
    {
        if !probe.is_supported(code) {
            return Err(format!("the kernel's io_uring has no {name}"));
        }
    }
    ProvidedBuffers::register(&ring, 0, 2, 64).map_err(|e| format!("provided buffer rings unavailable: {e}"))?;
    Ok(())
}

/// Whether the kernel's io_uring knows opcode `code`.
pub fn supports(ring: &IoUring, code: u8) -> bool {
    let mut probe = Probe::new();
    ring.submitter().register_probe(&mut probe).is_ok() && probe.is_supported(code)
}

/// Every shard's ring descriptor and hand-off queue, so that any shard can hand datagrams to
/// any other and ring its doorbell (IORING_OP_MSG_RING). Filled once at start; read-only after.
pub struct Directory {
    fds: Vec<AtomicI32>,
    queues: Queues,
    /// Shards that left their loop and will post no more hand-offs.
    left: AtomicUsize,
}

impl Directory {
    pub fn new(shards: usize) -> Directory {
        // A single shard hands nothing off: no room reserved for it.
        let capacity = if shards > 1 { QUEUE_CAPACITY } else { 1 };
        let queues = (0..shards).map(|_| ArrayQueue::new(capacity)).collect();
        Directory { fds: (0..shards).map(|_| AtomicI32::new(-1)).collect(), queues, left: AtomicUsize::new(0) }
    }

    /// Says that this shard posts no more hand-offs, and waits (at most `limit`) until no shard
    /// will: only then may a ring close, so that no hand-off is posted to a closed ring.
    pub fn leave(&self, limit: Duration) {
        self.left.fetch_add(1, Ordering::AcqRel);
        let deadline = Instant::now() + limit;
        while self.left.load(Ordering::Acquire) < self.fds.len() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Publishes shard `id`'s ring and waits (at start only) until every shard has published.
    pub fn join(&self, id: usize, fd: i32) -> io::Result<Handoffs> {
        self.fds[id].store(fd, Ordering::Release);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let fds: Vec<i32> = self.fds.iter().map(|f| f.load(Ordering::Acquire)).collect();
            if fds.iter().all(|&f| f >= 0) {
                return Ok(Handoffs::new(id, self.queues.clone(), fds));
            }
            if Instant::now() > deadline {
                return Err(io::Error::other("another shard did not start its ring"));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}
