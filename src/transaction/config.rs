//! Transaction timer values (RFC 3261 17.1.1.1, table 4) and table bounds.

use std::time::Duration;

/// Configuration of one shard's transaction table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxConfig {
    /// RTT estimate; the base of every retransmission and timeout (default 500 ms).
    pub t1: Duration,
    /// Longest retransmit interval for non-INVITE requests and INVITE responses (default 4 s).
    pub t2: Duration,
    /// Longest time a message stays in the network (default 5 s).
    pub t4: Duration,
    /// When to send `100 Trying` for an INVITE the TU has not answered: `None` never,
    /// `Some(ZERO)` at once (RFC 3261 17.2.1 suggests 200 ms).
    pub trying_delay: Option<Duration>,
    /// Most transactions (server and client) alive at once; beyond it new requests get 503.
    pub max_transactions: usize,
    /// Transactions the key tables are sized for up front. A table that grows while loaded
    /// rehashes every key at once: at 14 000 calls/s that stall dropped datagrams. A server
    /// sizes them for its expected load; zero starts small and grows.
    pub reserve: usize,
    /// The same for client transactions (calls we place); `None`: an eighth of `reserve`
    /// (a server places few).
    pub client_reserve: Option<usize>,
}

impl Default for TxConfig {
    fn default() -> Self {
        TxConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            trying_delay: Some(Duration::from_millis(200)),
            max_transactions: 200_000,
            reserve: 0,
            client_reserve: None,
        }
    }
}

impl TxConfig {
    /// Client transactions the key table is sized for up front.
    pub fn client_reserve(&self) -> usize {
        self.client_reserve.unwrap_or(self.reserve / 8)
    }

    /// 64*T1: Timers B, F, H, J, L and M.
    pub fn timeout(&self) -> Duration {
        self.t1 * 64
    }

    /// Timer D: at least 32 s over unreliable transport.
    pub fn timer_d(&self) -> Duration {
        self.timeout().max(Duration::from_secs(32))
    }
}

/// The RFC's timers, by name, plus the 100 Trying delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerKind {
    /// INVITE client retransmission.
    A,
    /// INVITE client timeout.
    B,
    /// INVITE client wait for final response retransmissions.
    D,
    /// Non-INVITE client retransmission.
    E,
    /// Non-INVITE client timeout.
    F,
    /// INVITE server final response retransmission.
    G,
    /// INVITE server wait for ACK.
    H,
    /// INVITE server wait for ACK retransmissions.
    I,
    /// Non-INVITE server wait for request retransmissions.
    J,
    /// Non-INVITE client wait for response retransmissions.
    K,
    /// INVITE server Accepted state (RFC 6026).
    L,
    /// INVITE client Accepted state (RFC 6026).
    M,
    /// Send 100 Trying if the TU has not answered.
    Trying,
}
