//! The line feeds of a message, found 64 bytes at a time and handed out in order.
//!
//! Indexing looks for the end of every header line, and each line starts where the last one
//! ended: a search per line puts the search's latency on that chain a dozen times. Here each
//! 64-byte block is compared once, and its line feeds are kept as a bit mask, so the end of
//! the next line is usually a mask and a count of trailing zeros away.

/// Bit `i` set where `chunk[i]` is a line feed.
#[cfg(target_arch = "x86_64")]
#[inline]
fn mask16(chunk: &[u8; 16]) -> u64 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    // SAFETY: SSE2 is part of every x86-64, so these instructions always exist; the
    // unaligned load reads exactly the 16 bytes `chunk` refers to.
    let mask = unsafe {
        let bytes = _mm_loadu_si128(chunk.as_ptr().cast());
        _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\n' as i8)))
    };
    mask as u32 as u64
}

/// [`mask16`] without SSE2, eight bytes at a time.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn mask16(chunk: &[u8; 16]) -> u64 {
    use super::swar::{splat, zero_bytes};
    // The high bit of each matching byte, gathered into the low byte by one multiplication.
    let bits = |w: &[u8]| {
        let hits = zero_bytes(u64::from_le_bytes(w.try_into().unwrap_or([0; 8])) ^ splat(b'\n')) >> 7;
        hits.wrapping_mul(0x0102_0408_1020_4080) >> 56
    };
    bits(&chunk[..8]) | bits(&chunk[8..]) << 8
}

/// The line feed mask of the 64 bytes from `at`, bytes past the end of `buf` matching none.
#[inline]
fn block_mask(buf: &[u8], at: usize) -> u64 {
    match buf.get(at..at + 64).and_then(|b| <&[u8; 64]>::try_from(b).ok()) {
        Some(block) => block_mask64(block),
        None => tail_mask(buf, at),
    }
}

/// [`block_mask`] for the last, partial block.
#[cold]
fn tail_mask(buf: &[u8], at: usize) -> u64 {
    let mut tail = [0; 64];
    let rest = buf.get(at..).unwrap_or_default();
    tail[..rest.len()].copy_from_slice(rest);
    block_mask64(&tail)
}

#[inline]
fn block_mask64(block: &[u8; 64]) -> u64 {
    let chunk = |i: usize| mask16(block[16 * i..16 * i + 16].try_into().unwrap_or(&[0; 16])) << (16 * i);
    chunk(0) | chunk(1) | chunk(2) | chunk(3)
}

/// Line feeds of `buf` in order: each lookup starts at or after the previous one.
pub struct LineFeeds<'a> {
    buf: &'a [u8],
    /// Start of the block `mask` describes.
    block: usize,
    mask: u64,
}

impl<'a> LineFeeds<'a> {
    pub fn new(buf: &'a [u8]) -> LineFeeds<'a> {
        LineFeeds { buf, block: 0, mask: block_mask(buf, 0) }
    }

    /// The first line feed at or after `from`, which must not be before the previous `from`.
    #[inline(always)]
    pub fn next(&mut self, from: usize) -> Option<usize> {
        let skip = from.wrapping_sub(self.block);
        if skip < 64 {
            let mask = self.mask & (u64::MAX << skip);
            if mask != 0 {
                return Some(self.block + mask.trailing_zeros() as usize);
            }
        }
        self.next_in_later_blocks(from)
    }

    #[inline]
    fn next_in_later_blocks(&mut self, from: usize) -> Option<usize> {
        let mut skip = 0;
        if from >= self.block + 64 {
            self.block = from & !63;
            skip = from - self.block;
        } else {
            self.block += 64;
        }
        while self.block < self.buf.len() {
            self.mask = block_mask(self.buf, self.block);
            let mask = self.mask & (u64::MAX << skip);
            if mask != 0 {
                return Some(self.block + mask.trailing_zeros() as usize);
            }
            self.block += 64;
            skip = 0;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::LineFeeds;

    #[test]
    fn finds_every_line_feed_in_order() {
        let text: Vec<u8> = (0..300u32)
            .map(|i| if i % 7 == 3 || i == 64 || i == 299 { b'\n' } else { b'a' + (i % 26) as u8 })
            .collect();
        for start in 0..=text.len() {
            for step in 1..80 {
                let mut lf = LineFeeds::new(&text);
                let mut from = start;
                while from <= text.len() {
                    let expect = text[from..].iter().position(|&b| b == b'\n').map(|i| from + i);
                    assert_eq!(lf.next(from), expect, "from {from} step {step}");
                    let Some(at) = expect else { break };
                    from = at + step;
                }
            }
        }
    }
}
