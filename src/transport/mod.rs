//! Transports (RFC 3261 18): what a `--listen` address speaks, the framing of byte streams
//! (TCP and TLS carry the same framing; TLS adds its record layer, `TlsSession`, in front of
//! it) and how a stream connection is named in a datagram's `local`. Sans-IO: bytes and `now`
//! in, messages out; the sockets are the shard backends' (`shard::ring`, `shard::poll`).

mod listen;
mod local;
mod stream;
mod tls;
mod tls_config;

pub use listen::{Listen, Transport};
pub use local::{listener_of, StreamLocal, MAX_STREAM_LISTENERS, MAX_STREAM_SHARDS, MAX_STREAM_SLOTS};
/// The TLS library, for an embedding program that builds its own `rustls::ServerConfig`.
pub use rustls;
pub use stream::{Popped, StreamBounds, StreamError, StreamReceiver};
pub use tls::TlsSession;
pub use tls_config::{server_config as tls_server_config, TlsConfigError};
