//! Source descriptions (RFC 3550 6.5): chunks of an SSRC and its items, each chunk ended by
//! one or more null octets up to a 32-bit boundary. The whole packet is checked once when
//! parsed, then the chunks and items are read from the datagram as they are iterated.

use super::{be_u32, RtcpError, SDES_CNAME};

/// A received SDES packet, borrowing the datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sdes<'a> {
    count: u8,
    bytes: &'a [u8],
}

/// One chunk: the items describing one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    pub ssrc: u32,
    /// The items without the terminating null octets.
    items: &'a [u8],
}

/// One SDES item (RFC 3550 6.5.1 to 6.5.8): its type and its value, UTF-8 by the RFC but not
/// checked here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdesItem<'a> {
    pub kind: u8,
    pub value: &'a [u8],
}

impl<'a> Sdes<'a> {
    /// Number of chunks (the SC field).
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn chunks(&self) -> impl Iterator<Item = SdesChunk<'a>> + 'a {
        let bytes = self.bytes;
        let mut at = 0;
        std::iter::from_fn(move || {
            let (chunk, end) = read_chunk(bytes, at)?;
            at = end;
            Some(chunk)
        })
    }

    /// The CNAME of `ssrc`, if a chunk of this packet gives one.
    pub fn cname_of(&self, ssrc: u32) -> Option<&'a [u8]> {
        self.chunks().find(|c| c.ssrc == ssrc).and_then(|c| c.cname())
    }
}

impl<'a> SdesChunk<'a> {
    pub fn items(&self) -> impl Iterator<Item = SdesItem<'a>> + 'a {
        let mut rest = self.items;
        std::iter::from_fn(move || {
            let (&kind, after) = rest.split_first()?;
            let (&len, after) = after.split_first()?;
            let value = after.get(..usize::from(len))?;
            rest = after.get(usize::from(len)..).unwrap_or_default();
            Some(SdesItem { kind, value })
        })
    }

    /// The canonical name, the item that ties a source to its participant (RFC 3550 6.5.1).
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.items().find(|i| i.kind == SDES_CNAME).map(|i| i.value)
    }
}

/// Checks an SDES body (after the common header, padding removed) of `count` chunks. Octets
/// after the last chunk are ignored.
pub(crate) fn parse_sdes(body: &[u8], count: u8, offset: usize) -> Result<Sdes<'_>, RtcpError> {
    let mut at = 0;
    for _ in 0..count {
        let (_, end) = read_chunk(body, at).ok_or(RtcpError::BadPacket {
            packet: "SDES",
            offset,
            reason: "a chunk runs past the length or lacks its null terminator",
        })?;
        at = end;
    }
    Ok(Sdes { count, bytes: body.get(..at).unwrap_or_default() })
}

/// Reads the chunk starting at `start` (a 32-bit boundary) and returns it with the offset of
/// the next one, or `None` if it does not fit `body`.
fn read_chunk(body: &[u8], start: usize) -> Option<(SdesChunk<'_>, usize)> {
    let ssrc = be_u32(body, start)?;
    let first_item = start + 4;
    let mut at = first_item;
    loop {
        // Each turn moves `at` forward by two or more, so `get` ends the loop at the end.
        match *body.get(at)? {
            // RFC 3550 6.5: a null item type ends the list; null octets pad to 32 bits. The
            // body starts 4 octets into the packet, so its offsets share the packet's alignment.
            0 => {
                let end = (at + 1).next_multiple_of(4);
                let items = body.get(first_item..at)?;
                return (end <= body.len()).then_some((SdesChunk { ssrc, items }, end));
            }
            _ => at += 2 + usize::from(*body.get(at + 1)?),
        }
    }
}
