//! callshard: a SIP signalling and RTP media core for thread-per-core servers.
//!
//! The crate is layered sans-IO first: [`sip`] parses and writes messages without sockets
//! or clocks. See `ARCHITECTURE.md` for the layers and the path of one datagram.
//!
//! To embed it, implement [`Application`] and start a [`Server`] with it (see [`app`]).

pub use app::{Application, Calls, Event, IncomingCall, OutgoingCall};
pub use rtp::MediaAction;
pub use session::{CallId, EndReason};
pub use shard::{OverloadConfig, Server, ServerBuilder};

pub mod app;
pub mod dialog;
pub mod ops;
pub mod rtp;
pub mod sdp;
pub mod session;
pub mod shard;
pub mod sip;
pub mod timer;
pub mod transaction;
pub mod transport;
