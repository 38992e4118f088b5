//! Byte ranges into a message buffer: the whole index of a parsed message is made of these.

/// A half-open byte range `start..end` into the message's `Bytes`. `u32` keeps a header
/// entry at 20 bytes, so 32 of them fit inline in the message without a heap allocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// A span from `usize` offsets; callers guarantee they fit (message size is bounded).
    #[inline]
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }

    /// The bytes this span covers in `buf`.
    #[inline]
    pub fn of<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        &buf[self.start as usize..self.end as usize]
    }

    #[inline]
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The span of `sub`, which must be a sub-slice of `buf` (used to turn a trimmed view
    /// back into offsets).
    #[inline]
    pub fn within(buf: &[u8], sub: &[u8]) -> Span {
        let start = sub.as_ptr() as usize - buf.as_ptr() as usize;
        Span::new(start, start + sub.len())
    }
}
