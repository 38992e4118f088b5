//! `callshard serve`'s bounds on stream (TCP and TLS) connections, each a named bound with its
//! default, and the TLS identity of `tls:` listen addresses.

use std::path::PathBuf;
use std::time::Duration;

use callshard::shard::ServerConfig;
use callshard::transport::{tls_server_config, TlsConfigError, Transport};

/// Bounds of TCP and TLS connections, per shard and per connection; the TLS certificate.
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
    /// PEM file of the certificate chain tls: addresses present (the server's certificate first).
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM file of the private key of --tls-cert (PKCS#8, RSA or SEC1 EC).
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Milliseconds a TLS connection may take from its accept to the end of its handshake; a
    /// peer that connects and never speaks TLS is closed after it.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub tls_handshake_timeout_ms: u64,
}

impl StreamArgs {
    /// Writes these bounds and the TLS identity into `cfg` (after its listen addresses and
    /// message size bound are set). `Err`: one line on what is missing or wrong.
    pub fn apply(&self, cfg: &mut ServerConfig) -> Result<(), String> {
        cfg.max_connections = self.max_connections as usize;
        cfg.stream.max_buffered = (self.tcp_max_buffered as usize).max(cfg.max_message);
        cfg.stream.partial_timeout = Duration::from_millis(self.tcp_partial_timeout_ms);
        cfg.stream.idle_timeout = Duration::from_secs(self.tcp_idle_timeout);
        cfg.stream.handshake_timeout = Duration::from_millis(self.tls_handshake_timeout_ms);
        let tls = cfg.listen.iter().find(|l| l.transport == Transport::Tls);
        match (&self.tls_cert, &self.tls_key, tls) {
            (Some(cert), Some(key), _) => {
                cfg.tls = Some(tls_server_config(cert, key).map_err(|e| match e {
                    TlsConfigError::Certificate { .. } => format!("--tls-cert {}: {}", e.file().display(), e.what()),
                    TlsConfigError::Key { .. } => format!("--tls-key {}: {}", e.file().display(), e.what()),
                })?);
                Ok(())
            }
            (Some(_), None, _) => Err("--tls-cert needs --tls-key (the PEM file of its private key)".into()),
            (None, Some(_), _) => Err("--tls-key needs --tls-cert (the PEM file of its certificate chain)".into()),
            (None, None, Some(l)) => Err(format!("--listen {l} needs --tls-cert FILE and --tls-key FILE (PEM)")),
            (None, None, None) => Ok(()),
        }
    }
}
