//! What every transaction keeps, whatever its kind, and how a [`Step`] is carried out on it.

use std::net::SocketAddr;
use std::time::Instant;

use smallvec::SmallVec;

use super::config::TimerKind;
use super::key::TxKey;
use super::output::{Local, TxOutput, TxStats};
use super::step::Step;
use crate::sip::Message;
use crate::timer::{Handle, TimerId, TimerWheel};

/// Which table a timer belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Server,
    Client,
}

/// What a timer carries back when it fires.
#[derive(Clone, Copy, Debug)]
pub struct TxTimer {
    pub side: Side,
    pub tx: Handle,
    pub kind: TimerKind,
}

/// One transaction: its key, where it talks to, its running timers, its state machine `M`
/// and, while it still needs it, the request that created it.
#[derive(Debug)]
pub struct Tx<M> {
    pub key: TxKey,
    /// Where this transaction sends: the response destination (RFC 3261 18.2.2) for a server
    /// transaction, the next hop for a client transaction.
    pub peer: SocketAddr,
    /// The socket it talks through: where its request arrived (server), or where it left.
    pub local: Local,
    pub machine: M,
    pub timers: SmallVec<[(TimerKind, TimerId); 3]>,
    /// The request, while the machine's state needs it; `None` once the transaction only
    /// matches retransmissions by its key, which is most of its life (Timers J, L: 32 s).
    pub live: Option<Box<Live>>,
    /// The TU's name for this transaction's call (`owner.rs`); `NO_OWNER` when none.
    pub owner: u64,
}

/// What a transaction keeps only while the TU may still read or answer its request (server:
/// Trying, Proceeding) or while it may send it again or build on it (client: until Completed).
/// Boxed, so a lingering transaction does not carry the room.
#[derive(Debug)]
pub struct Live {
    pub request: Message,
    /// Where the request came from (server: for `received`/`rport`) or went to (client).
    pub source: SocketAddr,
    /// The request is in a buffer of its own, not a slice of a shared receive buffer.
    pub detached: bool,
    /// Server: how the responses' top Via is stamped (unused by a client transaction).
    pub stamp: super::via_stamp::StampRule,
}

impl Live {
    /// Copies the request out of the buffer it shares with other datagrams, once. A request
    /// given its final response in the turn it came in never pays for it; one that waits (a
    /// ringing call) must not pin a 256 KiB receive buffer for as long as it rings.
    pub fn detach(&mut self) {
        if !self.detached {
            self.request.detach();
            self.detached = true;
        }
    }
}

impl<M> Tx<M> {
    pub fn new(key: TxKey, (peer, local): (SocketAddr, Local), machine: M, live: Box<Live>) -> Self {
        let (timers, live, owner) = (SmallVec::new(), Some(live), super::owner::NO_OWNER);
        Tx { key, peer, local, machine, timers, live, owner }
    }

    /// Forgets the record of a timer that just fired.
    pub fn fired(&mut self, kind: TimerKind) {
        self.timers.retain(|(k, _)| *k != kind);
    }

    /// Stops every timer (the transaction is being removed).
    pub fn stop_timers(&mut self, wheel: &mut TimerWheel<TxTimer>) {
        for (_, id) in self.timers.drain(..) {
            wheel.cancel(id);
        }
    }

    /// Carries out the sends and timer changes of `step`. `retransmission` counts a send
    /// caused by a timer.
    pub fn apply(&mut self, owner: (Side, Handle), step: &Step, cx: &mut Apply<'_>) {
        let request = || self.live.as_ref().map(|l| l.request.bytes().clone());
        if let Some(data) = step.send.clone().or_else(|| step.send_request.then(request).flatten()) {
            cx.out.push(TxOutput::Send { to: self.peer, local: self.local, data });
            if cx.retransmission {
                cx.stats.retransmissions_sent += 1;
            }
        }
        for kind in &step.cancel {
            if let Some(pos) = self.timers.iter().position(|(k, _)| k == kind) {
                cx.wheel.cancel(self.timers.swap_remove(pos).1);
            }
        }
        let reliable = crate::transport::StreamLocal::decode(self.local).is_some();
        for &(kind, delay) in &step.arm {
            // RFC 3261 17.1.1.2, 17.1.2.2, 17.2.1, 17.2.2: over a reliable transport (a stream
            // connection) nothing is retransmitted (A, E, G) and nothing waits for
            // retransmissions (D, I, J, K are zero).
            let delay = match (reliable, kind) {
                (true, TimerKind::A | TimerKind::E | TimerKind::G) => continue,
                (true, TimerKind::D | TimerKind::I | TimerKind::J | TimerKind::K) => std::time::Duration::ZERO,
                _ => delay,
            };
            let id = cx.wheel.arm(cx.now + delay, TxTimer { side: owner.0, tx: owner.1, kind });
            self.timers.push((kind, id));
        }
    }
}

/// The table's parts a step needs, borrowed together.
pub struct Apply<'a> {
    pub wheel: &'a mut TimerWheel<TxTimer>,
    pub now: Instant,
    pub out: &'a mut Vec<TxOutput>,
    pub stats: &'a mut TxStats,
    pub retransmission: bool,
}
