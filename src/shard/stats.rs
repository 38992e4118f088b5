//! Statistics of one shard, and their merge across shards. Each shard counts alone; a
//! snapshot is published once per statistics interval, off the per-message path.

use hdrhistogram::Histogram;

use crate::session::CallStats;
use crate::transaction::TxStats;

#[derive(Clone, Debug)]
pub struct ShardStats {
    pub calls: CallStats,
    pub active_calls: usize,
    pub tx: TxStats,
    /// Datagrams received from the socket by this shard.
    pub received: u64,
    /// Datagrams handed to their owner shard.
    pub handed_off: u64,
    /// Datagrams this shard owns that another shard received.
    pub taken_over: u64,
    /// Datagrams that could not be sent (socket full).
    pub send_dropped: u64,
    /// Datagrams lost because the owner shard's inbox was full.
    pub handoff_dropped: u64,
    /// Serve-policy commands the endpoint refused (a call that ended meanwhile, say).
    pub policy_refused: u64,
    /// INVITE to final response, microseconds.
    pub latency_us: Histogram<u64>,
}

impl ShardStats {
    pub fn new() -> ShardStats {
        ShardStats {
            calls: CallStats::default(),
            active_calls: 0,
            tx: TxStats::default(),
            received: 0,
            handed_off: 0,
            taken_over: 0,
            send_dropped: 0,
            handoff_dropped: 0,
            policy_refused: 0,
            latency_us: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid constant bounds"),
        }
    }

    /// Adds another shard's figures.
    pub fn merge(&mut self, o: &ShardStats) {
        self.calls.merge(&o.calls);
        self.active_calls += o.active_calls;
        self.tx.merge(&o.tx);
        self.received += o.received;
        self.handed_off += o.handed_off;
        self.taken_over += o.taken_over;
        self.send_dropped += o.send_dropped;
        self.handoff_dropped += o.handoff_dropped;
        self.policy_refused += o.policy_refused;
        let _ = self.latency_us.add(&o.latency_us);
    }

    /// One line for the live report on stderr.
    pub fn line(&self) -> String {
        let c = &self.calls;
        let p = |q: f64| self.latency_us.value_at_quantile(q);
        format!(
            "calls in={} active={} established={} rejected={} cancelled={} timeouts={} busy503={} | \
             rx={} handoff={} retrans={} absorbed={} malformed={} refused-commands={} dropped:unreadable={},send={},handoff={},table-full={} | final-response us p50={} p99={} max={}",
            c.incoming,
            self.active_calls,
            c.established,
            c.rejected,
            c.cancelled,
            c.timeouts,
            c.refused_busy,
            self.received,
            self.handed_off,
            self.tx.retransmissions_sent + c.retransmitted_2xx,
            self.tx.retransmissions_absorbed,
            c.malformed_answered,
            self.policy_refused,
            c.dropped,
            self.send_dropped,
            self.handoff_dropped,
            self.tx.rejected_full,
            p(0.5),
            p(0.99),
            self.latency_us.max(),
        )
    }
}

impl Default for ShardStats {
    fn default() -> Self {
        ShardStats::new()
    }
}
