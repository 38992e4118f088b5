//! Goodbye packets (RFC 3550 6.6): the sources that leave, and why.

use super::{be_u32, RtcpError};

/// A received BYE, borrowing the datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bye<'a> {
    ssrcs: &'a [u8],
    reason: Option<&'a [u8]>,
}

impl<'a> Bye<'a> {
    /// Number of sources leaving (the SC field). Zero is legal and means nothing (6.6).
    pub fn len(&self) -> usize {
        self.ssrcs.len() / 4
    }

    pub fn is_empty(&self) -> bool {
        self.ssrcs.is_empty()
    }

    pub fn ssrcs(&self) -> impl Iterator<Item = u32> + 'a {
        self.ssrcs.chunks_exact(4).filter_map(|w| be_u32(w, 0))
    }

    /// The reason for leaving as sent, if any: UTF-8 by the RFC, not checked.
    pub fn reason(&self) -> Option<&'a [u8]> {
        self.reason
    }

    /// The reason for leaving, if present and valid UTF-8.
    pub fn reason_str(&self) -> Option<&'a str> {
        self.reason.and_then(|r| std::str::from_utf8(r).ok())
    }
}

/// Reads a BYE body (after the common header, padding removed) listing `count` sources.
pub(crate) fn parse_bye(body: &[u8], count: u8, offset: usize) -> Result<Bye<'_>, RtcpError> {
    let bad = |reason| RtcpError::BadPacket { packet: "BYE", offset, reason };
    let len = usize::from(count) * 4;
    let ssrcs = body.get(..len).ok_or(bad("source count exceeds the length"))?;
    // RFC 3550 6.6: an optional length octet and that many octets of text, then null padding.
    let reason = match body.get(len..).unwrap_or_default() {
        [] => None,
        [n, text @ ..] => Some(text.get(..usize::from(*n)).ok_or(bad("reason runs past the length"))?),
    };
    Ok(Bye { ssrcs, reason })
}
