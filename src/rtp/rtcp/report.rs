//! Sender and receiver reports (RFC 3550 6.4): the fixed fields are read when the packet is
//! parsed, the report blocks are decoded from the datagram as they are iterated.

use bytes::{BufMut, BytesMut};

use super::{be_u32, ReportBlock, RtcpError, SenderInfo};

/// Octets of one report block on the wire (RFC 3550 6.4.1).
pub(crate) const BLOCK_LEN: usize = 24;
/// Octets of the sender information of an SR (RFC 3550 6.4.1).
pub(crate) const SENDER_INFO_LEN: usize = 20;

/// A received SR (RFC 3550 6.4.1), borrowing the datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SenderReport<'a> {
    /// SSRC of the sender of this report.
    pub ssrc: u32,
    pub sender_info: SenderInfo,
    /// What the sender received from each source it hears.
    pub blocks: ReportBlocks<'a>,
    /// Profile-specific extension after the blocks (RFC 3550 6.4.3), empty in RTP/AVP.
    pub extension: &'a [u8],
}

/// A received RR (RFC 3550 6.4.2), borrowing the datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    /// SSRC of the sender of this report.
    pub ssrc: u32,
    pub blocks: ReportBlocks<'a>,
    /// Profile-specific extension after the blocks (RFC 3550 6.4.3).
    pub extension: &'a [u8],
}

/// The report blocks of an SR or RR: a whole number of 24-octet blocks of the datagram.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReportBlocks<'a> {
    bytes: &'a [u8],
}

impl<'a> ReportBlocks<'a> {
    pub fn len(&self) -> usize {
        self.bytes.len() / BLOCK_LEN
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The `index`-th block, or `None` past the last.
    pub fn get(&self, index: usize) -> Option<ReportBlock> {
        let start = index.checked_mul(BLOCK_LEN)?;
        ReportBlock::decode(self.bytes.get(start..start.checked_add(BLOCK_LEN)?)?)
    }

    pub fn iter(&self) -> impl Iterator<Item = ReportBlock> + 'a {
        self.bytes.chunks_exact(BLOCK_LEN).filter_map(ReportBlock::decode)
    }
}

/// Reads an SR body (after the common header, padding removed) with `count` report blocks.
pub(crate) fn parse_sr(body: &[u8], count: u8, offset: usize) -> Result<SenderReport<'_>, RtcpError> {
    let bad = |reason| RtcpError::BadPacket { packet: "SR", offset, reason };
    let info = body.get(4..4 + SENDER_INFO_LEN).ok_or(bad("shorter than its sender info"))?;
    let (blocks, extension) = split_blocks(body.get(4 + SENDER_INFO_LEN..).unwrap_or_default(), count)
        .ok_or(bad("report count exceeds the length"))?;
    let word = |at| be_u32(info, at).unwrap_or_default();
    Ok(SenderReport {
        ssrc: be_u32(body, 0).unwrap_or_default(),
        sender_info: SenderInfo {
            ntp: u64::from(word(0)) << 32 | u64::from(word(4)),
            rtp_timestamp: word(8),
            packet_count: word(12),
            octet_count: word(16),
        },
        blocks,
        extension,
    })
}

/// Reads an RR body (after the common header, padding removed) with `count` report blocks.
pub(crate) fn parse_rr(body: &[u8], count: u8, offset: usize) -> Result<ReceiverReport<'_>, RtcpError> {
    let bad = |reason| RtcpError::BadPacket { packet: "RR", offset, reason };
    let ssrc = be_u32(body, 0).ok_or(bad("shorter than its SSRC"))?;
    let (blocks, extension) =
        split_blocks(body.get(4..).unwrap_or_default(), count).ok_or(bad("report count exceeds the length"))?;
    Ok(ReceiverReport { ssrc, blocks, extension })
}

/// Splits `count` report blocks from what follows them, `None` if they do not fit.
fn split_blocks(rest: &[u8], count: u8) -> Option<(ReportBlocks<'_>, &[u8])> {
    let len = usize::from(count) * BLOCK_LEN;
    let blocks = rest.get(..len)?;
    Some((ReportBlocks { bytes: blocks }, rest.get(len..).unwrap_or_default()))
}

impl ReportBlock {
    fn decode(b: &[u8]) -> Option<ReportBlock> {
        let lost = be_u32(b, 4)?;
        Some(ReportBlock {
            ssrc: be_u32(b, 0)?,
            fraction_lost: (lost >> 24) as u8,
            // Sign-extend the 24-bit field: shift it to the top, then back arithmetically.
            cumulative_lost: ((lost << 8) as i32) >> 8,
            highest_seq: be_u32(b, 8)?,
            jitter: be_u32(b, 12)?,
            lsr: be_u32(b, 16)?,
            dlsr: be_u32(b, 20)?,
        })
    }

    /// Appends the 24 wire octets; a cumulative loss outside 24 bits is clamped (RFC 3550 A.3).
    pub(crate) fn put(&self, out: &mut BytesMut) {
        let lost = self.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff) as u32 & 0x00ff_ffff;
        out.put_u32(self.ssrc);
        out.put_u32(u32::from(self.fraction_lost) << 24 | lost);
        out.put_u32(self.highest_seq);
        out.put_u32(self.jitter);
        out.put_u32(self.lsr);
        out.put_u32(self.dlsr);
    }
}

impl SenderInfo {
    /// Appends the 20 wire octets of the sender information.
    pub(crate) fn put(&self, out: &mut BytesMut) {
        out.put_u64(self.ntp);
        out.put_u32(self.rtp_timestamp);
        out.put_u32(self.packet_count);
        out.put_u32(self.octet_count);
    }
}
