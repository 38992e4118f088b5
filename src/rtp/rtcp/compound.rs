//! Compound RTCP packets (RFC 3550 6.1): a datagram is checked whole as appendix A.2 asks
//! before anything in it is believed, then read as a sequence of typed packet views.

use super::bye::{parse_bye, Bye};
use super::report::{parse_rr, parse_sr, ReceiverReport, SenderReport};
use super::sdes::{parse_sdes, Sdes};
use super::{RtcpError, PT_BYE, PT_RR, PT_SDES, PT_SR, VERSION};

/// One packet of a compound, borrowing the datagram. APP (RFC 3550 6.7) and packet types
/// this crate does not know are skipped: RFC 3550 6.1 asks receivers to ignore them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    SenderReport(SenderReport<'a>),
    ReceiverReport(ReceiverReport<'a>),
    Sdes(Sdes<'a>),
    Bye(Bye<'a>),
}

/// A received compound RTCP packet that passed every check; iterating it cannot fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compound<'a> {
    bytes: &'a [u8],
}

/// Checks `datagram` as a compound RTCP packet (RFC 3550 6.1 and A.2): every packet has
/// version 2, the first is an SR or RR, only the last is padded, the length fields add up to
/// the datagram, and the body of each SR, RR, SDES and BYE fits its header.
pub fn parse_compound(datagram: &[u8]) -> Result<Compound<'_>, RtcpError> {
    if datagram.is_empty() {
        return Err(RtcpError::Empty);
    }
    let mut at = 0;
    while at < datagram.len() {
        at = read_packet(datagram, at)?.1;
    }
    Ok(Compound { bytes: datagram })
}

impl<'a> Compound<'a> {
    /// The typed packets in order, APP and unknown types left out.
    pub fn packets(&self) -> Packets<'a> {
        Packets { bytes: self.bytes, at: 0 }
    }

    /// The reporter's SSRC, from the leading SR or RR.
    pub fn ssrc(&self) -> u32 {
        match self.packets().next() {
            Some(RtcpPacket::SenderReport(sr)) => sr.ssrc,
            Some(RtcpPacket::ReceiverReport(rr)) => rr.ssrc,
            _ => 0,
        }
    }

    /// The reporter's CNAME, if an SDES of this compound carries it (RFC 3550 6.1 asks
    /// every compound to).
    pub fn cname(&self) -> Option<&'a [u8]> {
        let ssrc = self.ssrc();
        self.packets().find_map(|p| match p {
            RtcpPacket::Sdes(sdes) => sdes.cname_of(ssrc),
            _ => None,
        })
    }

    /// The whole datagram.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

/// Iterator over the packets of a [`Compound`].
#[derive(Clone, Debug)]
pub struct Packets<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Packets<'a> {
    type Item = RtcpPacket<'a>;

    fn next(&mut self) -> Option<RtcpPacket<'a>> {
        while self.at < self.bytes.len() {
            // The compound was checked by `parse_compound`, so this does not fail; if it
            // did, ending the iteration is the answer that cannot panic.
            let (packet, next) = read_packet(self.bytes, self.at).ok()?;
            self.at = next;
            if packet.is_some() {
                return packet;
            }
        }
        None
    }
}

/// Reads the packet at offset `at`: its view (`None` for a skipped type) and where the next
/// one starts.
fn read_packet(datagram: &[u8], at: usize) -> Result<(Option<RtcpPacket<'_>>, usize), RtcpError> {
    let Some(&[first, packet_type, len_hi, len_lo]) = datagram.get(at..at + 4) else {
        return Err(RtcpError::Truncated { offset: at });
    };
    let version = first >> 6;
    if version != VERSION {
        return Err(RtcpError::BadVersion { offset: at, version });
    }
    if at == 0 && packet_type != PT_SR && packet_type != PT_RR {
        return Err(RtcpError::FirstNotReport { packet_type });
    }
    // RFC 3550 6.4.1: the length is in 32-bit words minus one, header and padding included.
    let length = (usize::from(u16::from_be_bytes([len_hi, len_lo])) + 1) * 4;
    let remaining = datagram.len() - at;
    if length > remaining {
        return Err(RtcpError::LengthOverrun { offset: at, length, remaining });
    }
    let end = at + length;
    let mut body = datagram.get(at + 4..end).unwrap_or_default();
    if first & 0x20 != 0 {
        // RFC 3550 6.4.1: only the last packet of a compound may be padded, and its last
        // octet counts the padding octets, itself included.
        if end != datagram.len() {
            return Err(RtcpError::PaddingNotLast { offset: at });
        }
        let count = body.last().copied().unwrap_or(0);
        let kept = body.len().checked_sub(usize::from(count)).filter(|_| count > 0);
        body = kept.and_then(|k| body.get(..k)).ok_or(RtcpError::BadPadding { offset: at, count })?;
    }
    let count = first & 0x1f;
    let packet = match packet_type {
        PT_SR => Some(RtcpPacket::SenderReport(parse_sr(body, count, at)?)),
        PT_RR => Some(RtcpPacket::ReceiverReport(parse_rr(body, count, at)?)),
        PT_SDES => Some(RtcpPacket::Sdes(parse_sdes(body, count, at)?)),
        PT_BYE => Some(RtcpPacket::Bye(parse_bye(body, count, at)?)),
        _ => None,
    };
    Ok((packet, end))
}
