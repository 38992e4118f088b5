//! What an endpoint reports about itself, and the switch for shutting down gracefully.

use super::endpoint::Endpoint;
use super::stats::CallStats;
use crate::transaction::TxStats;

impl Endpoint {
    /// Calls alive now.
    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    /// Transactions alive now, server and client: those of calls in progress, and those a
    /// finished call leaves for 32 s to absorb retransmissions (RFC 3261 17, RFC 6026).
    pub fn active_transactions(&self) -> usize {
        self.tx.len()
    }

    /// Counters since start.
    pub fn stats(&self) -> CallStats {
        self.stats
    }

    /// The transaction table's counters.
    pub fn tx_stats(&self) -> TxStats {
        self.tx.stats()
    }

    /// While draining (shutting down), new INVITEs get 503 with Retry-After; calls in
    /// progress go on.
    pub fn set_draining(&mut self, draining: bool) {
        self.draining = draining;
    }

    /// While overloaded, new INVITEs get 503 with Retry-After before any transaction or call
    /// state is made for them (the transaction table answers them statelessly); calls in
    /// progress go on. The shard decides once per turn (`shard/overload.rs`).
    pub fn set_shedding(&mut self, on: bool) {
        self.tx.set_shedding(on);
    }

    /// The share of new calls clients that can hold them back (RFC 7339) are asked not to
    /// send, said on every response to them from now on; `None` says nothing.
    pub fn set_overload_advice(&mut self, advice: Option<crate::sip::overload_control::Advice>) {
        self.tx.set_overload_advice(advice);
    }

    /// Why a new call must be refused with 503 and Retry-After (RFC 3261 21.5.4), as the
    /// reason phrase: which bound was hit. `None`: there is room.
    pub(super) fn refusal(&self) -> Option<&'static [u8]> {
        if self.draining {
            Some(b"Shutting Down")
        } else if self.calls.len() >= self.cfg.max_calls {
            Some(b"Too Many Calls")
        } else if self.ports.available() == 0 {
            Some(b"No Free Media Port")
        } else {
            None
        }
    }
}
