//! Branches, Call-IDs, tag bits and cnonces drawn from a CSPRNG (RFC 3261 8.1.1.4, 8.1.1.7,
//! 19.3): ChaCha12 seeded per endpoint, so an off-path attacker who has seen every identifier
//! we sent still cannot guess the next one. The previous generator (a salt plus a counter,
//! through SplitMix64's invertible finaliser) gave its salt away with any one branch.
//!
//! The seed comes from the configuration ([`super::EndpointConfig::seed`], drawn from the
//! operating system by default), so the sans-IO core never reads the OS and a test that sets
//! it replays exactly. ChaCha12 fills 256 bytes per refill, so an identifier costs a copy of
//! 8 buffered bytes and, every 32 draws, a block computation.

use bytes::{BufMut, BytesMut};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha12Rng;

use crate::sip::MAGIC_COOKIE;

/// SplitMix64's step between states (2^64 / golden ratio).
pub(crate) const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's finaliser: a bijection of 64-bit values, so distinct states (a salt plus a
/// counter times [`GOLDEN_GAMMA`]) give distinct, random-looking outputs. Not for secrets:
/// it is invertible.
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

/// A CSPRNG seed from the operating system (`getrandom`). Panics only when the OS has no
/// random source at all: a server must not run with identifiers anyone can guess.
pub fn os_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).expect("the operating system's random source");
    seed
}

/// Generator of unguessable identifiers for one endpoint.
#[derive(Clone, Debug)]
pub struct Ids {
    rng: ChaCha12Rng,
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
    /// Seeded from the operating system.
    pub fn new() -> Ids {
        Ids::from_seed(os_seed())
    }

    /// Seeded with `seed`: the same seed gives the same identifiers (tests, replays).
    pub fn from_seed(seed: [u8; 32]) -> Ids {
        Ids { rng: ChaCha12Rng::from_seed(seed) }
    }

    /// 64 random bits (tag secrets, SDP session ids, random handles).
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// 32 random bits (the random part of a tag).
    pub fn next_u32(&mut self) -> u32 {
        self.rng.next_u32()
    }

    /// A new branch on the stack (no allocation per request): the magic cookie and 16 hex
    /// digits, 64 random bits.
    pub fn branch(&mut self) -> [u8; 23] {
        let mut b = [0u8; 23];
        b[..7].copy_from_slice(MAGIC_COOKIE);
        b[7..].copy_from_slice(&hex16(self.next_u64()));
        b
    }

    /// Appends a new Digest cnonce, 32 hex digits (128 random bits): a server that has seen
    /// every branch, tag and cnonce we sent still cannot predict the next one (RFC 7616 5.12:
    /// a predictable cnonce lets a server choose the hashed plaintext).
    pub fn put_cnonce(&mut self, out: &mut BytesMut) {
        out.put_slice(&hex16(self.next_u64()));
        out.put_slice(&hex16(self.next_u64()));
    }

    /// Appends a new Call-ID: 16 hex digits (64 random bits) `@` our host, one that
    /// [`owner_of`] gives to shard `index` of `count` (drawn again until it does: `count`
    /// draws on average).
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

    #[test]
    fn a_seed_replays_and_different_seeds_differ() {
        let (mut a, mut b, mut c) = (Ids::from_seed([1; 32]), Ids::from_seed([1; 32]), Ids::from_seed([2; 32]));
        let draws = |ids: &mut Ids| (0..64).map(|_| ids.branch()).collect::<Vec<_>>();
        let (da, db, dc) = (draws(&mut a), draws(&mut b), draws(&mut c));
        assert_eq!(da, db, "the same seed gives the same identifiers");
        assert!(da.iter().zip(&dc).all(|(x, y)| x != y), "different seeds share no branch");
        // No bit of the random part is stuck: each of the 64 bits is seen both set and clear.
        let (mut ones, mut zeros) = (0u64, 0u64);
        for _ in 0..256 {
            let v = a.next_u64();
            (ones, zeros) = (ones | v, zeros | !v);
        }
        assert_eq!((ones, zeros), (u64::MAX, u64::MAX));
    }
}
