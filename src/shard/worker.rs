//! One shard's synchronous work: route each datagram to the shard that owns its call, feed
//! owned ones to the endpoint, let the serve policy react, and queue what comes out on the
//! shard's I/O backend. The loop in `event_loop.rs` only decides when to call these.

use std::time::Instant;

use super::io::{Arrival, Datagram, IoCounters, ShardIo};
use super::media::{follow_call_event, ShardMedia};
use super::owner::owner_of_message;
use super::policy::Policy;
use super::stats::ShardStats;
use crate::session::{Endpoint, Output};
use crate::sip::{Message, ParseLimits, Parsed};

pub struct Shard {
    pub id: usize,
    pub shards: usize,
    pub ep: Endpoint,
    pub policy: Policy,
    pub media: ShardMedia,
    limits: ParseLimits,
    outputs: Vec<Output>,
    pub counters: ShardStats,
}

impl Shard {
    pub fn new(
        id: usize,
        shards: usize,
        ep: Endpoint,
        policy: Policy,
        media: ShardMedia,
        limits: ParseLimits,
    ) -> Shard {
        Shard { id, shards, ep, policy, media, limits, outputs: Vec::new(), counters: ShardStats::new() }
    }

    /// Takes one arrival: media for one of this shard's calls, or SIP, handled here or handed
    /// to the shard that owns its call.
    pub fn on_arrival(&mut self, arrival: Arrival, now: Instant, io: &mut impl ShardIo) {
        if let Arrival::Received(d) = &arrival {
            // Media ports are this shard's own: their datagrams never travel.
            if let Some((port, rtcp)) = self.media.port_of(d.local) {
                self.media.plane.on_datagram(port, rtcp, &d.data, d.from, now);
                return;
            }
        }
        self.media.top_up(&mut self.ep, io);
        match arrival {
            Arrival::HandedOff(d) => {
                self.counters.taken_over += 1;
                self.ep.on_datagram_at(d.data, d.from, d.local, now);
            }
            Arrival::Received(d) if self.shards == 1 => self.ep.on_datagram_at(d.data, d.from, d.local, now),
            Arrival::Received(d) => self.route(d, now, io),
        }
    }

    /// Hands a datagram to its owner, or takes it here. The index built to find the Call-ID
    /// is reused when the datagram stays.
    fn route(&mut self, d: Datagram, now: Instant, io: &mut impl ShardIo) {
        match Message::index(d.data.clone(), &self.limits) {
            Ok(msg) => {
                let owner = owner_of_message(&msg, self.shards, self.id);
                if owner == self.id {
                    self.ep.on_parsed(msg.into_parsed_lazily(), d.from, d.local, now);
                } else {
                    self.counters.handed_off += 1;
                    io.hand_off(owner, d);
                }
            }
            Err(e) => self.ep.on_parsed(Parsed::Drop(e), d.from, d.local, now),
        }
    }

    pub fn on_timer(&mut self, now: Instant) {
        self.ep.on_timer(now);
        self.media.plane.on_timer(now);
    }

    /// The earliest timer of the endpoint and of the media.
    pub fn next_deadline(&self) -> Option<Instant> {
        crate::timer::earliest(self.ep.next_deadline(), self.media.plane.next_deadline())
    }

    /// Lets the policy and the media react to events until none are left, and queues every
    /// datagram to send.
    pub fn flush(&mut self, now: Instant, io: &mut impl ShardIo) {
        loop {
            self.media.flush(&mut self.ep, io, now);
            self.outputs.extend(self.ep.drain_outputs());
            if self.outputs.is_empty() {
                break;
            }
            for o in self.outputs.drain(..) {
                match o {
                    Output::Transmit { to, local, data } => io.send(local, to, data),
                    Output::Event(e) => {
                        let action = self.policy.on_event(&mut self.ep, &e, now).unwrap_or_default();
                        follow_call_event(&mut self.media.plane, &self.ep, &e, action, now);
                    }
                }
            }
        }
    }

    /// A snapshot of this shard's statistics, with its backend's counters.
    pub fn snapshot(&self, io: IoCounters) -> ShardStats {
        let mut s = self.counters.clone();
        s.calls = self.ep.stats();
        s.tx = self.ep.tx_stats();
        s.active_calls = self.ep.active_calls();
        s.latency_us = self.policy.latency_us.clone();
        s.policy_refused = self.policy.refused;
        s.media = self.media.counters();
        s.io = io;
        s
    }
}
