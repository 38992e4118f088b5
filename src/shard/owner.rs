//! Which shard owns a call: a hash of its Call-ID that every shard computes alike
//! ([`owner_of`], in the session layer, which makes Call-IDs that hash to their shard).

use crate::sip::{HeaderName, Message};

pub use crate::session::owner_of;

/// The owner of an indexed message, from its raw Call-ID value; a message without one is
/// kept by the shard that received it (it can only be answered with a 400 or dropped).
pub fn owner_of_message(msg: &Message, shards: usize, here: usize) -> usize {
    msg.header(HeaderName::CallId).map_or(here, |id| owner_of(id, shards))
}

#[cfg(test)]
mod tests {
    use super::owner_of;

    #[test]
    fn spreads_call_ids_over_shards() {
        let mut counts = [0usize; 4];
        for i in 0..40_000 {
            counts[owner_of(format!("{i}-1234@127.0.0.1").as_bytes(), 4)] += 1;
        }
        for c in counts {
            assert!((8_000..12_000).contains(&c), "{counts:?}");
        }
        assert_eq!(owner_of(b"abc", 1), 0);
        assert_eq!(owner_of(b"abc@x", 3), owner_of(b"abc@x", 3));
    }
}
