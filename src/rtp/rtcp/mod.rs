//! RTCP, the RTP control protocol (RFC 3550 section 6), sans-IO.
//!
//! [`parse_compound`] checks a received compound packet as RFC 3550 appendix A.2 asks and
//! hands out typed views that borrow the datagram ([`RtcpPacket`]); [`write_compound`] and
//! the per-packet writers append a report into a caller-owned `BytesMut`. [`ntp`] converts
//! a wall-clock time the caller passes in to NTP timestamps and reads the round-trip time
//! from a report block; [`interval`] computes when to send the next report. Nothing here
//! reads a clock or draws a random number: both are arguments.
//!
//! Not supported: reduced-size RTCP (RFC 5506, a compound must start with SR or RR), SRTCP,
//! RTCP-mux demultiplexing (RFC 5761, the caller's job), APP packets (skipped like unknown
//! types, RFC 3550 6.1) and the feedback messages of RFC 4585.

mod bye;
mod compound;
mod error;
pub mod interval;
pub mod ntp;
mod report;
mod sdes;
mod write;

pub use bye::Bye;
pub use compound::{parse_compound, Compound, Packets, RtcpPacket};
pub use error::{RtcpError, WriteError};
pub use report::{ReceiverReport, ReportBlocks, SenderReport};
pub use sdes::{Sdes, SdesChunk, SdesItem};
pub use write::{
    write_bye, write_compound, write_receiver_report, write_sdes_cname, write_sender_report, CompoundReport,
};

/// Packet type of a sender report (RFC 3550 6.4.1).
pub const PT_SR: u8 = 200;
/// Packet type of a receiver report (RFC 3550 6.4.2).
pub const PT_RR: u8 = 201;
/// Packet type of a source description (RFC 3550 6.5).
pub const PT_SDES: u8 = 202;
/// Packet type of a goodbye (RFC 3550 6.6).
pub const PT_BYE: u8 = 203;
/// Packet type of an application-defined packet (RFC 3550 6.7); parsed past, not read.
pub const PT_APP: u8 = 204;
/// SDES item type of the canonical name, the one item every compound carries (RFC 3550 6.5.1).
pub const SDES_CNAME: u8 = 1;

/// The RTP version every RTCP packet carries (RFC 3550 6.4.1).
pub(crate) const VERSION: u8 = 2;
/// At most 31 report blocks or sources fit the 5-bit count field (RFC 3550 6.4.1).
pub const MAX_COUNT: usize = 31;

/// One reception report block: what we heard from one source (RFC 3550 6.4.1). The receive
/// statistics of a stream produce these; the sender reads its peer's view of it back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReportBlock {
    /// SSRC of the source this block is about.
    pub ssrc: u32,
    /// Packets lost since the previous report, as a fixed-point fraction of 256 (A.3).
    pub fraction_lost: u8,
    /// Packets lost since the start, a 24-bit signed number on the wire (duplicates make it
    /// negative); a writer clamps it to [-2^23, 2^23 - 1] (A.3).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received: cycles in the top 16 bits (A.1).
    pub highest_seq: u32,
    /// Interarrival jitter in RTP timestamp units (6.4.1, A.8).
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR from this source, 0 if none yet.
    pub lsr: u32,
    /// Delay since that SR arrived, in 1/65536 s, 0 if none yet.
    pub dlsr: u32,
}

/// The sender information of an SR (RFC 3550 6.4.1): when it was sent on both clocks, for
/// lip sync and round-trip time, and how much the source has sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SenderInfo {
    /// Wall-clock time of sending as a 64-bit NTP timestamp (see [`ntp`]).
    pub ntp: u64,
    /// The same instant on the RTP media clock of this source.
    pub rtp_timestamp: u32,
    /// RTP data packets sent since the start (wraps).
    pub packet_count: u32,
    /// RTP payload octets sent since the start, headers and padding excluded (wraps).
    pub octet_count: u32,
}

/// Reads a big-endian `u32` at `at`, or `None` past the end: the views index validated bytes
/// but still never panic.
pub(crate) fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}
