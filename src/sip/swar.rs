//! Searches in short slices, eight bytes at a time in a `u64` ("SIMD within a register").
//!
//! Header values and their parts are mostly 5 to 60 bytes long: too short for `memchr`'s
//! dispatch to pay off, too long for a byte loop to be cheap. Slices of 16 bytes and more
//! are searched 16 bytes at a time with SSE2.

const LOW7: u64 = u64::from_le_bytes([0x7f; 8]);

/// The high bit of each byte of `x` that is zero. Exact: no carry crosses a byte, so no
/// byte is reported that is not zero.
#[inline]
pub fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// `b` in every byte.
#[inline]
pub fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// The first position in `s` whose byte is one of `needles` (up to three), word by word;
/// the last word overlaps the one before it rather than leaving a tail.
#[inline]
fn find_in_words<const N: usize>(s: &[u8], needles: [u8; N]) -> Option<usize> {
    let pats = needles.map(splat);
    let mut at = 0;
    loop {
        let at_word = at.min(s.len() - 8);
        let w = u64::from_le_bytes(s[at_word..at_word + 8].try_into().unwrap_or([0; 8]));
        let hits = pats.iter().fold(0, |acc, &p| acc | zero_bytes(w ^ p));
        if hits != 0 {
            return Some(at_word + hits.trailing_zeros() as usize / 8);
        }
        if at_word + 8 == s.len() {
            return None;
        }
        at += 8;
    }
}

/// True when every byte of `s` is visible ASCII (`%x21-7E`), eight bytes at a time: a byte
/// below 0x21 borrows into its high bit when 0x21 is subtracted, one above 0x7E sets it when
/// 1 is added (or has it already). Exact as a yes/no answer; carries only reach bytes above
/// one already found.
pub fn all_visible(s: &[u8]) -> bool {
    let mut words = s.chunks_exact(8);
    let high = splat(0x80);
    for w in &mut words {
        let x = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
        if ((x.wrapping_sub(splat(0x21)) & !x) | x.wrapping_add(splat(1)) | x) & high != 0 {
            return false;
        }
    }
    words.remainder().iter().all(|&b| (0x21..0x7f).contains(&b))
}

/// The first `b` in `s`.
#[inline]
pub fn find(s: &[u8], b: u8) -> Option<usize> {
    find_any(s, [b])
}

/// The first byte of `s` that is one of `needles` (one to three of them).
#[inline]
pub fn find_any<const N: usize>(s: &[u8], needles: [u8; N]) -> Option<usize> {
    match s.len() {
        0..8 => s.iter().position(|x| needles.contains(x)),
        8..16 => find_in_words(s, needles),
        _ => find_vector(s, needles),
    }
}

/// The first `b` in `s`, a slice that is usually long (a header line).
#[inline]
pub fn find_long(s: &[u8], b: u8) -> Option<usize> {
    find_vector(s, [b])
}

/// [`find_any`] for 16 bytes and more: SSE2 is part of every x86-64, so the search needs no
/// run-time dispatch and inlines into the caller (`memchr::memchr` picks AVX2 through a
/// function pointer on every call, which costs more than it saves on a header line).
#[inline]
fn find_vector<const N: usize>(s: &[u8], needles: [u8; N]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        use memchr::arch::x86_64::sse2::memchr::{One, Three, Two};
        let found = match *needles.as_slice() {
            [a] => One::new(a).map(|f| f.find(s)),
            [a, b] => Two::new(a, b).map(|f| f.find(s)),
            [a, b, c] => Three::new(a, b, c).map(|f| f.find(s)),
            _ => None,
        };
        if let Some(found) = found {
            return found;
        }
    }
    match *needles.as_slice() {
        [a] => memchr::memchr(a, s),
        [a, b] => memchr::memchr2(a, b, s),
        [a, b, c] => memchr::memchr3(a, b, c, s),
        _ => s.iter().position(|x| needles.contains(x)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_like_a_byte_loop() {
        let text = b"sip:alice@atlanta.example.com;transport=udp?subject=a%20b;x=\"q\"<>\xff\x80\x00end";
        for start in 0..text.len() {
            for end in start..=text.len() {
                let s = &text[start..end];
                for &b in b"@;?%\"<>\xff\x80\x00xq" {
                    assert_eq!(find(s, b), s.iter().position(|&x| x == b), "{b} in {s:?}");
                    let any = s.iter().position(|&x| x == b || x == b';' || x == b'\x80');
                    assert_eq!(find_any(s, [b, b';', b'\x80']), any, "{b} in {s:?}");
                }
            }
        }
    }
}
