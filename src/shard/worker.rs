//! One shard's synchronous work: route each datagram to the shard that owns its call, feed
//! owned ones to the application core (endpoint, media, application), and queue what comes
//! out on the shard's I/O backend. The loop in `event_loop.rs` only decides when to call these.

use std::time::Instant;

use super::io::{Arrival, Datagram, IoCounters, ShardIo};
use super::loss_control::LossControl;
use super::media::ShardMedia;
use super::overload::Overload;
use super::owner::owner_of_message;
use super::stats::ShardStats;
use crate::app::{AppCore, Application, CoreOutput, Wire};
use crate::session::Endpoint;
use crate::sip::{Message, ParseLimits, Parsed};

pub struct Shard<A> {
    pub id: usize,
    pub shards: usize,
    pub core: AppCore<A>,
    pub media: ShardMedia,
    limits: ParseLimits,
    overload: Overload,
    /// The share of new calls clients that can are asked to hold back (RFC 7339).
    loss: LossControl,
    /// Datagrams handed to their owner shard.
    handed_off: u64,
    /// Datagrams this shard owns that another shard received.
    taken_over: u64,
}

/// The core's way down to this shard's sockets: media ports bound ahead, datagrams queued.
struct ShardWire<'a, IO: ?Sized> {
    media: &'a mut ShardMedia,
    io: &'a mut IO,
}

impl<IO: ShardIo + ?Sized> Wire for ShardWire<'_, IO> {
    fn top_up(&mut self, ep: &mut Endpoint) {
        self.media.top_up(ep, self.io);
    }

    fn send(&mut self, out: CoreOutput) {
        match out {
            CoreOutput::Sip { to, local, data } => self.io.send(local, to, data),
            CoreOutput::Media { port, rtcp, to, data } => {
                if let Some(local) = self.media.socket_of(port, rtcp) {
                    self.io.send(local, to, data);
                }
            }
        }
    }
}

impl<A: Application> Shard<A> {
    pub fn new(core: AppCore<A>, media: ShardMedia, limits: ParseLimits, overload: Overload) -> Shard<A> {
        let (id, shards) = (core.info().index, core.info().count);
        let loss = LossControl::new(overload.is_on());
        Shard { id, shards, core, media, limits, overload, loss, handed_off: 0, taken_over: 0 }
    }

    /// After each turn of the backend: whether new calls are shed until the next one.
    pub fn on_turn(&mut self, io: &impl ShardIo, now: Instant) {
        let was = self.overload.shedding();
        let shed = self.overload.on_turn(|| io.waiting_bytes(), now);
        if shed != was {
            self.core.ep.set_shedding(shed);
            // One line per episode, not per INVITE shed: thousands a second while it lasts.
            match shed {
                true => tracing::warn!(shard = self.id, "overloaded: shedding new calls with 503"),
                false => tracing::info!(shard = self.id, shed = self.core.ep.tx_stats().shed, "overload over"),
            }
        }
        let ep = &mut self.core.ep;
        let counts = || (ep.stats().incoming, ep.tx_stats().shed);
        if let Some(word) = self.loss.on_turn(now, counts, self.overload.last_queue, unix_millis) {
            ep.set_overload_advice(word);
        }
    }

    /// Binds the first media ports (`ahead` of them, at least a batch), then lets the
    /// application start: its clock starts after the binding, not before.
    pub fn start(&mut self, ahead: usize, io: &mut impl ShardIo) {
        self.media.top_up(&mut self.core.ep, io);
        self.media.bind_ahead(&mut self.core.ep, io, ahead);
        self.core.start(Instant::now(), &mut ShardWire { media: &mut self.media, io });
    }

    /// Takes one arrival: media for one of this shard's calls, or SIP, handled here or handed
    /// to the shard that owns its call.
    pub fn on_arrival(&mut self, arrival: Arrival, now: Instant, io: &mut impl ShardIo) {
        if let Arrival::Received(d) = &arrival {
            // Media ports are this shard's own: their datagrams never travel.
            if let Some((port, rtcp)) = self.media.port_of(d.local) {
                self.core.plane.on_datagram(port, rtcp, &d.data, d.from, now);
                return;
            }
        }
        let ep = &mut self.core.ep;
        self.media.top_up(ep, io);
        match arrival {
            Arrival::HandedOff(d) => {
                self.taken_over += 1;
                ep.on_datagram_at(d.data, d.from, d.local, now);
            }
            Arrival::Received(d) if self.shards == 1 => ep.on_datagram_at(d.data, d.from, d.local, now),
            Arrival::Received(d) => self.route(d, now, io),
        }
    }

    /// Hands a datagram to its owner, or takes it here. The index built to find the Call-ID
    /// is reused when the datagram stays.
    fn route(&mut self, d: Datagram, now: Instant, io: &mut impl ShardIo) {
        let ep = &mut self.core.ep;
        // Indexed where it lies, not copied out of `Message::index`'s `Result`.
        let mut msg = Message::unindexed(d.data.clone());
        match msg.build_index(&self.limits) {
            Ok(()) => {
                let owner = owner_of_message(&msg, self.shards, self.id);
                if owner == self.id {
                    ep.on_indexed(&mut msg, d.from, d.local, now);
                } else {
                    self.handed_off += 1;
                    io.hand_off(owner, d);
                }
            }
            Err(e) => ep.on_parsed(Parsed::Drop(e), d.from, d.local, now),
        }
    }

    pub fn on_timer(&mut self, now: Instant, io: &mut impl ShardIo) {
        self.core.on_timer(now, &mut ShardWire { media: &mut self.media, io });
    }

    /// The earliest timer of the endpoint, the media and the application.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.core.next_deadline()
    }

    /// Lets the media and the application react until nothing is left, and queues every
    /// datagram to send.
    pub fn flush(&mut self, now: Instant, io: &mut impl ShardIo) {
        self.core.flush(now, &mut ShardWire { media: &mut self.media, io });
    }

    /// A stop was asked for: the shard drains, and the application hears of it.
    pub fn stopping(&mut self, now: Instant, io: &mut impl ShardIo) {
        self.core.stopping(now, &mut ShardWire { media: &mut self.media, io });
    }

    /// The application's last word, when the shard stops.
    pub fn finish(&mut self, now: Instant, io: &mut impl ShardIo) {
        self.core.finish(now, &mut ShardWire { media: &mut self.media, io });
    }

    /// A snapshot of this shard's statistics, with its backend's counters.
    pub fn snapshot(&self, io: IoCounters) -> ShardStats {
        let mut s = ShardStats::new();
        self.snapshot_into(&mut s, io);
        s
    }

    /// Writes this shard's statistics over `s`, the copy it published last. Field by field,
    /// so that publishing ten times a second reuses the latency histogram's 188 KiB instead
    /// of allocating and copying a new one each time (measured under callgrind: 220 000
    /// instructions a snapshot, what a quiet shard spent most of its time on).
    pub fn snapshot_into(&self, s: &mut ShardStats, io: IoCounters) {
        (s.handed_off, s.taken_over) = (self.handed_off, self.taken_over);
        s.calls = self.core.ep.stats();
        s.tx = self.core.ep.tx_stats();
        s.active_calls = self.core.ep.active_calls();
        s.active_transactions = self.core.ep.active_transactions();
        s.media = self.media.counters(&self.core);
        s.io = io;
        (s.overload_episodes, s.shedding_time) = (self.overload.episodes, self.overload.shed_time);
        s.held_back_share = self.loss.percent();
        self.core.app.report(s);
    }
}

/// Milliseconds since the Unix epoch: the `oc-seq` of an overload word (RFC 7339 5.4).
fn unix_millis() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}
