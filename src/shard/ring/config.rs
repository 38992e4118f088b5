//! Sizes and switches of one shard's ring.

/// Sizes of one shard's ring.
#[derive(Clone, Copy, Debug)]
pub struct RingConfig {
    /// Receive buffers in the shard's buffer ring (a power of two up to 32 768).
    pub buffers: u16,
    /// Largest datagram taken; larger ones are counted as truncated and dropped.
    pub max_datagram: usize,
    /// Sends in flight at once; more wait in order in a backlog.
    pub send_slots: usize,
    /// Microseconds a wait may go on collecting completions after the first one arrives
    /// (`IORING_FEAT_MIN_TIMEOUT`, Linux 6.12; ignored before): fewer, fuller turns, at the
    /// price of that much latency for a lone datagram. 0: wake for every completion.
    pub batch_wait_us: u32,
    /// Send with IORING_OP_SEND_ZC instead of SEND: the kernel reads the bytes in place and a
    /// second completion (IORING_CQE_F_NOTIF) frees the slot. Off by default; measured against
    /// plain sends in perf/udp_path.md.
    pub zero_copy_sends: bool,
    /// Sockets the ring holds, SIP and media together: the size of the fixed-file table,
    /// registered sparse at start (about 8 bytes a slot in the kernel, 128 KiB at the
    /// default) and never grown. A socket beyond it is refused with an error (the call that
    /// wanted its port gets 503). Capped by the soft `RLIMIT_NOFILE` at start.
    pub max_sockets: u32,
}

impl Default for RingConfig {
    fn default() -> RingConfig {
        RingConfig {
            buffers: 1024,
            max_datagram: 65_535,
            send_slots: 4096,
            batch_wait_us: 0,
            zero_copy_sends: false,
            max_sockets: 16_384,
        }
    }
}
