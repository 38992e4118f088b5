//! The transaction table of one shard: server and client transactions by key, their timers,
//! and the scratch buffer responses are written into. Sans-IO: messages and `now` in,
//! [`TxOutput`]s out.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::client_invite::ClientInvite;
use super::client_non_invite::ClientNonInvite;
use super::config::TxConfig;
use super::index::KeyIndex;
use super::live_pool::LivePool;
use super::output::{Local, TxOutput, TxStats};
use super::server_invite::ServerInvite;
use super::server_non_invite::ServerNonInvite;
use super::tx::{Apply, Side, Tx, TxTimer};
use crate::sip::Message;
use crate::timer::{GenSlab, Handle, TimerWheel};

#[derive(Debug)]
pub enum ServerMachine {
    Invite(ServerInvite),
    NonInvite(ServerNonInvite),
}

#[derive(Debug)]
pub enum ClientMachine {
    Invite(ClientInvite),
    NonInvite(ClientNonInvite),
}

impl ServerMachine {
    pub fn needs_request(&self) -> bool {
        match self {
            ServerMachine::Invite(m) => m.needs_request(),
            ServerMachine::NonInvite(m) => m.needs_request(),
        }
    }
}

impl ClientMachine {
    pub fn needs_request(&self) -> bool {
        match self {
            ClientMachine::Invite(m) => m.needs_request(),
            ClientMachine::NonInvite(m) => m.needs_request(),
        }
    }
}

pub type ServerTx = Tx<ServerMachine>;
pub type ClientTx = Tx<ClientMachine>;

/// All transactions of one shard.
pub struct TxTable {
    pub(super) cfg: TxConfig,
    /// In the slab's slots, not boxed (224 bytes each): a lookup by key reaches the key one
    /// cache miss sooner, and a transaction costs no allocation of its own. The slab is
    /// reserved for the expected load at start (untouched capacity is address space, not
    /// memory) and keeps that size.
    pub(super) servers: GenSlab<ServerTx>,
    pub(super) server_keys: KeyIndex,
    pub(super) clients: GenSlab<ClientTx>,
    pub(super) client_keys: KeyIndex,
    pub(super) wheel: TimerWheel<TxTimer>,
    pub(super) buf: BytesMut,
    pub(super) stats: TxStats,
    fired: Vec<TxTimer>,
    /// Server transactions that sent a provisional response since the last input: their
    /// request and that response may still be slices of shared buffers (`settle.rs`).
    pub(super) unsettled: Vec<Handle>,
    /// When the first of them did: the table's next deadline is no later.
    pub(super) unsettled_since: Option<Instant>,
    /// New INVITEs get 503 before any state is made for them (`refuse.rs`).
    pub(super) shedding: bool,
    /// The overload word (RFC 7339 Via parameters) for clients that ask; empty: none.
    pub(super) advice: BytesMut,
    /// Boxes for the `Live` parts of new transactions (`live_pool.rs`).
    pub(super) lives: LivePool,
}

impl TxTable {
    /// An empty table whose clock starts at `now`.
    pub fn new(cfg: TxConfig, now: Instant) -> TxTable {
        TxTable {
            cfg,
            // The slabs too: doubling one of a million slots copies it and faults in twice
            // its size at once, a stall of tens of milliseconds under load.
            servers: GenSlab::with_capacity(cfg.reserve),
            server_keys: KeyIndex::with_capacity(cfg.reserve),
            clients: GenSlab::with_capacity(cfg.client_reserve()),
            client_keys: KeyIndex::with_capacity(cfg.client_reserve()),
            wheel: TimerWheel::with_capacity(now, Duration::from_millis(1), 4096, cfg.reserve + cfg.client_reserve()),
            buf: BytesMut::with_capacity(64 * 1024),
            stats: TxStats::default(),
            fired: Vec::new(),
            unsettled: Vec::new(),
            unsettled_since: None,
            shedding: false,
            advice: BytesMut::new(),
            lives: LivePool::default(),
        }
    }

    pub fn config(&self) -> &TxConfig {
        &self.cfg
    }

    pub fn stats(&self) -> TxStats {
        self.stats
    }

    /// Live transactions, server and client.
    pub fn len(&self) -> usize {
        self.servers.len() + self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Feeds one valid message from `from`, received on socket `local`. Borrowed: a new
    /// request is copied into its transaction, nothing else is kept; the outputs that concern
    /// the TU name no message, the caller hands `msg` on with them.
    pub fn on_message(&mut self, msg: &Message, from: SocketAddr, local: Local, now: Instant, out: &mut Vec<TxOutput>) {
        self.settle();
        if msg.is_request() {
            self.on_request(msg, (from, local), now, out);
        } else {
            self.on_response(msg, from, now, out);
        }
    }

    /// When [`TxTable::on_timer`] must next be called: at once after a provisional
    /// response (see `settle.rs`), else at the wheel's next timer.
    pub fn next_deadline(&self) -> Option<Instant> {
        crate::timer::earliest(self.wheel.next_deadline(), self.unsettled_since)
    }

    /// Fires every timer due at `now`.
    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<TxOutput>) {
        self.settle();
        let mut fired = std::mem::take(&mut self.fired);
        self.wheel.expire(now, |t| fired.push(t));
        for t in fired.drain(..) {
            match t.side {
                Side::Server => self.on_server_timer(t, now, out),
                Side::Client => self.on_client_timer(t, now, out),
            }
        }
        fired.shrink_to(256);
        self.fired = fired;
        self.release_spare_capacity();
    }

    /// After a burst, tables far below their capacity give memory back (hash maps never
    /// shrink on their own).
    fn release_spare_capacity(&mut self) {
        self.server_keys.shrink_sparse(self.cfg.reserve, &self.servers);
        self.client_keys.shrink_sparse(self.cfg.client_reserve(), &self.clients);
        // Never below what was reserved: the next burst would grow it again under load.
        self.servers.release_if_empty(self.cfg.reserve.max(1024));
        self.clients.release_if_empty(self.cfg.client_reserve().max(1024));
    }

    /// What was just written into the scratch buffer, copied into a buffer of exactly its
    /// size. A split of the scratch buffer would share its 64 KiB allocation, and a response
    /// a transaction keeps for 64*T1 (Timer J) would keep all of it alive.
    pub(super) fn written(&mut self) -> Bytes {
        let data = Bytes::copy_from_slice(&self.buf);
        self.buf.clear();
        data
    }

    /// What was just written into the scratch buffer, as a slice of it: for a datagram that
    /// is only sent (held until its send completes), never kept. Slices share the buffer's
    /// 64 KiB allocation, which is written on from where the last one ended, and reused from
    /// its start once every slice is gone; so a response costs no allocation of its own, and
    /// whatever keeps one (a response to retransmit) copies it out at its size.
    pub(super) fn sent(&mut self) -> Bytes {
        self.buf.split().freeze()
    }

    /// The parts of the table a step needs.
    pub(super) fn cx<'a>(
        wheel: &'a mut TimerWheel<TxTimer>,
        stats: &'a mut TxStats,
        now: Instant,
        out: &'a mut Vec<TxOutput>,
        retransmission: bool,
    ) -> Apply<'a> {
        Apply { wheel, now, out, stats, retransmission }
    }
}

#[cfg(test)]
mod size_tests {
    #[test]
    fn a_transaction_slot_stays_small() {
        let (s, c) = (std::mem::size_of::<super::ServerTx>(), std::mem::size_of::<super::ClientTx>());
        println!("server transaction: {s} bytes, client: {c}");
        assert!(s <= 320 && c <= 320, "{s} {c}");
    }
}
