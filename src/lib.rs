//! callshard: a SIP signalling and RTP media core for thread-per-core servers.
//!
//! The crate is layered sans-IO first: [`sip`] parses and writes messages without sockets
//! or clocks. See `ARCHITECTURE.md` for the layers and the path of one datagram.

pub mod dialog;
pub mod rtp;
pub mod sdp;
pub mod session;
pub mod shard;
pub mod sip;
pub mod timer;
pub mod transaction;
