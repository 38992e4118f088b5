//! What every transaction keeps, whatever its kind, and how a [`Step`] is carried out on it.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use smallvec::SmallVec;

use super::config::TimerKind;
use super::output::{TxOutput, TxStats};
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

/// One transaction: its key, the request that created it, where it talks to, its running
/// timers and its state machine `M`.
#[derive(Debug)]
pub struct Tx<K, M> {
    pub key: K,
    pub request: Message,
    /// Where this transaction sends: the response destination (RFC 3261 18.2.2) for a server
    /// transaction, the next hop for a client transaction.
    pub peer: SocketAddr,
    /// Where the request came from (server) or went to (client).
    pub source: SocketAddr,
    pub machine: M,
    pub timers: SmallVec<[(TimerKind, TimerId); 3]>,
    /// Client INVITE: the ACK sent for a non-2xx, repeated for its retransmissions.
    pub ack: Option<Bytes>,
}

impl<K, M> Tx<K, M> {
    pub fn new(key: K, request: Message, peer: SocketAddr, source: SocketAddr, machine: M) -> Self {
        Tx { key, request, peer, source, machine, timers: SmallVec::new(), ack: None }
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
        if let Some(data) = &step.send {
            cx.out.push(TxOutput::Send { to: self.peer, data: data.clone() });
            if cx.retransmission {
                cx.stats.retransmissions_sent += 1;
            }
        }
        for kind in &step.cancel {
            if let Some(pos) = self.timers.iter().position(|(k, _)| k == kind) {
                cx.wheel.cancel(self.timers.swap_remove(pos).1);
            }
        }
        for &(kind, delay) in &step.arm {
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
