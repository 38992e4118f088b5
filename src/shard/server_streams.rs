//! The [`ServerBuilder`]'s settings of stream connections (TCP and TLS): how many, their
//! bounds, and the TLS identity.
#![warn(missing_docs)]

use std::sync::Arc;

use super::server::ServerBuilder;

impl ServerBuilder {
    /// Stream (TCP and TLS) connections each shard holds at once; one more is closed when accepted.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.cfg.max_connections = n;
        self
    }

    /// The bounds of each stream connection: bytes buffered, partial-message, idle and TLS
    /// handshake time.
    pub fn stream_bounds(mut self, bounds: crate::transport::StreamBounds) -> Self {
        self.cfg.stream = bounds;
        self
    }

    /// The TLS identity of the `tls:` listen addresses, e.g. from PEM files with
    /// [`crate::transport::tls_server_config`], or any `rustls::ServerConfig` (ALPN, client
    /// certificates, another crypto provider). Without it a `tls:` address fails the start.
    pub fn tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.cfg.tls = Some(config);
        self
    }
}
