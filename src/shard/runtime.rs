//! The thread-per-core runtime: one glommio executor per shard, pinned to its core, each
//! with its own socket (`SO_REUSEPORT`), endpoint, policy and timers; datagrams for a call
//! another shard owns go to that shard's inbox as the same `Bytes`.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use glommio::{LocalExecutorBuilder, Placement};

use super::config::{allowed_cpus, ServeConfig};
use super::event_loop::{self, Stopping};
use super::inbox::Inbox;
use super::policy::Policy;
use super::socket::{bind, Datagrams};
use super::stats::ShardStats;
use super::worker::Shard;
use crate::session::{Endpoint, EndpointConfig};

/// Datagrams one shard's inbox holds before hand-offs to it are counted lost.
const INBOX_CAPACITY: usize = 65_536;
/// The call rate (all shards together) the transaction tables are sized for at start.
const RESERVE_RATE: usize = 20_000;
/// Transactions one shard may hold, as a multiple of its calls: every call leaves its INVITE
/// and BYE transactions for 64*T1 (32 s) after it ends (RFC 3261 17.2.2, RFC 6026).
const TRANSACTIONS_PER_CALL: usize = 10;

/// Runs the shards until `stop` is set and their calls have drained; returns the merged
/// final statistics. `live` receives each shard's snapshot twice a second.
pub fn run(cfg: ServeConfig, stop: Arc<AtomicBool>, live: Arc<Mutex<Vec<ShardStats>>>) -> io::Result<ShardStats> {
    let n = cfg.shards.max(1);
    // SO_REUSEPORT would let us share a port with another server without a word: a plain
    // bind first tells whether the port is really free.
    drop(std::net::UdpSocket::bind(cfg.listen)?);
    // Bind every shard's socket here, so an address in use is reported before anything runs.
    let sockets = (0..n).map(|_| bind(cfg.listen)).collect::<io::Result<Vec<_>>>()?;
    let inboxes = Arc::new((0..n).map(|_| Inbox::new(INBOX_CAPACITY)).collect::<io::Result<Vec<_>>>()?);
    *live.lock().unwrap_or_else(|e| e.into_inner()) = vec![ShardStats::new(); n];
    let stopping = Arc::new(Stopping { stop, calls_left: (0..n).map(|_| AtomicUsize::new(usize::MAX)).collect() });
    let cpus = allowed_cpus();
    let mut handles = Vec::with_capacity(n);
    for (i, socket) in sockets.into_iter().enumerate() {
        let (cfg, stopping, live, inboxes) = (cfg.clone(), stopping.clone(), live.clone(), inboxes.clone());
        let handle = LocalExecutorBuilder::new(Placement::Fixed(cpus[i % cpus.len()]))
            .name(&format!("shard{i}"))
            .spawn(move || async move {
                let shard = new_shard(i, n, &cfg, socket);
                let publish = cfg.stats_interval.clamp(Duration::from_millis(100), Duration::from_millis(500));
                event_loop::run(shard, &inboxes, &stopping, &live, cfg.drain, publish)
            })
            .map_err(|e| io::Error::other(e.to_string()))?;
        handles.push(handle);
    }
    let mut total = ShardStats::new();
    for h in handles {
        total.merge(&h.join().map_err(|e| io::Error::other(e.to_string()))?);
    }
    Ok(total)
}

/// Shard `id` of `shards`: its endpoint gets its share of the calls and of the RTP ports.
fn new_shard(id: usize, shards: usize, cfg: &ServeConfig, socket: socket2::Socket) -> Shard {
    let mut ep_cfg = EndpointConfig::new(cfg.listen);
    ep_cfg.max_calls = cfg.max_calls.div_ceil(shards);
    ep_cfg.rtp_ports = cfg.shard_ports(id);
    ep_cfg.tx.max_transactions = ep_cfg.max_calls.saturating_mul(TRANSACTIONS_PER_CALL);
    // Room for 32 s of two transactions per call at RESERVE_RATE calls/s, without a rehash.
    ep_cfg.tx.reserve = (RESERVE_RATE * 2 * 32 / shards).min(ep_cfg.tx.max_transactions);
    let limits = ep_cfg.limits;
    let endpoint = Endpoint::new(ep_cfg, Instant::now());
    Shard::new(id, shards, endpoint, Policy::new(cfg.routes.clone()), Datagrams::new(socket), limits)
}
