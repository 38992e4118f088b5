//! RTCP errors. A received compound that fails a check of RFC 3550 appendix A.2 is dropped
//! whole; the error says which check and where (`offset` is the octet offset of the packet
//! within the datagram), for a log line or a counter.

/// Why a received compound RTCP packet is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    /// A zero-length datagram.
    #[error("empty RTCP datagram")]
    Empty,
    /// Fewer than the 4 header octets remain where a packet should start: the datagram is
    /// not a whole number of 32-bit words, or has a trailing fragment.
    #[error("RTCP packet at offset {offset} is shorter than its 4-octet header")]
    Truncated { offset: usize },
    /// The version field is not 2 (A.2).
    #[error("RTCP packet at offset {offset} has version {version}, not 2")]
    BadVersion { offset: usize, version: u8 },
    /// The first packet is not an SR or RR (RFC 3550 6.1, A.2).
    #[error("compound RTCP starts with packet type {packet_type}, not SR or RR")]
    FirstNotReport { packet_type: u8 },
    /// The padding bit is set on a packet other than the last one (RFC 3550 6.4.1, A.2).
    #[error("RTCP packet at offset {offset} is padded but is not the last")]
    PaddingNotLast { offset: usize },
    /// The length field says more octets than the datagram has left (A.2: the lengths must
    /// add up to the datagram).
    #[error("RTCP packet at offset {offset} claims {length} octets but {remaining} remain")]
    LengthOverrun { offset: usize, length: usize, remaining: usize },
    /// The last octet of a padded packet is 0 or counts past the packet's body (RFC 3550 6.4.1).
    #[error("RTCP packet at offset {offset} has a padding count of {count}")]
    BadPadding { offset: usize, count: u8 },
    /// The body of an SR, RR, SDES or BYE disagrees with its header: report blocks, chunks
    /// or items that do not fit, a missing terminator.
    #[error("RTCP {packet} at offset {offset}: {reason}")]
    BadPacket { packet: &'static str, offset: usize, reason: &'static str },
}

/// Why a report cannot be written. Nothing is appended to the buffer when this is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// An SDES item holds at most 255 octets (RFC 3550 6.5: one length octet).
    #[error("SDES item of {len} octets, at most 255 fit")]
    ItemTooLong { len: usize },
    /// A BYE reason holds at most 255 octets (RFC 3550 6.6).
    #[error("BYE reason of {len} octets, at most 255 fit")]
    ReasonTooLong { len: usize },
    /// More sources than the 5-bit count field holds, or than a length field can cover.
    #[error("{count} entries do not fit one RTCP packet")]
    TooMany { count: usize },
}
