//! RTP media, sans-IO (RFC 3550, RFC 3551, RFC 4733): packets and control reports as views of
//! received bytes and writers into caller-owned buffers, the per-stream receive statistics,
//! G.711, telephone events and tones. Nothing here owns a socket or reads a clock: the shard
//! that owns a call feeds its media datagrams in with `now` and sends what comes out.

pub mod action;
pub mod dtmf;
pub mod g711;
pub mod media;
mod media_control;
mod media_digits;
mod media_out;
mod media_stats;
mod media_timer;
pub mod packet;
pub mod plane;
mod plane_commands;
pub mod quality;
pub mod reports;
pub mod rtcp;
pub mod send;
pub mod sequence;
pub mod stream;
pub mod tone;

pub use action::MediaAction;
pub use media::{MediaParams, MediaSession};
pub use media_out::{MediaOut, MediaOutput, PlaneOutput};
pub use media_stats::{MediaStats, MediaTotals};
pub use packet::{is_rtcp, RtpError, RtpHeader, RtpPacket, RTP_HEADER_LEN};
pub use plane::MediaPlane;
pub use send::{EchoTimeline, SendStream};
pub use sequence::Arrival;
pub use stream::{LossReport, ReceiveStream};
