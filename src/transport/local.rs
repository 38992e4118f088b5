//! How a stream connection is named in a datagram's `local` (a `u32`, the endpoint's and the
//! backends' socket index), so that a message read on shard k's connection can be handled by
//! the shard owning its Call-ID and its answer find its way back to that connection.
//!
//! Layout, high bit first: 1 (a stream), the listen index (7 bits), the shard holding the
//! connection (10 bits), the connection's slot in that shard (14 bits). Datagram sockets
//! (listen sockets, media ports) keep their plain index, below 2^31.

/// Stream listen addresses must be among the first this many `--listen` entries.
pub const MAX_STREAM_LISTENERS: u32 = 1 << 7;
/// Shards that may hold stream connections (`--shards` is at most 1024).
pub const MAX_STREAM_SHARDS: u32 = 1 << 10;
/// Connections one shard may hold at once: the bound `max_connections` cannot go beyond it.
pub const MAX_STREAM_SLOTS: u32 = 1 << 14;

const STREAM: u32 = 1 << 31;

/// A stream connection, as named in a `local`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamLocal {
    /// Index of the listen address that accepted it (`--listen` order).
    pub listener: u32,
    /// The shard whose backend holds the socket.
    pub shard: u32,
    /// The connection's slot in that shard's table.
    pub slot: u32,
}

impl StreamLocal {
    /// The `local` naming this connection; `None` when a field is beyond its bits.
    pub fn encode(self) -> Option<u32> {
        let fits =
            self.listener < MAX_STREAM_LISTENERS && self.shard < MAX_STREAM_SHARDS && self.slot < MAX_STREAM_SLOTS;
        fits.then_some(STREAM | (self.listener << 24) | (self.shard << 14) | self.slot)
    }

    /// The connection a `local` names, or `None` for a datagram socket.
    pub fn decode(local: u32) -> Option<StreamLocal> {
        (local & STREAM != 0).then_some(StreamLocal {
            listener: (local >> 24) & (MAX_STREAM_LISTENERS - 1),
            shard: (local >> 14) & (MAX_STREAM_SHARDS - 1),
            slot: local & (MAX_STREAM_SLOTS - 1),
        })
    }
}

/// The listen address a `local` belongs to: itself for a datagram socket, the accepting
/// listener for a connection (whose address and transport our Via and Contact name).
pub fn listener_of(local: u32) -> u32 {
    StreamLocal::decode(local).map_or(local, |s| s.listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_datagram_indices() {
        for s in [
            StreamLocal { listener: 0, shard: 0, slot: 0 },
            StreamLocal { listener: 127, shard: 1023, slot: 16_383 },
            StreamLocal { listener: 3, shard: 1, slot: 42 },
        ] {
            let local = s.encode().unwrap();
            assert_eq!(StreamLocal::decode(local), Some(s));
            assert_eq!(listener_of(local), s.listener);
        }
        assert_eq!(StreamLocal { listener: 128, shard: 0, slot: 0 }.encode(), None);
        assert_eq!(StreamLocal { listener: 0, shard: 0, slot: 16_384 }.encode(), None);
        assert_eq!(StreamLocal::decode(5), None);
        assert_eq!(listener_of(5), 5);
    }
}
