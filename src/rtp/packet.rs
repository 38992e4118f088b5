//! The RTP fixed header (RFC 3550 5.1) read in place from a received datagram, and written
//! in front of a payload. A media packet is forwarded or echoed without copying its payload,
//! so reading is a view over the datagram's bytes and every field is decoded when asked.

use thiserror::Error;

/// What is wrong with a datagram that claims to be RTP; it is dropped and counted.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum RtpError {
    #[error("shorter than the 12-byte RTP header")]
    TooShort,
    #[error("RTP version {0}, not 2")]
    BadVersion(u8),
    #[error("CSRC list or header extension runs past the datagram")]
    HeaderOverrun,
    #[error("padding count is zero or longer than the payload")]
    BadPadding,
}

/// A received RTP packet: the datagram and where its payload lies. Fields are read from the
/// bytes on each call; nothing is copied.
#[derive(Clone, Copy, Debug)]
pub struct RtpPacket<'a> {
    bytes: &'a [u8],
    header_len: usize,
    payload_end: usize,
}

/// The fixed header fields of a packet we send: always version 2, no padding, no
/// extension, no CSRC (callshard is an end point, not a mixer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

/// Length of the fixed header, and of every header callshard writes.
pub const RTP_HEADER_LEN: usize = 12;

impl<'a> RtpPacket<'a> {
    /// Checks the header against the datagram (RFC 3550 A.1's validity tests that need no
    /// stream state: version, CSRC list, extension and padding lengths).
    pub fn parse(bytes: &'a [u8]) -> Result<RtpPacket<'a>, RtpError> {
        if bytes.len() < RTP_HEADER_LEN {
            return Err(RtpError::TooShort);
        }
        let version = bytes[0] >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion(version));
        }
        let mut header_len = RTP_HEADER_LEN + 4 * usize::from(bytes[0] & 0x0f);
        if bytes[0] & 0x10 != 0 {
            // RFC 3550 5.3.1: a 4-byte extension header, its length in 32-bit words after it.
            let words = bytes.get(header_len + 2..header_len + 4).ok_or(RtpError::HeaderOverrun)?;
            header_len += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
        }
        if header_len > bytes.len() {
            return Err(RtpError::HeaderOverrun);
        }
        let mut payload_end = bytes.len();
        if bytes[0] & 0x20 != 0 {
            // RFC 3550 5.1: the last octet counts the padding octets, itself included.
            let padding = usize::from(bytes[bytes.len() - 1]);
            if padding == 0 || padding > bytes.len() - header_len {
                return Err(RtpError::BadPadding);
            }
            payload_end -= padding;
        }
        Ok(RtpPacket { bytes, header_len, payload_end })
    }

    pub fn marker(&self) -> bool {
        self.bytes[1] & 0x80 != 0
    }

    pub fn payload_type(&self) -> u8 {
        self.bytes[1] & 0x7f
    }

    pub fn sequence(&self) -> u16 {
        u16::from_be_bytes([self.bytes[2], self.bytes[3]])
    }

    pub fn timestamp(&self) -> u32 {
        u32::from_be_bytes([self.bytes[4], self.bytes[5], self.bytes[6], self.bytes[7]])
    }

    pub fn ssrc(&self) -> u32 {
        u32::from_be_bytes([self.bytes[8], self.bytes[9], self.bytes[10], self.bytes[11]])
    }

    /// The contributing sources a mixer listed (RFC 3550 5.1, CC of them).
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + 'a {
        let count = usize::from(self.bytes[0] & 0x0f);
        self.bytes[RTP_HEADER_LEN..RTP_HEADER_LEN + 4 * count]
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// The header extension as (profile-defined 16 bits, data), when the X bit is set.
    pub fn extension(&self) -> Option<(u16, &'a [u8])> {
        if self.bytes[0] & 0x10 == 0 {
            return None;
        }
        let at = RTP_HEADER_LEN + 4 * usize::from(self.bytes[0] & 0x0f);
        let profile = u16::from_be_bytes([self.bytes[at], self.bytes[at + 1]]);
        Some((profile, &self.bytes[at + 4..self.header_len]))
    }

    /// The payload, without header, extension or padding.
    pub fn payload(&self) -> &'a [u8] {
        &self.bytes[self.header_len..self.payload_end]
    }

    /// Offset of the payload in the datagram: a forwarder that keeps the datagram's buffer
    /// slices the payload out of it by this range instead of copying.
    pub fn payload_range(&self) -> std::ops::Range<usize> {
        self.header_len..self.payload_end
    }

    /// The whole datagram.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

impl RtpHeader {
    /// The 12 header bytes in network order.
    pub fn to_bytes(&self) -> [u8; RTP_HEADER_LEN] {
        let mut out = [0u8; RTP_HEADER_LEN];
        out[0] = 2 << 6;
        out[1] = (u8::from(self.marker) << 7) | (self.payload_type & 0x7f);
        out[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        out
    }

    /// Appends the header and then `payload` to `out`: one packet ready to send.
    pub fn write(&self, payload: &[u8], out: &mut Vec<u8>) {
        out.reserve(RTP_HEADER_LEN + payload.len());
        out.extend_from_slice(&self.to_bytes());
        out.extend_from_slice(payload);
    }
}

/// RFC 5761 4: on a port shared by RTP and RTCP (`a=rtcp-mux`), a second byte in 192..=223
/// is an RTCP packet type (SR 200 ... APP 204 and their neighbours). RTP stays clear of it by
/// never using payload types 64..=95, which with the marker bit set would read the same.
pub fn is_rtcp(datagram: &[u8]) -> bool {
    datagram.len() >= 2 && (192..=223).contains(&datagram[1])
}
