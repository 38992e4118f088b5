//! One shard's synchronous work: route each datagram to the shard that owns its call, feed
//! owned ones to the endpoint, let the serve policy react, and send what comes out. The async
//! loops in `runtime.rs` only decide when to call these.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;

use super::owner::owner_of_message;
use super::policy::Policy;
use super::socket::Datagrams;
use super::stats::ShardStats;
use crate::session::{Endpoint, Output};
use crate::sip::{Message, ParseLimits, Parsed};

/// Batches drained from the socket per wake-up before yielding to the other tasks.
const BATCHES_PER_WAKE: usize = 8;

pub struct Shard {
    pub id: usize,
    pub shards: usize,
    pub ep: Endpoint,
    pub policy: Policy,
    pub io: Datagrams,
    limits: ParseLimits,
    received: Vec<(Bytes, SocketAddr)>,
    outputs: Vec<Output>,
    sends: Vec<(SocketAddr, Bytes)>,
    /// Datagrams for other shards: `(owner, datagram, source)`, sent by the runtime.
    pub handoffs: Vec<(usize, Bytes, SocketAddr)>,
    pub counters: ShardStats,
}

impl Shard {
    pub fn new(id: usize, shards: usize, ep: Endpoint, policy: Policy, io: Datagrams, limits: ParseLimits) -> Shard {
        Shard {
            id,
            shards,
            ep,
            policy,
            io,
            limits,
            received: Vec::with_capacity(super::socket::BATCH),
            outputs: Vec::new(),
            sends: Vec::new(),
            handoffs: Vec::new(),
            counters: ShardStats::new(),
        }
    }

    /// Drains what is waiting on the socket (a bounded number of batches) and handles it.
    /// Returns true when the socket may hold more (the last batch was full).
    pub fn poll_socket(&mut self, now: Instant) -> bool {
        let mut more = false;
        for _ in 0..BATCHES_PER_WAKE {
            match self.io.recv_batch(&mut self.received) {
                Ok(n) => more = n == super::socket::BATCH,
                Err(_) => more = false,
            }
            // A short batch emptied the socket: asking again would only return EAGAIN.
            if !more {
                break;
            }
        }
        self.counters.received += self.received.len() as u64;
        let mut batch = std::mem::take(&mut self.received);
        for (data, from) in batch.drain(..) {
            self.route(data, from, now);
        }
        self.received = batch;
        self.flush(now);
        more
    }

    /// Hands a datagram to its owner, or takes it here.
    fn route(&mut self, data: Bytes, from: SocketAddr, now: Instant) {
        if self.shards == 1 {
            return self.ep.on_datagram(data, from, now);
        }
        match Message::index(data.clone(), &self.limits) {
            Ok(msg) => {
                let owner = owner_of_message(&msg, self.shards, self.id);
                if owner == self.id {
                    self.ep.on_parsed(msg.into_parsed(), from, now);
                } else {
                    self.counters.handed_off += 1;
                    self.handoffs.push((owner, data, from));
                }
            }
            Err(e) => self.ep.on_parsed(Parsed::Drop(e), from, now),
        }
    }

    /// A datagram another shard received for a call this shard owns.
    pub fn on_handoff(&mut self, data: Bytes, from: SocketAddr, now: Instant) {
        self.counters.taken_over += 1;
        self.ep.on_datagram(data, from, now);
        self.flush(now);
    }

    pub fn on_timer(&mut self, now: Instant) {
        self.ep.on_timer(now);
        self.flush(now);
    }

    /// Lets the policy react to events until none are left, then sends everything queued.
    pub fn flush(&mut self, now: Instant) {
        loop {
            self.outputs.extend(self.ep.drain_outputs());
            if self.outputs.is_empty() {
                break;
            }
            for o in self.outputs.drain(..) {
                match o {
                    Output::Transmit { to, data } => self.sends.push((to, data)),
                    Output::Event(e) => self.policy.on_event(&mut self.ep, &e, now),
                }
            }
        }
        if !self.sends.is_empty() {
            let sent = self.io.send_batch(&self.sends).unwrap_or(0);
            // UDP may drop anyway; the transaction layer retransmits what matters.
            self.counters.send_dropped += (self.sends.len() - sent) as u64;
            self.sends.clear();
        }
    }

    /// A snapshot of this shard's statistics.
    pub fn snapshot(&self) -> ShardStats {
        let mut s = self.counters.clone();
        s.calls = self.ep.stats();
        s.tx = self.ep.tx_stats();
        s.active_calls = self.ep.active_calls();
        s.latency_us = self.policy.latency_us.clone();
        s.policy_refused = self.policy.refused;
        s.calls.dropped += self.io.truncated;
        s
    }
}
