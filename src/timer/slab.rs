//! A slab with generation-checked handles: O(1) insert and remove, and a stale handle (kept by
//! a timer or an application after its entry was removed) can never reach a newer entry.

/// A handle into a [`GenSlab`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle {
    index: u32,
    generation: u32,
}

impl Handle {
    /// The handle as one number (index in the low half), for encoding into tags.
    pub fn to_u64(self) -> u64 {
        u64::from(self.generation) << 32 | u64::from(self.index)
    }

    pub fn from_u64(v: u64) -> Handle {
        Handle { index: v as u32, generation: (v >> 32) as u32 }
    }
}

enum Slot<T> {
    Full { generation: u32, value: T },
    Free { generation: u32, next_free: u32 },
}

/// Vector-backed storage with a free list.
pub struct GenSlab<T> {
    slots: Vec<Slot<T>>,
    free_head: u32,
    len: usize,
    /// Generation new slots start at: above every generation handed out before a
    /// [`GenSlab::release_if_empty`], so no old handle can match a new entry.
    base_generation: u32,
}

const NONE: u32 = u32::MAX;

impl<T> Default for GenSlab<T> {
    fn default() -> Self {
        GenSlab { slots: Vec::new(), free_head: NONE, len: 0, base_generation: 0 }
    }
}

impl<T> GenSlab<T> {
    pub fn with_capacity(n: usize) -> Self {
        GenSlab { slots: Vec::with_capacity(n), ..GenSlab::default() }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Stores `value`, reusing a freed slot when there is one.
    pub fn insert(&mut self, value: T) -> Handle {
        self.len += 1;
        if let Some(&Slot::Free { generation, next_free }) = self.slots.get(self.free_head as usize) {
            let index = self.free_head;
            self.free_head = next_free;
            self.slots[index as usize] = Slot::Full { generation, value };
            return Handle { index, generation };
        }
        let index = self.slots.len() as u32;
        let generation = self.base_generation;
        self.slots.push(Slot::Full { generation, value });
        Handle { index, generation }
    }

    pub fn get(&self, h: Handle) -> Option<&T> {
        match self.slots.get(h.index as usize)? {
            Slot::Full { generation, value } if *generation == h.generation => Some(value),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, h: Handle) -> Option<&mut T> {
        match self.slots.get_mut(h.index as usize)? {
            Slot::Full { generation, value } if *generation == h.generation => Some(value),
            _ => None,
        }
    }

    /// Removes and returns the entry; the handle and any copy of it go stale.
    pub fn remove(&mut self, h: Handle) -> Option<T> {
        let slot = self.slots.get_mut(h.index as usize)?;
        if !matches!(slot, Slot::Full { generation, .. } if *generation == h.generation) {
            return None;
        }
        let next_generation = h.generation.wrapping_add(1);
        self.base_generation = self.base_generation.max(next_generation);
        let freed = Slot::Free { generation: next_generation, next_free: self.free_head };
        let old = std::mem::replace(slot, freed);
        self.free_head = h.index;
        self.len -= 1;
        match old {
            Slot::Full { value, .. } => Some(value),
            Slot::Free { .. } => None,
        }
    }

    /// Frees all storage once the slab is empty and holds more than `keep` slots, so a
    /// burst does not pin its peak memory. Old handles stay stale.
    pub fn release_if_empty(&mut self, keep: usize) {
        if self.len == 0 && self.slots.capacity() > keep {
            self.slots = Vec::new();
            self.free_head = NONE;
        }
    }

    /// Every live entry with its handle.
    pub fn iter(&self) -> impl Iterator<Item = (Handle, &T)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| match s {
            Slot::Full { generation, value } => Some((Handle { index: i as u32, generation: *generation }, value)),
            Slot::Free { .. } => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_handles_miss_reused_slots() {
        let mut s = GenSlab::default();
        let a = s.insert("a");
        assert_eq!(s.remove(a), Some("a"));
        let b = s.insert("b");
        assert_eq!(s.get(a), None);
        assert_eq!(s.remove(a), None);
        assert_eq!(s.get(b), Some(&"b"));
        assert_eq!(s.len(), 1);
        assert_eq!(s.iter().count(), 1);
        s.remove(b);
        s.release_if_empty(0);
        let c = s.insert("c");
        assert_eq!((s.get(a), s.get(b), s.get(c)), (None, None, Some(&"c")), "old handles miss after a release");
    }
}
