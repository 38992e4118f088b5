//! What a call's media hands back to the shard: datagrams to send from the call's ports,
//! and what the application hears of (digits, a silent call).

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};

use super::dtmf::DtmfDigit;

/// A datagram to send, or something for the application.
#[derive(Clone, Debug, PartialEq)]
pub enum MediaOutput {
    /// From the call's RTP port.
    Rtp { to: SocketAddr, data: Bytes },
    /// From the call's RTCP port (its RTP port with `rtcp_mux`).
    Rtcp { to: SocketAddr, data: Bytes },
    /// A telephone event the peer sent (RFC 4733), once per key press.
    Digit(DtmfDigit),
    /// Nothing heard for the media timeout: the call should end.
    Timeout,
}

/// Where outputs go: a scratch buffer the datagrams are written into and split from, and the
/// list. One per shard, reused by every call.
#[derive(Debug, Default)]
pub struct MediaOut {
    pub(super) scratch: BytesMut,
    pub items: Vec<MediaOutput>,
}

impl MediaOut {
    /// The datagram written into the scratch buffer since the last one.
    pub(super) fn take(&mut self) -> Bytes {
        self.scratch.split().freeze()
    }
}

/// What the plane asks of the shard.
#[derive(Clone, Debug, PartialEq)]
pub enum PlaneOutput {
    /// Send from the RTP socket of `port` (`rtcp`: from the RTCP socket, port + 1).
    Send { port: u16, rtcp: bool, to: SocketAddr, data: Bytes },
    /// The call on `port` heard nothing for the media timeout.
    Timeout { port: u16 },
    /// A key press on the call on `port`.
    Digit { port: u16, digit: char, duration_ms: u32 },
}
