//! The transaction key index: a hash table of slab handles only. The keys live in the
//! transactions themselves, so an entry is 8 bytes instead of a hundred: at 14 000 calls/s a
//! million transactions linger for 32 s, and a table of full keys took a long rehash stall
//! (and many first-touch page faults) when it grew.

use hashbrown::HashTable;

use super::key::{KeyBuf, TxKey};
use super::tx::Tx;
use crate::timer::{GenSlab, Handle};

/// Handles of the transactions in one slab, found by their key.
pub struct KeyIndex {
    table: HashTable<Handle>,
    hasher: ahash::RandomState,
}

type Slab<M> = GenSlab<Tx<M>>;

impl KeyIndex {
    pub fn with_capacity(n: usize) -> KeyIndex {
        KeyIndex { table: HashTable::with_capacity(n), hasher: ahash::RandomState::new() }
    }

    /// The transaction with this key.
    pub fn get<M>(&self, key: &KeyBuf, slab: &Slab<M>) -> Option<Handle> {
        let hash = self.hasher.hash_one(key.id());
        self.table.find(hash, |&h| slab.get(h).is_some_and(|t| t.key.as_bytes() == key.as_bytes())).copied()
    }

    /// Indexes a transaction already in `slab`.
    pub fn insert<M>(&mut self, h: Handle, slab: &Slab<M>) {
        let Some(tx) = slab.get(h) else { return };
        let hash = self.hasher.hash_one(tx.key.id());
        let hasher = &self.hasher;
        self.table.insert_unique(hash, h, |&other| slab.get(other).map_or(0, |t| hasher.hash_one(t.key.id())));
    }

    /// Forgets a transaction; `key` is its key (it may be gone from the slab already).
    pub fn remove(&mut self, h: Handle, key: &TxKey) {
        if let Ok(entry) = self.table.find_entry(self.hasher.hash_one(key.id()), |&other| other == h) {
            entry.remove();
        }
    }

    /// After a burst, gives memory back when under a quarter is used, never below `floor`.
    pub fn shrink_sparse<M>(&mut self, floor: usize, slab: &Slab<M>) {
        let (len, floor) = (self.table.len(), floor.max(1024));
        if self.table.capacity() > floor && len * 4 < self.table.capacity() {
            let hasher = &self.hasher;
            self.table.shrink_to((len * 2).max(floor), |&h| slab.get(h).map_or(0, |t| hasher.hash_one(t.key.id())));
        }
    }
}
