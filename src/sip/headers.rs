//! Finding header lines by kind. The index remembers where each known kind first appears and
//! which kinds repeat, so a lookup is one array access instead of a walk over every line.

use std::ops::Range;

use super::header_name::HeaderName;
use super::lex::{split_outside_quotes, trim};
use super::message::Message;
use super::scan::HeaderField;

/// Where the first line of each header kind sits in the index, and which kinds repeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slots {
    /// 1 + the index of the first line of each kind; 0 when absent (or past index 254).
    first: [u8; HeaderName::KINDS],
    /// One bit per kind: it has more than one line, or its first line is past index 254.
    many: u64,
}

impl Default for Slots {
    fn default() -> Self {
        Slots { first: [0; HeaderName::KINDS], many: 0 }
    }
}

impl Slots {
    /// Records that line `index` of the index is of kind `kind`.
    #[inline]
    pub fn note(&mut self, kind: HeaderName, index: usize) {
        let k = kind as usize;
        if self.first[k] == 0 && index < 255 {
            self.first[k] = index as u8 + 1;
        } else {
            self.many |= 1 << k;
        }
    }

    /// True when a line of one of the kinds in `mask` (bits by kind) is repeated.
    pub fn any_repeated(&self, mask: u64) -> bool {
        self.many & mask != 0
    }

    /// The index lines that can hold kind `kind`, out of `len` lines.
    #[inline]
    fn range(&self, kind: HeaderName, len: usize) -> Range<usize> {
        let k = kind as usize;
        let many = self.many & (1 << k) != 0;
        match (self.first[k], many) {
            (0, false) => len..len,
            (0, true) => 0..len,
            (i, false) => i as usize - 1..i as usize,
            (i, true) => i as usize - 1..len,
        }
    }
}

impl Message {
    /// The value of the first header of this kind (compact forms included).
    #[inline]
    pub fn header(&self, kind: HeaderName) -> Option<&[u8]> {
        match self.slots.first[kind as usize] {
            0 => self.header_all(kind).next(),
            i => self.headers.get(i as usize - 1).map(|h| h.value.of(&self.bytes)),
        }
    }

    /// The values of every header line of this kind, in order.
    #[inline]
    pub fn header_all(&self, kind: HeaderName) -> impl Iterator<Item = &[u8]> + '_ {
        self.header_lines(kind).map(|h| h.value.of(&self.bytes))
    }

    /// Every header line of this kind, in order: only the lines the slots say can hold it
    /// (a response echoes five kinds of its request's lines, each found this way).
    #[inline]
    pub fn header_lines(&self, kind: HeaderName) -> impl Iterator<Item = &HeaderField> + '_ {
        self.headers[self.slots.range(kind, self.headers.len())].iter().filter(move |h| h.kind == kind)
    }

    /// The value of the first header with this name (case-insensitive), for extension headers.
    pub fn header_named(&self, name: &[u8]) -> Option<&[u8]> {
        if !super::lex::is_token(name) {
            return None;
        }
        match HeaderName::classify(name) {
            HeaderName::Other => self
                .headers
                .iter()
                .find(|h| h.kind == HeaderName::Other && h.name.of(&self.bytes).eq_ignore_ascii_case(name))
                .map(|h| h.value.of(&self.bytes)),
            kind => self.header(kind),
        }
    }

    /// The comma-separated elements of every header line of this kind (RFC 3261 7.3.1),
    /// split lazily outside quoted strings and angle brackets, trimmed, empties skipped.
    pub fn values(&self, kind: HeaderName) -> impl Iterator<Item = &[u8]> + '_ {
        self.header_all(kind).flat_map(ListItems)
    }
}

/// The first element of one comma-separated header value, as [`Message::values`] gives it.
pub(super) fn first_item(value: &[u8]) -> Option<&[u8]> {
    ListItems(value).next()
}

/// Iterator over the elements of one comma-separated header value.
struct ListItems<'a>(&'a [u8]);

impl<'a> Iterator for ListItems<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        while !self.0.is_empty() {
            let (item, rest) = split_outside_quotes(self.0, b',');
            self.0 = rest.unwrap_or(b"");
            let item = trim(item);
            if !item.is_empty() {
                return Some(item);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_find_first_and_repeated_lines() {
        let mut s = Slots::default();
        s.note(HeaderName::Via, 0);
        s.note(HeaderName::To, 1);
        s.note(HeaderName::Via, 2);
        assert_eq!(s.range(HeaderName::Via, 4), 0..4);
        assert_eq!(s.range(HeaderName::To, 4), 1..2);
        assert_eq!(s.range(HeaderName::From, 4), 4..4);
        s.note(HeaderName::From, 300);
        assert_eq!(s.range(HeaderName::From, 301), 0..301);
        assert!(s.any_repeated(1 << HeaderName::Via as usize) && !s.any_repeated(1 << HeaderName::To as usize));
    }
}
