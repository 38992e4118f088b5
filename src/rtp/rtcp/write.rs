//! Writers of RTCP packets into a caller-owned buffer. Each appends whole packets (RFC 3550
//! 6.4.1 header: version 2, no padding, length in 32-bit words minus one) or, on error,
//! nothing; sizes are known up front, so no length is patched afterwards.

use bytes::{BufMut, BytesMut};

use super::report::{BLOCK_LEN, SENDER_INFO_LEN};
use super::{ReportBlock, SenderInfo, WriteError, MAX_COUNT, PT_BYE, PT_RR, PT_SDES, PT_SR, SDES_CNAME, VERSION};

/// What one regular RTCP transmission of ours carries (RFC 3550 6.1): an SR if we sent RTP
/// since the report before last, else an RR; an SDES with our CNAME; a BYE when we leave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompoundReport<'a> {
    /// Our SSRC.
    pub ssrc: u32,
    /// Present when we are a sender (RFC 3550 6.4): the first packet becomes an SR.
    pub sender_info: Option<SenderInfo>,
    /// One block per source we heard. Past 31, further RR packets follow the first report
    /// (RFC 3550 6.1).
    pub blocks: &'a [ReportBlock],
    /// Our canonical name, at most 255 octets (RFC 3550 6.5.1).
    pub cname: &'a [u8],
    /// `Some(reason)` ends the compound with a BYE for `ssrc` (RFC 3550 6.6); an empty
    /// reason is left out.
    pub bye: Option<&'a [u8]>,
}

/// Appends `report` to `out` as one compound packet.
pub fn write_compound(out: &mut BytesMut, report: &CompoundReport<'_>) -> Result<(), WriteError> {
    let cname = sdes_len(report.cname)?;
    let bye = report.bye.filter(|r| !r.is_empty());
    let bye_len = report.bye.map(|_| bye_len(1, bye)).transpose()?.unwrap_or(0);
    let mut groups = report.blocks.chunks(MAX_COUNT);
    let first = groups.next().unwrap_or_default();
    let extra: usize = groups.clone().map(|g| 8 + g.len() * BLOCK_LEN).sum();
    out.reserve(8 + SENDER_INFO_LEN + first.len() * BLOCK_LEN + extra + cname + bye_len);
    match report.sender_info {
        Some(info) => write_sender_report(out, report.ssrc, &info, first)?,
        None => write_receiver_report(out, report.ssrc, first)?,
    }
    for group in groups {
        write_receiver_report(out, report.ssrc, group)?;
    }
    write_sdes_cname(out, report.ssrc, report.cname)?;
    if report.bye.is_some() {
        write_bye(out, &[report.ssrc], bye)?;
    }
    Ok(())
}

/// Appends an SR (RFC 3550 6.4.1) with up to 31 report blocks.
pub fn write_sender_report(
    out: &mut BytesMut,
    ssrc: u32,
    info: &SenderInfo,
    blocks: &[ReportBlock],
) -> Result<(), WriteError> {
    let count = count_of(blocks.len())?;
    put_header(out, count, PT_SR, 8 + SENDER_INFO_LEN + blocks.len() * BLOCK_LEN);
    out.put_u32(ssrc);
    info.put(out);
    blocks.iter().for_each(|b| b.put(out));
    Ok(())
}

/// Appends an RR (RFC 3550 6.4.2) with up to 31 report blocks.
pub fn write_receiver_report(out: &mut BytesMut, ssrc: u32, blocks: &[ReportBlock]) -> Result<(), WriteError> {
    let count = count_of(blocks.len())?;
    put_header(out, count, PT_RR, 8 + blocks.len() * BLOCK_LEN);
    out.put_u32(ssrc);
    blocks.iter().for_each(|b| b.put(out));
    Ok(())
}

/// Appends an SDES (RFC 3550 6.5) with one chunk: `ssrc` and its CNAME.
pub fn write_sdes_cname(out: &mut BytesMut, ssrc: u32, cname: &[u8]) -> Result<(), WriteError> {
    let total = sdes_len(cname)?;
    put_header(out, 1, PT_SDES, total);
    out.put_u32(ssrc);
    out.put_u8(SDES_CNAME);
    out.put_u8(cname.len() as u8);
    out.put_slice(cname);
    // RFC 3550 6.5: a null item ends the list, more nulls pad the chunk to 32 bits.
    out.put_bytes(0, total - 10 - cname.len());
    Ok(())
}

/// Appends a BYE (RFC 3550 6.6) for up to 31 sources, with an optional reason.
pub fn write_bye(out: &mut BytesMut, ssrcs: &[u32], reason: Option<&[u8]>) -> Result<(), WriteError> {
    let total = bye_len(ssrcs.len(), reason)?;
    put_header(out, count_of(ssrcs.len())?, PT_BYE, total);
    ssrcs.iter().for_each(|&s| out.put_u32(s));
    if let Some(reason) = reason {
        out.put_u8(reason.len() as u8);
        out.put_slice(reason);
        out.put_bytes(0, total - 4 - 4 * ssrcs.len() - 1 - reason.len());
    }
    Ok(())
}

/// Octets of an SDES packet with one CNAME chunk: header, SSRC, type, length, the name and
/// at least one null octet, rounded up to 32 bits.
fn sdes_len(cname: &[u8]) -> Result<usize, WriteError> {
    if cname.len() > 255 {
        return Err(WriteError::ItemTooLong { len: cname.len() });
    }
    Ok((4 + 4 + 2 + cname.len() + 1).next_multiple_of(4))
}

/// Octets of a BYE packet for `sources` SSRCs and an optional reason, padded to 32 bits.
fn bye_len(sources: usize, reason: Option<&[u8]>) -> Result<usize, WriteError> {
    let text = match reason {
        Some(r) if r.len() > 255 => return Err(WriteError::ReasonTooLong { len: r.len() }),
        Some(r) => (1 + r.len()).next_multiple_of(4),
        None => 0,
    };
    Ok(4 + 4 * sources + text)
}

fn count_of(n: usize) -> Result<u8, WriteError> {
    if n > MAX_COUNT {
        return Err(WriteError::TooMany { count: n });
    }
    Ok(n as u8)
}

/// The common header (RFC 3550 6.4.1) of a packet of `octets` octets, a multiple of 4.
fn put_header(out: &mut BytesMut, count: u8, packet_type: u8, octets: usize) {
    out.put_u8(VERSION << 6 | count);
    out.put_u8(packet_type);
    out.put_u16((octets / 4 - 1) as u16);
}
