//! `callshard serve`'s bounds on stream (TCP) connections, each a named bound with its default.

use std::time::Duration;

use callshard::shard::ServerConfig;

/// Bounds of TCP connections, per shard and per connection.
#[derive(clap::Args)]
pub struct StreamArgs {
    /// TCP connections each shard holds at once; one more is closed when accepted, and counted.
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..=16_384))]
    pub max_connections: u32,
    /// Bytes a TCP connection may buffer while a message is incomplete (at least --max-message).
    #[arg(long, default_value_t = 128 * 1024, value_parser = clap::value_parser!(u32).range(512..=1 << 26))]
    pub tcp_max_buffered: u32,
    /// Milliseconds a message may take to arrive whole on a TCP connection; a peer that stalls
    /// in the middle of one is closed after it.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub tcp_partial_timeout_ms: u64,
    /// Seconds without a byte from the peer (a CRLF keep-alive counts) before a TCP connection
    /// is closed.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub tcp_idle_timeout: u64,
}

impl StreamArgs {
    /// Writes these bounds into `cfg` (after its message size bound is set).
    pub fn apply(&self, cfg: &mut ServerConfig) {
        cfg.max_connections = self.max_connections as usize;
        cfg.stream.max_buffered = (self.tcp_max_buffered as usize).max(cfg.max_message);
        cfg.stream.partial_timeout = Duration::from_millis(self.tcp_partial_timeout_ms);
        cfg.stream.idle_timeout = Duration::from_secs(self.tcp_idle_timeout);
    }
}
