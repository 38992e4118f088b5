//! Our tags (RFC 3261 19.3) name the call that owns them: a tag is the call's slab handle,
//! XORed with a per-table secret and scrambled by an invertible 64-bit mix (murmur3's fmix64),
//! written in hex. An in-dialog request or a response finds its call from the tag alone, with
//! no hash lookup; a forged or stale tag misses; and consecutive calls get unrelated-looking
//! tags, so one tag does not give away the next (19.3 asks for tags that cannot be guessed).

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
        let v = mix(h.to_u64() ^ self.secret);
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
        Some(Handle::from_u64(unmix(v) ^ self.secret))
    }
}

const C1: u64 = 0xff51_afd7_ed55_8ccd;
const C2: u64 = 0xc4ce_b9fe_1a85_ec53;
/// Multiplicative inverses of C1 and C2 modulo 2^64.
const C1_INV: u64 = 0x4f74_430c_22a5_4005;
const C2_INV: u64 = 0x9cb4_b2f8_1293_37db;

/// fmix64: a bijection on u64 (each step is invertible).
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(C1);
    x ^= x >> 33;
    x = x.wrapping_mul(C2);
    x ^ (x >> 33)
}

/// The inverse of [`mix`]: `x ^= x >> 33` undoes itself, the products undo by the inverses.
fn unmix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(C2_INV);
    x ^= x >> 33;
    x = x.wrapping_mul(C1_INV);
    x ^ (x >> 33)
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

    #[test]
    fn consecutive_handles_give_unrelated_tags() {
        let mut slab = GenSlab::default();
        let codec = TagCodec::new(0x1234);
        let tags: Vec<_> = (0..100).map(|_| codec.encode(slab.insert(()))).collect();
        for pair in tags.windows(2) {
            let differing = pair[0].iter().zip(&pair[1]).filter(|(a, b)| a != b).count();
            assert!(differing >= 8, "{:?}", pair);
        }
        for x in [0u64, 1, u64::MAX, 0xdead_beef] {
            assert_eq!(super::unmix(super::mix(x)), x);
        }
    }
}
