//! Call counters of one endpoint; the runtime merges them across shards on demand.

use super::events::EndReason;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallStats {
    pub incoming: u64,
    pub outgoing: u64,
    pub established: u64,
    pub ended_local: u64,
    pub ended_remote: u64,
    pub rejected: u64,
    pub cancelled: u64,
    pub timeouts: u64,
    /// New INVITEs refused with 503 (call or port limit).
    pub refused_busy: u64,
    /// Malformed requests answered with 4xx/5xx.
    pub malformed_answered: u64,
    /// Datagrams dropped unanswered (unparseable, bad responses).
    pub dropped: u64,
    /// New calls of ours not sent: the server asked to hold back a share (RFC 7339).
    pub held_back: u64,
    /// Our 2xx sent again for want of an ACK.
    pub retransmitted_2xx: u64,
    /// Extra forks that answered after the first and were sent BYE.
    pub forks_ended: u64,
}

impl CallStats {
    pub fn ended(&mut self, reason: EndReason) {
        match reason {
            EndReason::LocalHangup => self.ended_local += 1,
            EndReason::RemoteHangup => self.ended_remote += 1,
            EndReason::Rejected(_) => self.rejected += 1,
            EndReason::Cancelled => self.cancelled += 1,
            EndReason::Timeout | EndReason::NoAck => self.timeouts += 1,
        }
    }

    /// Adds another shard's counters.
    pub fn merge(&mut self, o: &CallStats) {
        self.incoming += o.incoming;
        self.held_back += o.held_back;
        self.outgoing += o.outgoing;
        self.established += o.established;
        self.ended_local += o.ended_local;
        self.ended_remote += o.ended_remote;
        self.rejected += o.rejected;
        self.cancelled += o.cancelled;
        self.timeouts += o.timeouts;
        self.refused_busy += o.refused_busy;
        self.malformed_answered += o.malformed_answered;
        self.dropped += o.dropped;
        self.retransmitted_2xx += o.retransmitted_2xx;
        self.forks_ended += o.forks_ended;
    }
}
