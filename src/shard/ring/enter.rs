//! A turn's one system call: submit what is queued and wait for completions or the timeout
//! (or, for a turn that must not wait, only run the deferred completions).

use std::io;
use std::time::Duration;

use io_uring::{squeue, types, EnterFlags, IoUring};

use super::{RingIo, BATCH};

impl RingIo {
    /// Submits what is queued and waits up to `timeout` for at least one completion (with a
    /// batch wait: for [`BATCH`] completions, or for the batch wait and then at least one).
    pub(super) fn enter(&mut self, timeout: Duration) -> io::Result<()> {
        let entered = if timeout.is_zero() {
            // Nothing to wait for: submit and run the deferred completions (GETEVENTS with no
            // minimum). A zero timeout would still arm a timer and sleep until it fires, which
            // cost 17-23 µs per turn here (perf/udp_path.md, steps of the ring).
            let to_submit = self.uring.submission().len() as u32;
            // SAFETY: no argument is passed; the flags ask for nothing beyond running completions.
            unsafe { self.uring.submitter().enter::<libc::sigset_t>(to_submit, 0, EnterFlags::GETEVENTS.bits(), None) }
        } else {
            let ts = types::Timespec::new().sec(timeout.as_secs()).nsec(timeout.subsec_nanos());
            let mut args = types::SubmitArgs::new().timespec(&ts);
            let mut want = 1;
            if self.batch_wait_us > 0 {
                args = args.min_wait_usec(self.batch_wait_us);
                want = BATCH;
            }
            self.counters.waits += 1;
            self.uring.submitter().submit_with_args(want, &args)
        };
        match entered {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ETIME | libc::EINTR | libc::EBUSY)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Queues an SQE on `uring`, submitting first when the queue is full.
pub(super) fn push(uring: &mut IoUring, entry: squeue::Entry) {
    loop {
        // SAFETY: every pointer an entry carries (msghdr, send slot and its address) stays valid
        // until its completion, as the callers arrange.
        if unsafe { uring.submission().push(&entry) }.is_ok() {
            return;
        }
        let _ = uring.submit();
    }
}
