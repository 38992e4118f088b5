//! The boxes of transactions' [`Live`] parts, reused. Every server transaction boxes its
//! request until its final response, usually in the turn it arrived, so a call's INVITE and
//! BYE cost two allocations and two frees for a box that lived microseconds. A few emptied
//! boxes are kept for the next transactions instead.

use super::tx::Live;

/// Boxes kept at most: enough for the transactions of one burst that are answered at once.
const KEEP: usize = 64;

#[derive(Default)]
pub struct LivePool {
    /// The boxes themselves are the point (a transaction holds a `Box<Live>`), not the
    /// values: clippy's `vec_box` does not apply.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<Live>>,
}

impl LivePool {
    /// `live` in a box, a reused one when there is one.
    pub fn boxed(&mut self, live: Live) -> Box<Live> {
        match self.spare.pop() {
            Some(mut b) => {
                *b = live;
                b
            }
            None => Box::new(live),
        }
    }

    /// Takes back a box whose transaction no longer needs it. Its request goes at once (it
    /// may hold a shared receive buffer); the box is kept, up to [`KEEP`] of them.
    pub fn give_back(&mut self, mut b: Box<Live>) {
        if self.spare.len() < KEEP {
            b.request.clear();
            self.spare.push(b);
        }
    }
}
