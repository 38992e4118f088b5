//! `Endpoint`: one shard's user agent core. It owns the transaction table, the calls, their
//! timers and RTP port range; it takes datagrams, timer ticks and application commands with
//! `now`, and queues [`Output`]s. Sans-IO: the shard runtime moves the bytes.

use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::call::{Call, CallTimer};
use super::config::EndpointConfig;
use super::events::{CallEvent, CallId, EndReason, Output};
use super::ids::Ids;
use super::own_address::OwnAddress;
use super::ports::RtpPorts;
use super::stats::CallStats;
use crate::dialog::TagCodec;
use crate::sip::Message;
use crate::timer::{GenSlab, Handle, TimerWheel};
use crate::transaction::{TxOutput, TxTable};

/// Entries an output queue keeps allocated between bursts.
const QUEUE_KEEP: usize = 256;

pub struct Endpoint {
    pub(super) cfg: EndpointConfig,
    pub(super) tx: TxTable,
    /// Boxed, so the slab's spare capacity costs a pointer per slot, not a whole call.
    pub(super) calls: GenSlab<Box<Call>>,
    pub(super) tags: TagCodec,
    pub(super) ids: Ids,
    pub(super) ports: RtpPorts,
    pub(super) wheel: TimerWheel<CallTimer>,
    pub(super) buf: BytesMut,
    /// Scratch room for a response's SDP body.
    pub(super) body: BytesMut,
    pub(super) tx_out: Vec<TxOutput>,
    /// The batch `pump` is dispatching, kept between batches (see there).
    tx_batch: Vec<TxOutput>,
    pub(super) out: Vec<Output>,
    pub(super) stats: CallStats,
    /// How we name ourselves on each socket (index: `Local`).
    pub(super) addresses: Vec<OwnAddress>,
    fired: Vec<CallTimer>,
    /// The latest `now` seen, for routing what commands left in the transaction queue.
    last_now: Instant,
    pub(super) draining: bool,
    /// What the servers we place calls with asked us to hold back (RFC 7339).
    pub(super) throttles: super::throttle::Throttles,
}

impl Endpoint {
    pub fn new(cfg: EndpointConfig, now: Instant) -> Endpoint {
        let mut ids = Ids::from_seed(cfg.seed);
        let tags = TagCodec::new(ids.next_u64());
        let transport = |i: usize| cfg.transports.get(i).copied().unwrap_or(crate::transport::Transport::Udp);
        let addresses =
            cfg.locals.iter().enumerate().map(|(i, a)| OwnAddress::new(&cfg.user, *a, transport(i))).collect();
        Endpoint {
            tx: TxTable::new(cfg.tx, now),
            calls: GenSlab::default(),
            tags,
            ids,
            ports: RtpPorts::new(cfg.rtp_ports.0, cfg.rtp_ports.1, cfg.media_addresses.len()),
            wheel: TimerWheel::new(now, Duration::from_millis(1), 4096),
            buf: BytesMut::with_capacity(64 * 1024),
            body: BytesMut::with_capacity(4096),
            tx_out: Vec::new(),
            tx_batch: Vec::new(),
            out: Vec::new(),
            stats: CallStats::default(),
            addresses,
            fired: Vec::new(),
            last_now: now,
            draining: false,
            throttles: Default::default(),
            cfg,
        }
    }

    /// Runs every timer due at `now`.
    pub fn on_timer(&mut self, now: Instant) {
        self.tx.on_timer(now, &mut self.tx_out);
        self.pump(now);
        let mut fired = std::mem::take(&mut self.fired);
        self.wheel.expire(now, |t| fired.push(t));
        for t in fired.drain(..) {
            self.on_call_timer(t, now);
            self.pump(now);
        }
        fired.shrink_to(QUEUE_KEEP);
        self.fired = fired;
    }

    /// When [`Endpoint::on_timer`] must next run.
    pub fn next_deadline(&self) -> Option<Instant> {
        crate::timer::earliest(self.tx.next_deadline(), self.wheel.next_deadline())
    }

    /// Everything queued since the last call, in order.
    pub fn drain_outputs(&mut self) -> std::vec::Drain<'_, Output> {
        self.pump(self.last_now);
        if self.out.len() < QUEUE_KEEP && self.out.capacity() > QUEUE_KEEP {
            self.out.shrink_to(QUEUE_KEEP);
        }
        self.out.drain(..)
    }

    /// Hands transaction outputs to the call layer until none are left.
    pub(super) fn pump(&mut self, now: Instant) {
        self.pump_fed(None, now);
    }

    /// [`Endpoint::pump`] after `fed` went into the table: the outputs about it (a request,
    /// an ACK, a response) are handed on with it.
    pub(super) fn pump_fed(&mut self, fed: Option<&Message>, now: Instant) {
        self.last_now = self.last_now.max(now);
        // Two queues that trade places: what a batch causes goes into the other one, and
        // neither is given up between batches (one of them was allocated anew per round).
        while !self.tx_out.is_empty() {
            std::mem::swap(&mut self.tx_out, &mut self.tx_batch);
            let mut batch = std::mem::take(&mut self.tx_batch);
            for o in batch.drain(..) {
                self.dispatch(o, fed, now);
            }
            self.tx_batch = batch;
        }
        // A burst (a timer wave ending thousands of transactions) must not pin its peak.
        for q in [&mut self.tx_out, &mut self.tx_batch] {
            if q.capacity() > QUEUE_KEEP {
                q.shrink_to(QUEUE_KEEP);
            }
        }
    }

    /// `fed`: the message the table was just given, which `Request`, `Ack`, `Response` and
    /// `StrayResponse` are about (the table emits them only from `on_message`).
    fn dispatch(&mut self, o: TxOutput, fed: Option<&Message>, now: Instant) {
        match (o, fed) {
            (TxOutput::Send { to, local, data }, _) => self.out.push(Output::Transmit { to, local, data }),
            (TxOutput::Request { tx, from, .. }, Some(request)) => self.on_request(tx, request, from, now),
            (TxOutput::Cancelled { invite, cancel }, _) => self.on_cancelled(invite, cancel, now),
            (TxOutput::Ack { .. }, Some(ack)) => self.on_ack(ack, now),
            (TxOutput::Response { tx, owner }, Some(response)) => self.on_response(tx, owner, response, now),
            (TxOutput::StrayResponse { .. }, Some(response)) => self.on_stray_response(response, now),
            (TxOutput::Request { .. } | TxOutput::Ack { .. }, None) => {}
            (TxOutput::Response { .. } | TxOutput::StrayResponse { .. }, None) => {}
            (TxOutput::Timeout { tx, owner }, _) => self.on_client_timeout(tx, owner, now),
            (TxOutput::AckTimeout { .. }, _) => {}
            // A transaction's owner goes with it (`TxTable::set_client_owner`).
            (TxOutput::ClientEnded { .. } | TxOutput::ServerEnded { .. }, _) => {}
        }
    }

    /// Removes a call: its timers, port and id go; the application hears why.
    pub(super) fn end_call(&mut self, h: Handle, reason: EndReason) {
        let Some(mut call) = self.calls.remove(h) else { return };
        for (_, id) in call.timers.drain(..) {
            self.wheel.cancel(id);
        }
        if let Some(tx) = call.invite_tx {
            self.tx.set_server_owner(tx, None);
        }
        self.ports.give_back(call.rtp_port);
        self.stats.ended(reason);
        super::log::ended(&call, reason);
        let rtp_port = call.rtp_port.port;
        self.out.push(Output::Event(CallEvent::Ended { call: CallId(h), reason, rtp_port }));
    }
}
