//! Branches and Call-IDs that are unique in time and space (RFC 3261 8.1.1.4, 8.1.1.7):
//! a per-endpoint random salt and a counter, written in hex.

use bytes::{BufMut, BytesMut};

use crate::sip::MAGIC_COOKIE;

/// SplitMix64's step between states (2^64 / golden ratio).
pub(crate) const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's finaliser: a bijection of 64-bit values, so distinct states (a salt plus a
/// counter times [`GOLDEN_GAMMA`]) give distinct, random-looking outputs.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The shard that owns the call with this Call-ID, of `shards`: FNV-1a, fixed rather than
/// randomly keyed, because all shards must agree without talking (and a shard placing a call
/// must make a Call-ID that comes back to it).
pub fn owner_of(call_id: &[u8], shards: usize) -> usize {
    if shards <= 1 {
        return 0;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in call_id {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // Fold the high bits in: FNV's low bits alone spread poorly over a few shards.
    ((h ^ (h >> 32)) % shards as u64) as usize
}

/// Room for a Call-ID on the stack: 16 hex digits, `@` and an IPv6 address fit inline.
pub type CallIdBuf = smallvec::SmallVec<[u8; 64]>;

/// Generator of unique identifiers for one endpoint.
#[derive(Clone, Debug)]
pub struct Ids {
    salt: u64,
    counter: u64,
    /// The key of the cnonces: drawn apart from `salt`, which any branch we send gives away
    /// (SplitMix64's finaliser is invertible).
    cnonce_key: [u64; 2],
}

impl Default for Ids {
    fn default() -> Self {
        Ids::new()
    }
}

/// `v` as 16 lower-case hex digits.
fn hex16(v: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, d) in out.iter_mut().enumerate() {
        *d = b"0123456789abcdef"[((v >> (4 * (15 - i))) & 0xf) as usize];
    }
    out
}

impl Ids {
    /// Seeds the salt from the process's hash randomness (no clock, no global RNG).
    pub fn new() -> Ids {
        let draw = || ahash::RandomState::new().hash_one(0x6361_6c6c_7368_6172u64);
        Ids { salt: draw(), counter: 0, cnonce_key: [draw(), draw()] }
    }

    /// A random-looking 64-bit value, different on every call (tag secrets, SDP session ids).
    pub fn next_u64(&mut self) -> u64 {
        self.counter += 1;
        mix64(self.salt.wrapping_add(self.counter.wrapping_mul(GOLDEN_GAMMA)))
    }

    /// A new branch on the stack (no allocation per request): the magic cookie and 16 hex
    /// digits.
    pub fn branch(&mut self) -> [u8; 23] {
        let mut b = [0u8; 23];
        b[..7].copy_from_slice(MAGIC_COOKIE);
        let v = self.next_u64();
        b[7..].copy_from_slice(&hex16(v));
        b
    }

    /// Appends a new Digest cnonce, 32 hex digits: SHA-256 of a secret key and a counter, so a
    /// server that has seen every branch, tag and cnonce we sent still cannot predict the next
    /// one (RFC 7616 5.12: a predictable cnonce lets a server choose the hashed plaintext).
    pub fn put_cnonce(&mut self, out: &mut BytesMut) {
        use sha2::Digest;
        self.counter += 1;
        let mut h = sha2::Sha256::new();
        for v in [self.cnonce_key[0], self.cnonce_key[1], self.counter] {
            h.update(v.to_le_bytes());
        }
        let d = h.finalize();
        out.put_slice(&hex16(u64::from_le_bytes(d[..8].try_into().unwrap_or_default())));
        out.put_slice(&hex16(u64::from_le_bytes(d[8..16].try_into().unwrap_or_default())));
    }

    /// Appends a new Call-ID: 16 hex digits `@` our host, one that [`owner_of`] gives to
    /// shard `index` of `count` (drawn again until it does: `count` draws on average).
    pub fn put_call_id(&mut self, host: &[u8], (index, count): (usize, usize), out: &mut CallIdBuf) {
        let start = out.len();
        loop {
            let v = self.next_u64();
            out.extend_from_slice(&hex16(v));
            out.push(b'@');
            out.extend_from_slice(host);
            if owner_of(&out[start..], count) == index.min(count.saturating_sub(1)) {
                return;
            }
            out.truncate(start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_unique_and_well_formed() {
        let mut ids = Ids::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let b = ids.branch();
            assert!(b.starts_with(b"z9hG4bK") && b.len() == 23);
            assert!(seen.insert(bytes::Bytes::copy_from_slice(&b)));
        }
        for _ in 0..1000 {
            let mut c = BytesMut::new();
            ids.put_cnonce(&mut c);
            assert!(c.len() == 32 && c.iter().all(u8::is_ascii_hexdigit));
            assert!(seen.insert(c.freeze()));
        }
        let mut c = CallIdBuf::new();
        ids.put_call_id(b"127.0.0.1", (0, 1), &mut c);
        assert!(c.ends_with(b"@127.0.0.1"));
        for shard in 0..3 {
            let mut c = CallIdBuf::new();
            ids.put_call_id(b"h", (shard, 3), &mut c);
            assert_eq!(owner_of(&c, 3), shard);
        }
    }
}
