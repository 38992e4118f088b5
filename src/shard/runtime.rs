//! The thread-per-core runtime: one thread per shard, pinned to its core, each with its own
//! sockets (`SO_REUSEPORT`), I/O backend, endpoint, media, application and timers; datagrams
//! for a call another shard owns are handed to that shard as the same `Bytes`.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::config::{allowed_cpus, IoChoice, ServerConfig};
use super::event_loop::{self, Cadence, Stopping};
use super::io::ShardIo;
use super::media::ShardMedia;
use super::media_sockets::raise_open_files_limit;
use super::overload::Overload;
use super::poll::{Inbox, PollIo, PollStreams};
use super::ring::{setup, Directory, RingConfig, RingIo, RingStreams};
use super::sockets::bind_all;
use super::stats::ShardStats;
use super::worker::Shard;
use crate::app::{AppCore, Application, ShardInfo};
use crate::rtp::reports::WallClock;
use crate::rtp::MediaPlane;
use crate::session::{Endpoint, EndpointConfig, RtpPorts};
use crate::transport::Listen;

/// Datagrams one shard's inbox holds before hand-offs to it are counted lost (poll backend).
const INBOX_CAPACITY: usize = 65_536;
/// The call rate (all shards together) the transaction tables are sized for at start.
const RESERVE_RATE: usize = 20_000;

/// The backend chosen for a run, with the reason when io_uring was wanted but is unavailable.
pub fn choose_backend(choice: IoChoice) -> Result<(IoChoice, Option<String>), String> {
    match (choice, setup::probe()) {
        (IoChoice::Poll, _) => Ok((IoChoice::Poll, None)),
        (_, Ok(())) => Ok((IoChoice::Uring, None)),
        (IoChoice::Uring, Err(why)) => Err(why),
        (IoChoice::Auto, Err(why)) => Ok((IoChoice::Poll, Some(why))),
    }
}

/// Shards that are running: their threads and the addresses they listen on.
pub struct Running {
    pub listen: Vec<SocketAddr>,
    handles: Vec<JoinHandle<io::Result<ShardStats>>>,
}

impl Running {
    /// Waits for every shard to stop; their final statistics merged.
    pub fn join(self) -> io::Result<ShardStats> {
        let mut total = ShardStats::new();
        let mut failure = None;
        for h in self.handles {
            match h.join() {
                Ok(Ok(stats)) => total.merge(&stats),
                Ok(Err(e)) => failure = Some(e),
                Err(_) => failure = Some(io::Error::other("a shard panicked")),
            }
        }
        failure.map_or(Ok(total), Err)
    }
}

/// Starts the shards, each with the application `make` builds on its thread; they run until
/// `stop` is set and their calls have drained. `cfg.io` must be `Uring` or `Poll`
/// ([`choose_backend`] decides). `live` receives each shard's snapshot up to ten times a second.
pub fn start<A, F>(
    cfg: ServerConfig,
    make: F,
    stop: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<ShardStats>>>,
) -> io::Result<Running>
where
    A: Application,
    F: Fn(&ShardInfo) -> A + Send + Sync + 'static,
{
    let n = cfg.shards.max(1);
    // Before any ring exists: each sizes its fixed-file table within this limit.
    raise_open_files_limit();
    let tcp = cfg.listen.iter().any(|l| l.transport.is_stream());
    cfg.check_tls()?;
    // Bind every shard's sockets here, so an address in use is reported before anything runs.
    let (sockets, listen) = bind_all(&cfg.listen, n, cfg.receive_buffer)?;
    let resolved = cfg.listen.iter().zip(&listen).map(|(l, a)| Listen { addr: *a, ..*l }).collect();
    let cfg = ServerConfig { listen: resolved, ..cfg };
    *live.lock().unwrap_or_else(|e| e.into_inner()) = vec![ShardStats::new(); n];
    let stopping = Arc::new(Stopping { stop, calls_left: (0..n).map(|_| AtomicUsize::new(usize::MAX)).collect() });
    let inboxes: Arc<[Inbox]> = match cfg.io {
        IoChoice::Poll => (0..n).map(|_| Inbox::new(INBOX_CAPACITY)).collect::<io::Result<Vec<_>>>()?.into(),
        _ => Arc::new([]),
    };
    let directory = Arc::new(Directory::new(n));
    let (cpus, make) = (allowed_cpus(), Arc::new(make));
    let mut handles = Vec::with_capacity(n);
    for (i, sockets) in sockets.into_iter().enumerate() {
        let (cfg, stopping, live, inboxes, directory, make) =
            (cfg.clone(), stopping.clone(), live.clone(), inboxes.clone(), directory.clone(), make.clone());
        let cpu = cpus[i % cpus.len()];
        let handle = std::thread::Builder::new().name(format!("shard{i}")).spawn(move || {
            pin_to(cpu);
            let info = ShardInfo { index: i, count: n, listen: cfg.addresses() };
            let app = make(&info);
            let shard = new_shard(info, &cfg, app, &stopping);
            let cadence = Cadence {
                publish: cfg.stats_interval.clamp(Duration::from_millis(100), Duration::from_millis(500)),
                drain: cfg.drain,
                ports_ahead: cfg.media_ports_ahead.div_ceil(n),
                send_early: cfg.send_early as usize,
            };
            if cfg.io == IoChoice::Poll {
                let mut io = PollIo::new(i, sockets, cfg.max_message, inboxes);
                if tcp {
                    io = io.with_streams(
                        cfg.stream_listeners(),
                        PollStreams::new(i, cfg.max_connections, cfg.stream_bounds(), cfg.tls_listeners())?,
                    );
                }
                return Ok(finish(event_loop::run(shard, &mut io, &stopping, &live, cadence), &mut io));
            }
            let ring_cfg = RingConfig {
                buffers: cfg.ring_buffers,
                max_datagram: cfg.max_message,
                batch_wait_us: cfg.batch_wait_us,
                max_sockets: cfg.max_sockets,
                ..RingConfig::default()
            };
            let mut io = RingIo::new(i, sockets, ring_cfg, &directory)?;
            if tcp {
                io = io.with_streams(RingStreams::new(
                    i,
                    cfg.max_connections,
                    cfg.stream_bounds(),
                    cfg.stream_listeners(),
                    cfg.tls_listeners(),
                ));
            }
            let stats = finish(event_loop::run(shard, &mut io, &stopping, &live, cadence), &mut io);
            directory.leave(Duration::from_secs(1));
            io.shutdown();
            Ok(stats)
        })?;
        handles.push(handle);
    }
    Ok(Running { listen, handles })
}

/// Sends what the last turn queued (replies to the last requests) and adds the backend's
/// final counters.
fn finish(mut stats: ShardStats, io: &mut impl ShardIo) -> ShardStats {
    let _ = io.turn(Duration::ZERO, &mut Vec::new());
    stats.io = io.counters();
    stats
}

/// Pins the calling thread to `cpu`; a failure (a CPU taken away meanwhile) leaves it unpinned.
fn pin_to(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET writes inside it; the call reads it only.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// A shard: its endpoint gets its share of the calls and of the RTP ports.
fn new_shard<A: Application>(info: ShardInfo, cfg: &ServerConfig, app: A, stopping: &Stopping) -> Shard<A> {
    let (id, shards) = (info.index, info.count);
    let mut ep_cfg = EndpointConfig::new(cfg.listen[0].addr);
    ep_cfg.locals = cfg.addresses();
    ep_cfg.transports = cfg.listen.iter().map(|l| l.transport).collect();
    ep_cfg.max_calls = cfg.max_calls.div_ceil(shards);
    ep_cfg.rtp_ports = cfg.shard_ports(id);
    ep_cfg.limits.max_message_size = cfg.max_message;
    ep_cfg.tx.max_transactions = cfg.max_transactions.div_ceil(shards);
    // Room for 32 s of two transactions per call at RESERVE_RATE calls/s, without a rehash.
    ep_cfg.tx.reserve = (RESERVE_RATE * 2 * 32 / shards).min(ep_cfg.tx.max_transactions);
    if cfg.placing_rate > 0 {
        // INVITEs linger 32 s (Timer M) and BYEs 5 s (Timer K) after each call we place.
        ep_cfg.tx.client_reserve = Some((cfg.placing_rate * 37 / shards).min(ep_cfg.tx.max_transactions));
    }
    ep_cfg.shard = (id, shards);
    let limits = ep_cfg.limits;
    let now = Instant::now();
    let mut endpoint = Endpoint::new(ep_cfg, now);
    // Only ports whose sockets are bound may be offered: the shard's media fills the pool.
    *endpoint.media_ports() = RtpPorts::empty();
    let (plane, media) = new_media(id, cfg, now);
    let core = AppCore::new((endpoint, plane), app, info, Some(stopping.stop.clone()), now);
    Shard::new(core, media, limits, Overload::new(cfg.overload))
}

/// Shard `id`'s media: its port slice, bound on the address the calls' SDP names (the
/// listening address; the wildcard of its family when several addresses are listened on).
fn new_media(id: usize, cfg: &ServerConfig, now: Instant) -> (MediaPlane, ShardMedia) {
    let first = cfg.listen[0].addr.ip();
    let addr = match cfg.listen.iter().all(|l| l.addr.ip() == first) {
        true => first,
        false if first.is_ipv4() => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        false => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let seed = ahash::RandomState::new().hash_one(id as u64);
    let cname = format!("callshard-{}-{id}@{first}", std::process::id());
    let plane = MediaPlane::new(cfg.shard_ports(id), WallClock { at: now, unix }, seed, cfg.media_timeout, &cname);
    (plane, ShardMedia::new(addr, cfg.shard_ports(id)))
}
