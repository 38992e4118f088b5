//! Our tags (RFC 3261 19.3) name the call that owns them: a tag is the call's slab handle,
//! mixed with a per-table secret and written in hex. An in-dialog request or a response
//! finds its call from the tag alone, with no hash lookup, and a forged or stale tag misses.

use crate::timer::Handle;

/// Writes and reads local tags for one table.
#[derive(Clone, Copy, Debug)]
pub struct TagCodec {
    secret: u64,
}

/// A tag as text: 16 hex digits.
pub type TagText = [u8; 16];

impl TagCodec {
    pub fn new(secret: u64) -> TagCodec {
        TagCodec { secret }
    }

    pub fn encode(&self, h: Handle) -> TagText {
        let v = h.to_u64() ^ self.secret;
        let mut out = [0u8; 16];
        for (i, b) in out.iter_mut().enumerate() {
            *b = b"0123456789abcdef"[((v >> (60 - 4 * i)) & 0xf) as usize];
        }
        out
    }

    /// The handle a tag names; `None` for a tag we did not write.
    pub fn decode(&self, tag: &[u8]) -> Option<Handle> {
        if tag.len() != 16 {
            return None;
        }
        let mut v = 0u64;
        for &b in tag {
            v = v << 4 | u64::from((b as char).to_digit(16)?);
        }
        Some(Handle::from_u64(v ^ self.secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::GenSlab;

    #[test]
    fn tags_round_trip_and_foreign_tags_miss() {
        let mut slab = GenSlab::default();
        let h = slab.insert(());
        let codec = TagCodec::new(0x5eed_cafe_f00d_1234);
        let tag = codec.encode(h);
        assert_eq!(codec.decode(&tag), Some(h));
        assert_eq!(codec.decode(b"a6c85cf"), None);
        assert_eq!(codec.decode(b"zzzzzzzzzzzzzzzz"), None);
        assert_ne!(TagCodec::new(1).encode(h), tag);
    }
}
