//! The runtime as a library: a builder that configures and starts the shards with an
//! application, and a handle that reads their statistics and stops them.
#![warn(missing_docs)]

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::config::{IoChoice, OverloadConfig, ServerConfig};
use super::runtime::{choose_backend, start, Running};
use super::stats::ShardStats;
use crate::app::{Application, ShardInfo};
use crate::ops::MetricsServer;
use crate::transport::Listen;

/// Configures a [`Server`]; every bound has the default `callshard serve` uses.
///
/// ```no_run
/// use std::time::Duration;
/// use callshard::shard::Server;
/// # use callshard::app::{Application, Calls};
/// # struct App;
/// # impl Application for App { fn on_incoming(&mut self, c: &mut Calls<'_>, call: callshard::session::CallId) { let _ = c.reject(call, 603); } }
/// let server = Server::builder()
///     .listen("127.0.0.1:5060".parse::<std::net::SocketAddr>().unwrap())
///     .shards(2)
///     .rtp_ports(20_000, 29_999)
///     .max_calls(50_000)
///     .drain(Duration::from_secs(5))
///     .start(|_shard| App)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ServerBuilder {
    pub(super) cfg: ServerConfig,
    listen: Vec<Listen>,
    metrics: Option<SocketAddr>,
}

impl ServerBuilder {
    /// Adds an address to listen on: a `SocketAddr` is UDP, a [`Listen`] names its transport
    /// (`"tcp:127.0.0.1:5060".parse()`). Port 0 lets the kernel choose one port that all
    /// shards share. Without any, UDP on `0.0.0.0:5060`.
    pub fn listen(mut self, addr: impl Into<Listen>) -> Self {
        self.listen.push(addr.into());
        self
    }

    /// Shards (threads, one per core). Default: the cores this process may run on.
    pub fn shards(mut self, n: usize) -> Self {
        self.cfg.shards = n.max(1);
        self
    }

    /// The I/O backend; `Auto` (default) falls back to poll where io_uring is unavailable.
    pub fn io(mut self, io: IoChoice) -> Self {
        self.cfg.io = io;
        self
    }

    /// RTP ports, `low..=high`, split between the shards.
    pub fn rtp_ports(mut self, low: u16, high: u16) -> Self {
        self.cfg.rtp_ports = (low.min(high), high.max(low));
        self
    }

    /// Calls alive at once, all shards together; beyond it new INVITEs get 503.
    pub fn max_calls(mut self, n: usize) -> Self {
        self.cfg.max_calls = n;
        self
    }

    /// Transactions alive at once, all shards together.
    pub fn max_transactions(mut self, n: usize) -> Self {
        self.cfg.max_transactions = n;
        self
    }

    /// A call whose media stays silent this long is hung up; `None` never.
    pub fn media_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.cfg.media_timeout = timeout;
        self
    }

    /// How long calls may take to end after a stop before the shards exit anyway.
    pub fn drain(mut self, drain: Duration) -> Self {
        self.cfg.drain = drain;
        self
    }

    /// When a shard sheds new INVITEs with 503 and Retry-After, to finish the calls it
    /// admitted ([`OverloadConfig`]; the default sheds after 10 ms of queueing); `None` never.
    pub fn overload(mut self, overload: Option<OverloadConfig>) -> Self {
        self.cfg.overload = overload;
        self
    }

    /// Receive buffer of each SIP socket, bytes ([`super::ServerConfig::receive_buffer`]).
    pub fn receive_buffer(mut self, bytes: usize) -> Self {
        self.cfg.receive_buffer = bytes;
        self
    }

    /// Sizes the tables at start for placing `rate` calls a second (all shards together), so
    /// that a load generator's tables do not rehash a million keys while it runs.
    pub fn placing_calls(mut self, rate: usize) -> Self {
        self.cfg.placing_rate = rate;
        self
    }

    /// Media ports to bind before the applications start, all shards together (a load
    /// generator's expected concurrency: binding costs about 25 µs a port pair).
    pub fn media_ports_ahead(mut self, ports: usize) -> Self {
        self.cfg.media_ports_ahead = ports;
        self
    }

    /// io_uring: how long a wait may go on collecting datagrams once one came (fewer, fuller
    /// turns, at most that much added latency; a load generator saves wake-ups with it).
    pub fn batch_wait_us(mut self, us: u32) -> Self {
        self.cfg.batch_wait_us = us;
        self
    }

    /// How many datagrams at the head of each turn have their answers sent as soon as each
    /// is handled (default [`super::DEFAULT_SEND_EARLY`]; 0: every answer of a turn
    /// leaves together at its end).
    pub fn send_early(mut self, datagrams: u32) -> Self {
        self.cfg.send_early = datagrams;
        self
    }

    /// Serves `GET /metrics` (Prometheus text format) on this TCP address from a thread of
    /// its own, read from the shards' published statistics ([`crate::ops`]).
    pub fn metrics(mut self, addr: SocketAddr) -> Self {
        self.metrics = Some(addr);
        self
    }

    /// Every other bound at once (ring buffers, socket and message limits, ...).
    pub fn config(mut self, cfg: ServerConfig) -> Self {
        self.listen = cfg.listen.clone();
        self.cfg = cfg;
        self
    }

    /// Starts the shards. `make` builds each shard's application on that shard's thread.
    pub fn start<A, F>(mut self, make: F) -> io::Result<Server>
    where
        A: Application,
        F: Fn(&ShardInfo) -> A + Send + Sync + 'static,
    {
        if !self.listen.is_empty() {
            self.cfg.listen = std::mem::take(&mut self.listen);
        }
        let (io, fallback) = choose_backend(self.cfg.io).map_err(io::Error::other)?;
        self.cfg.io = io;
        let stop = Arc::new(AtomicBool::new(false));
        let live = Arc::new(Mutex::new(Vec::new()));
        // Bound before the shards start, so a bad address fails the start, not a scrape.
        let metrics = self.metrics.map(|addr| MetricsServer::start(addr, live.clone())).transpose()?;
        let running = start(self.cfg, make, stop.clone(), live.clone())?;
        Ok(Server { running, stop, live, io, fallback, metrics })
    }
}

impl ServerBuilder {
    /// Starts one shard with this application instance (a program that places a call or
    /// two, a test): the instance moves to the shard's thread.
    pub fn start_single<A: Application + Send>(self, app: A) -> io::Result<Server> {
        let cell = Mutex::new(Some(app));
        // One shard asks once; a second ask cannot happen, and would get the error below.
        self.shards(1).start(move |_| cell.lock().unwrap_or_else(|e| e.into_inner()).take().expect("one shard"))
    }
}

/// Running shards.
pub struct Server {
    running: Running,
    stop: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<ShardStats>>>,
    io: IoChoice,
    fallback: Option<String>,
    metrics: Option<MetricsServer>,
}

impl Server {
    /// A builder with `callshard serve`'s defaults (`0.0.0.0:5060` until `listen` is given).
    pub fn builder() -> ServerBuilder {
        let cfg = ServerConfig::new(SocketAddr::from(([0, 0, 0, 0], 5060)));
        ServerBuilder { cfg, listen: Vec::new(), metrics: None }
    }

    /// The addresses the shards listen on, with the ports the kernel chose for port 0.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.running.listen
    }

    /// Where `/metrics` is served ([`ServerBuilder::metrics`]), with the port the kernel chose.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(MetricsServer::local_addr)
    }

    /// The backend in use, and why it is not io_uring when it fell back.
    pub fn backend(&self) -> (IoChoice, Option<&str>) {
        (self.io, self.fallback.as_deref())
    }

    /// Asks the shards to stop: new calls get 503, the others drain.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// The flag [`Server::stop`] sets, for a signal handler (`signal_hook::flag::register`).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// All shards' statistics, merged from their last snapshots (at most half a second old).
    pub fn stats(&self) -> ShardStats {
        ShardStats::total(self.live.lock().unwrap_or_else(|e| e.into_inner()).iter())
    }

    /// Waits until the shards have stopped (after [`Server::stop`], a signal, or an
    /// application's [`crate::app::Calls::stop_server`]); their final statistics merged.
    pub fn join(self) -> io::Result<ShardStats> {
        self.running.join()
    }
}
