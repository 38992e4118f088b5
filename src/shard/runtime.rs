//! The thread-per-core runtime: one glommio executor per shard, pinned to its core, each
//! with its own socket (`SO_REUSEPORT`), endpoint, policy and timers; datagrams for a call
//! another shard owns cross a glommio channel mesh as the same `Bytes`.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use glommio::channels::channel_mesh::{Full, MeshBuilder, Senders};
use glommio::{LocalExecutorBuilder, Placement};

use super::config::{allowed_cpus, ServeConfig};
use super::policy::Policy;
use super::socket::{bind, Datagrams};
use super::stats::ShardStats;
use super::worker::Shard;
use crate::session::{Endpoint, EndpointConfig};

type Handoff = (Bytes, SocketAddr);

/// The stop request and, once it came, each shard's calls still alive (`usize::MAX` until
/// the shard has looked). Touched once per timer tick while stopping, never per message.
struct Stopping {
    stop: Arc<AtomicBool>,
    calls_left: Vec<AtomicUsize>,
}
type Nudge = glommio::channels::local_channel::LocalSender<()>;
type Nudged = glommio::channels::local_channel::LocalReceiver<()>;
/// Longest the timer loop sleeps: how soon an idle server notices a stop request. A datagram
/// that arms an earlier timer nudges it awake.
const IDLE_TICK: Duration = Duration::from_millis(100);

/// Runs the shards until `stop` is set and their calls have drained; returns the merged
/// final statistics. `live` receives each shard's snapshot once per statistics interval.
pub fn run(cfg: ServeConfig, stop: Arc<AtomicBool>, live: Arc<Mutex<Vec<ShardStats>>>) -> io::Result<ShardStats> {
    let n = cfg.shards.max(1);
    // SO_REUSEPORT would let us share a port with another server without a word: a plain
    // bind first tells whether the port is really free.
    drop(std::net::UdpSocket::bind(cfg.listen)?);
    // Bind every shard's socket here, so an address in use is reported before anything runs.
    let sockets = (0..n).map(|_| bind(cfg.listen)).collect::<io::Result<Vec<_>>>()?;
    *live.lock().unwrap_or_else(|e| e.into_inner()) = vec![ShardStats::new(); n];
    let mesh = MeshBuilder::<Handoff, Full>::full(n, 4096);
    let stopping = Arc::new(Stopping { stop, calls_left: (0..n).map(|_| AtomicUsize::new(usize::MAX)).collect() });
    let mut handles = Vec::with_capacity(n);
    let cpus = allowed_cpus();
    for (i, socket) in sockets.into_iter().enumerate() {
        let (cfg, stopping, live, mesh) = (cfg.clone(), stopping.clone(), live.clone(), mesh.clone());
        let handle = LocalExecutorBuilder::new(Placement::Fixed(cpus[i % cpus.len()]))
            .name(&format!("shard{i}"))
            .spawn(move || async move { shard_main(i, n, cfg, socket, stopping, live, mesh).await })
            .map_err(|e| io::Error::other(e.to_string()))?;
        handles.push(handle);
    }
    let mut total = ShardStats::new();
    for h in handles {
        let s = h.join().map_err(|e| io::Error::other(e.to_string()))??;
        total.merge(&s);
    }
    Ok(total)
}

async fn shard_main(
    id: usize,
    shards: usize,
    cfg: ServeConfig,
    socket: socket2::Socket,
    stopping: Arc<Stopping>,
    live: Arc<Mutex<Vec<ShardStats>>>,
    mesh: MeshBuilder<Handoff, Full>,
) -> io::Result<ShardStats> {
    let now = Instant::now();
    let mut ep_cfg = EndpointConfig::new(cfg.listen);
    ep_cfg.max_calls = cfg.max_calls.div_ceil(shards);
    ep_cfg.rtp_ports = cfg.shard_ports(id);
    ep_cfg.tx.max_transactions = ep_cfg.max_calls * 4;
    // A second descriptor of the same socket, for glommio to wait on when the socket is empty.
    // SAFETY: `dup` returns a new descriptor we own, handed straight to glommio.
    let waker = unsafe { glommio::net::UdpSocket::from_raw_fd(libc::dup(socket.as_raw_fd())) };
    let limits = ep_cfg.limits;
    let endpoint = Endpoint::new(ep_cfg, now);
    let shard = Rc::new(RefCell::new(Shard::new(
        id,
        shards,
        endpoint,
        Policy::new(cfg.routes.clone()),
        Datagrams::new(socket),
        limits,
    )));
    let (senders, mut receivers) = mesh.join().await.map_err(|_| io::Error::other("channel mesh"))?;
    for (_, stream) in receivers.streams() {
        let shard = shard.clone();
        glommio::spawn_local(async move {
            while let Some((data, from)) = stream.recv().await {
                shard.borrow_mut().on_handoff(data, from, Instant::now());
            }
        })
        .detach();
    }
    // The receive loop nudges the timer loop after each batch: a datagram may have armed a
    // timer earlier than the one it sleeps for.
    let (nudge, nudged) = glommio::channels::local_channel::new_bounded(1);
    let rx_shard = shard.clone();
    glommio::spawn_local(async move { receive_loop(rx_shard, waker, senders, nudge).await }).detach();
    timer_loop(&shard, &cfg, &stopping, &live, &nudged).await;
    let final_stats = shard.borrow().snapshot();
    Ok(final_stats)
}

/// Drains the socket while datagrams wait; when it is empty, parks on glommio until one
/// arrives (no spinning when idle).
async fn receive_loop(
    shard: Rc<RefCell<Shard>>,
    waker: glommio::net::UdpSocket,
    senders: Senders<Handoff>,
    nudge: Nudge,
) {
    let mut peek = [0u8; 1];
    loop {
        let got = shard.borrow_mut().poll_socket(Instant::now());
        let handoffs = std::mem::take(&mut shard.borrow_mut().handoffs);
        for (owner, data, from) in handoffs {
            if senders.try_send_to(owner, (data.clone(), from)).is_err() {
                // The owner's queue is full: wait for room rather than lose the datagram.
                let _ = senders.send_to(owner, (data, from)).await;
            }
        }
        if got == 0 {
            if waker.peek_from(&mut peek).await.is_err() {
                // A socket error (an ICMP report, say) must not turn this loop into a spin.
                glommio::timer::sleep(Duration::from_millis(1)).await;
            }
        } else {
            if shard.borrow().timer_needs_nudge() {
                let _ = nudge.try_send(());
            }
            glommio::yield_if_needed().await;
        }
    }
}

/// Fires timers, publishes statistics, and on a stop request drains the calls and returns.
async fn timer_loop(
    shard: &Rc<RefCell<Shard>>,
    cfg: &ServeConfig,
    stopping: &Stopping,
    live: &Mutex<Vec<ShardStats>>,
    nudged: &Nudged,
) {
    let mut next_publish = Instant::now();
    let mut drain_until: Option<Instant> = None;
    loop {
        let now = Instant::now();
        shard.borrow_mut().on_timer(now);
        if now >= next_publish {
            let snapshot = shard.borrow().snapshot();
            let id = shard.borrow().id;
            if let Some(slot) = live.lock().unwrap_or_else(|e| e.into_inner()).get_mut(id) {
                *slot = snapshot;
            }
            next_publish = now + cfg.stats_interval.max(Duration::from_millis(500));
        }
        if stopping.stop.load(Ordering::Relaxed) && drain_until.is_none() {
            shard.borrow_mut().ep.set_draining(true);
            drain_until = Some(now + cfg.drain);
        }
        if let Some(until) = drain_until {
            // Every shard stays until all are empty: a stopped shard could not take the
            // datagrams the others hand to it.
            let id = shard.borrow().id;
            stopping.calls_left[id].store(shard.borrow().ep.active_calls(), Ordering::Relaxed);
            if now >= until || stopping.calls_left.iter().all(|c| c.load(Ordering::Relaxed) == 0) {
                return;
            }
        }
        let wait = match shard.borrow().ep.next_deadline() {
            Some(deadline) => deadline.saturating_duration_since(now).clamp(Duration::from_micros(200), IDLE_TICK),
            None => IDLE_TICK,
        };
        shard.borrow_mut().timer_wake = Some(now + wait);
        futures_lite::future::or(glommio::timer::sleep(wait), async {
            let _ = nudged.recv().await;
        })
        .await;
    }
}
