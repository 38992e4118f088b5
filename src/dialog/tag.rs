//! Our tags (RFC 3261 19.3) name the call that owns them and carry 32 bits from the
//! endpoint's CSPRNG: 16 hex digits of the call's slab handle, XORed with a per-table secret
//! and scrambled by an invertible 64-bit mix (murmur3's fmix64), then 8 hex digits of random
//! bits the call keeps. An in-dialog request or a response finds its call from the first part
//! with no hash lookup, and is taken only if the second part is the one that call keeps.
//!
//! The first part alone is not enough: the mix is invertible, so one tag gives away the
//! handle XORed with the secret, and slab handles are small and predictable, so the next
//! call's tag would follow. The random part is what an off-path attacker has to guess:
//! 2^32 tries per call, each one a datagram.

use crate::timer::Handle;

/// Writes and reads local tags for one table.
#[derive(Clone, Copy, Debug)]
pub struct TagCodec {
    secret: u64,
}

/// A tag as text: 24 hex digits (the scrambled handle, then the random bits).
pub type TagText = [u8; 24];

impl TagCodec {
    pub fn new(secret: u64) -> TagCodec {
        TagCodec { secret }
    }

    /// The tag of the call at `h` whose random bits are `random`.
    pub fn encode(&self, h: Handle, random: u32) -> TagText {
        let mut out = [0u8; 24];
        let v = mix(h.to_u64() ^ self.secret);
        put_hex(&mut out[..16], v);
        put_hex(&mut out[16..], u64::from(random));
        out
    }

    /// The handle a tag names and its random bits; `None` for a tag we did not write. The
    /// caller compares the random bits with the ones the call keeps.
    pub fn decode(&self, tag: &[u8]) -> Option<(Handle, u32)> {
        if tag.len() != 24 {
            return None;
        }
        let (handle, random) = (read_hex(&tag[..16])?, read_hex(&tag[16..])?);
        Some((Handle::from_u64(unmix(handle) ^ self.secret), random as u32))
    }
}

/// `v`'s low `4 * out.len()` bits as lower-case hex digits.
fn put_hex(out: &mut [u8], v: u64) {
    let n = out.len();
    for (i, b) in out.iter_mut().enumerate() {
        *b = b"0123456789abcdef"[((v >> (4 * (n - 1 - i))) & 0xf) as usize];
    }
}

/// Each byte's value as a hex digit (either case), or `NOT_HEX`.
const HEX_VALUE: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut i = 0;
    while i < 16 {
        t[b"0123456789abcdef"[i] as usize] = i as u8;
        t[b"0123456789ABCDEF"[i] as usize] = i as u8;
        i += 1;
    }
    t
};
const NOT_HEX: u8 = 0x80;

/// Up to 16 hex digits (either case) as a number. One table lookup a digit and one check at
/// the end: every in-dialog request and response has its tag read (`char::to_digit` per
/// digit cost twice as much).
fn read_hex(s: &[u8]) -> Option<u64> {
    let (mut v, mut seen) = (0u64, 0u8);
    for &b in s {
        let d = HEX_VALUE[usize::from(b)];
        seen |= d;
        v = v << 4 | u64::from(d);
    }
    (seen & NOT_HEX == 0).then_some(v)
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
        let tag = codec.encode(h, 0xdead_beef);
        assert_eq!(codec.decode(&tag), Some((h, 0xdead_beef)));
        assert!(tag.ends_with(b"deadbeef"));
        assert_eq!(codec.decode(b"a6c85cf"), None);
        assert_eq!(codec.decode(b"zzzzzzzzzzzzzzzzzzzzzzzz"), None);
        assert_eq!(codec.decode(&tag[..16]), None, "a tag without its random part");
        assert_ne!(TagCodec::new(1).encode(h, 0xdead_beef), tag);
        assert_ne!(codec.encode(h, 0xdead_beee), tag);
    }

    #[test]
    fn consecutive_handles_give_unrelated_tags() {
        let mut slab = GenSlab::default();
        let codec = TagCodec::new(0x1234);
        let tags: Vec<_> = (0..100).map(|_| codec.encode(slab.insert(()), 0)).collect();
        for pair in tags.windows(2) {
            let differing = pair[0].iter().zip(&pair[1]).filter(|(a, b)| a != b).count();
            assert!(differing >= 8, "{:?}", pair);
        }
        for x in [0u64, 1, u64::MAX, 0xdead_beef] {
            assert_eq!(super::unmix(super::mix(x)), x);
        }
    }
}
