//! The text a dialog must keep after its datagrams are gone, packed into one allocation.
//!
//! Holding `Bytes` slices of the INVITE would keep the whole INVITE (about 1 KiB with its SDP)
//! alive for the length of the call. Copying the few fields a dialog needs into one boxed
//! buffer keeps a confirmed call's signalling state small.

/// The fields of [`DialogStrings`], in storage order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Field {
    CallId,
    LocalTag,
    RemoteTag,
    LocalUri,
    RemoteUri,
    /// The peer's Contact URI: the Request-URI of our requests (RFC 3261 12.1).
    RemoteTarget,
    /// Route set values joined by `, ` in the order they are sent.
    RouteSet,
}

const FIELDS: usize = 7;

/// All strings of one dialog in one boxed slice, with end offsets.
#[derive(Clone, Debug, Default)]
pub struct DialogStrings {
    buf: Box<[u8]>,
    ends: [u16; FIELDS],
}

impl DialogStrings {
    /// Packs `values` (indexed by [`Field`]); `None` when they exceed 64 KiB together.
    pub fn new(values: [&[u8]; FIELDS]) -> Option<DialogStrings> {
        let total: usize = values.iter().map(|v| v.len()).sum();
        if total > usize::from(u16::MAX) {
            return None;
        }
        let mut buf = Vec::with_capacity(total);
        let mut ends = [0u16; FIELDS];
        for (i, v) in values.iter().enumerate() {
            buf.extend_from_slice(v);
            ends[i] = buf.len() as u16;
        }
        Some(DialogStrings { buf: buf.into_boxed_slice(), ends })
    }

    pub fn get(&self, field: Field) -> &[u8] {
        let i = field as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.buf[start..self.ends[i] as usize]
    }

    /// A copy with one field replaced (a target refresh changes the remote target; the
    /// remote tag of a UAC dialog is learned from the response).
    pub fn with(&self, field: Field, value: &[u8]) -> Option<DialogStrings> {
        let mut values: [&[u8]; FIELDS] = [&[]; FIELDS];
        for (i, slot) in values.iter_mut().enumerate() {
            *slot = if i == field as usize { value } else { self.get(ALL[i]) };
        }
        DialogStrings::new(values)
    }

    /// Heap bytes held, for the memory figures.
    pub fn heap_bytes(&self) -> usize {
        self.buf.len()
    }
}

const ALL: [Field; FIELDS] = [
    Field::CallId,
    Field::LocalTag,
    Field::RemoteTag,
    Field::LocalUri,
    Field::RemoteUri,
    Field::RemoteTarget,
    Field::RouteSet,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_replaces_fields() {
        let s =
            DialogStrings::new([b"cid", b"lt", b"", b"sip:a@x", b"sip:b@y", b"sip:b@1.2.3.4", b"<sip:p;lr>"]).unwrap();
        assert_eq!(s.get(Field::CallId), b"cid");
        assert_eq!(s.get(Field::RemoteTag), b"");
        assert_eq!(s.get(Field::RouteSet), b"<sip:p;lr>");
        let t = s.with(Field::RemoteTag, b"rt").unwrap();
        assert_eq!(t.get(Field::RemoteTag), b"rt");
        assert_eq!(t.get(Field::RemoteTarget), b"sip:b@1.2.3.4");
        assert_eq!(t.heap_bytes(), s.heap_bytes() + 2);
        assert!(DialogStrings::new([&[0u8; 70_000][..], b"", b"", b"", b"", b"", b""]).is_none());
    }
}
