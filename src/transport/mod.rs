//! Transports (RFC 3261 18): what a `--listen` address speaks, the framing of byte streams
//! (TCP now, TLS later: both carry the same framing) and how a stream connection is named in
//! a datagram's `local`. Sans-IO: bytes and `now` in, messages out; the sockets are the shard
//! backends' (`shard::ring`, `shard::poll`).

mod listen;
mod local;
mod stream;

pub use listen::{Listen, Transport};
pub use local::{listener_of, StreamLocal, MAX_STREAM_LISTENERS, MAX_STREAM_SHARDS, MAX_STREAM_SLOTS};
pub use stream::{Popped, StreamBounds, StreamError, StreamReceiver};
