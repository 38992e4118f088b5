//! Statistics of one shard, and their merge across shards. Each shard counts alone; a
//! snapshot is published once per statistics interval, off the per-message path.
#![warn(missing_docs)]

use hdrhistogram::Histogram;

use super::io::IoCounters;
use super::media::MediaCounters;
use crate::session::CallStats;
use crate::transaction::TxStats;

/// One shard's figures, or all shards' merged ([`ShardStats::merge`]).
#[derive(Clone, Debug)]
pub struct ShardStats {
    /// Calls by outcome, malformed requests answered, 503s for full tables.
    pub calls: CallStats,
    /// Calls alive now.
    pub active_calls: usize,
    /// Transactions alive now, server and client (lingering ones included).
    pub active_transactions: usize,
    /// Transactions: alive, retransmissions sent and absorbed, timeouts.
    pub tx: TxStats,
    /// What the I/O backend counted: datagrams in, drops by cause, re-arms, waits.
    pub io: IoCounters,
    /// Datagrams handed to their owner shard.
    pub handed_off: u64,
    /// Datagrams this shard owns that another shard received.
    pub taken_over: u64,
    /// Serve-policy commands the endpoint refused (a call that ended meanwhile, say).
    pub policy_refused: u64,
    /// INVITE to final response, microseconds.
    pub latency_us: Histogram<u64>,
    /// Media ports, packets, loss, digits, silent calls.
    pub media: MediaCounters,
    /// Times the shard started shedding new calls, overloaded (`overload.rs`).
    pub overload_episodes: u64,
    /// Time spent shedding, summed over the episodes that ended.
    pub shedding_time: std::time::Duration,
    /// The share of new calls (percent) clients that can are asked to hold back now (RFC
    /// 7339, `loss_control.rs`); over shards, the most asked.
    pub held_back_share: u8,
}

impl ShardStats {
    /// All zero.
    pub fn new() -> ShardStats {
        ShardStats {
            calls: CallStats::default(),
            active_calls: 0,
            active_transactions: 0,
            tx: TxStats::default(),
            io: IoCounters::default(),
            handed_off: 0,
            taken_over: 0,
            policy_refused: 0,
            latency_us: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid constant bounds"),
            media: MediaCounters::default(),
            overload_episodes: 0,
            shedding_time: std::time::Duration::ZERO,
            held_back_share: 0,
        }
    }

    /// The figures of all these shards together.
    pub fn total<'a>(shards: impl IntoIterator<Item = &'a ShardStats>) -> ShardStats {
        let mut total = ShardStats::new();
        for s in shards {
            total.merge(s);
        }
        total
    }

    /// Adds another shard's figures.
    pub fn merge(&mut self, o: &ShardStats) {
        self.calls.merge(&o.calls);
        self.active_calls += o.active_calls;
        self.active_transactions += o.active_transactions;
        self.tx.merge(&o.tx);
        self.io.merge(&o.io);
        self.handed_off += o.handed_off;
        self.taken_over += o.taken_over;
        self.policy_refused += o.policy_refused;
        let _ = self.latency_us.add(&o.latency_us);
        self.media.merge(&o.media);
        self.overload_episodes += o.overload_episodes;
        self.shedding_time += o.shedding_time;
        self.held_back_share = self.held_back_share.max(o.held_back_share);
    }

    /// Whether anything the live line shows moved, but the waits an idle shard's timer
    /// makes (a quiet server's line would change each time otherwise).
    pub fn differs_from(&self, o: &ShardStats) -> bool {
        let work = |s: &ShardStats| (s.calls, s.active_calls, s.tx, IoCounters { waits: 0, ..s.io }, s.media);
        work(self) != work(o) || (self.handed_off, self.taken_over) != (o.handed_off, o.taken_over)
    }

    /// One line for the live report on stderr.
    pub fn line(&self) -> String {
        let (c, io, m) = (&self.calls, &self.io, &self.media);
        let p = |q: f64| self.latency_us.value_at_quantile(q);
        format!(
            "calls in={} active={} transactions={} established={} rejected={} cancelled={} timeouts={} busy503={} | \
             rx={} handoff={} retrans={} absorbed={} malformed={} refused-commands={} | \
             dropped:unreadable={},truncated={},send={},handoff={},table-full={},kernel={} | \
             overload:shed={},episodes={},asked-to-hold={}% ring:empty={},rearmed={} waits={} | final-response us p50={} p99={} max={} | \
             media active={} ports={} rx={} tx={} lost={} stray={} digits={} silent={} mos={} | \
             tcp open={} accepted={} refused={} closed-by-bound={} send-gone={} tls-failed={}",
            c.incoming,
            self.active_calls,
            self.active_transactions,
            c.established,
            c.rejected,
            c.cancelled,
            c.timeouts,
            c.refused_busy,
            io.received,
            self.handed_off,
            self.tx.retransmissions_sent + c.retransmitted_2xx,
            self.tx.retransmissions_absorbed,
            c.malformed_answered,
            self.policy_refused,
            c.dropped,
            io.truncated,
            io.send_failed,
            io.handoff_dropped,
            self.tx.rejected_full,
            io.kernel_dropped,
            self.tx.shed,
            self.overload_episodes,
            self.held_back_share,
            io.ring_empty,
            io.rearmed,
            io.waits,
            p(0.5),
            p(0.99),
            self.latency_us.max(),
            m.active,
            m.ports_bound,
            m.ended.packets_received,
            m.ended.packets_sent,
            m.ended.lost,
            m.stray,
            m.digits,
            m.timeouts,
            m.ended.mean_mos().map_or("-".to_string(), |v| format!("{v:.2}")),
            io.streams.open,
            io.streams.accepted,
            io.streams.refused,
            io.streams.closed_by_bound,
            io.streams.send_dropped,
            io.streams.tls_failed,
        )
    }
}

impl Default for ShardStats {
    fn default() -> Self {
        ShardStats::new()
    }
}
