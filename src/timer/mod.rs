//! Timers for sans-IO state machines: a generation-checked slab and a hashed timer wheel.

mod slab;
mod wheel;

pub use slab::{GenSlab, Handle};
pub use wheel::{TimerId, TimerWheel};

/// The earlier of two deadlines, either of which may be absent (nothing armed there).
pub fn earliest(a: Option<std::time::Instant>, b: Option<std::time::Instant>) -> Option<std::time::Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
