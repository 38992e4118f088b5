//! Timers for sans-IO state machines: a generation-checked slab and a hashed timer wheel.

mod slab;
mod wheel;

pub use slab::{GenSlab, Handle};
pub use wheel::{TimerId, TimerWheel};
