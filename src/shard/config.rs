//! What the shard runtime is asked to run (`callshard serve`, or an embedding program through
//! [`super::ServerBuilder`]), every bound named.
#![warn(missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use super::overload::OverloadConfig;
use crate::transport::{Listen, StreamBounds, Transport};

/// Datagrams of a turn whose answers leave at once (`ServerConfig::send_early`).
pub const DEFAULT_SEND_EARLY: u32 = 0;

/// Which I/O backend the shards use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoChoice {
    /// io_uring where the kernel and the sandbox allow it, else poll (saying so in one line).
    Auto,
    /// io_uring or nothing: start fails where it is unavailable.
    Uring,
    /// `recvmmsg`/`sendmmsg` and `ppoll`.
    Poll,
}

/// The runtime's configuration; [`super::ServerBuilder`] sets it field by field.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Addresses to listen on, each with its transport; every shard holds a `SO_REUSEPORT`
    /// socket on each (a UDP socket, or a TCP listening socket).
    pub listen: Vec<Listen>,
    /// Stream connections one shard holds at once (TCP); a connection beyond it is closed as
    /// soon as it is accepted, and counted.
    pub max_connections: usize,
    /// The bounds of each stream connection: bytes buffered, time a message may take, idle
    /// time, TLS handshake time.
    pub stream: StreamBounds,
    /// The certificate, key and protocol settings of every `tls:` listen address (one
    /// identity for all of them); required when there is one. `transport::tls_server_config`
    /// builds it from PEM files.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The I/O backend (`Auto`: io_uring where allowed, else poll).
    pub io: IoChoice,
    /// Receive buffers in each shard's io_uring buffer ring (a power of two).
    pub ring_buffers: u16,
    /// Microseconds a shard's wait may go on collecting datagrams (io_uring batch wait).
    pub batch_wait_us: u32,
    /// The first this many datagrams of a turn have their answers sent as soon as each is
    /// handled; the rest leave together when the turn ends (`event_loop.rs` says why).
    pub send_early: u32,
    /// Sockets each shard's ring holds, SIP and media together (its fixed-file table); a
    /// call whose media port would need one more is refused with 503.
    pub max_sockets: u32,
    /// Receive buffer of each SIP socket, bytes: forced past `net.core.rmem_max` when the
    /// process is privileged, else capped by it (the kernel doubles what it grants). Enough
    /// for a stall of tens of milliseconds; more only delays overload control, which can see
    /// a queue only above a quarter of the buffer (`sockets::queued_bytes`).
    pub receive_buffer: usize,
    /// Media ports each shard binds at start (beyond the few it always binds ahead): a load
    /// generator binds its expected concurrency before it places its first call, rather
    /// than 25 µs a port while it places them.
    pub media_ports_ahead: usize,
    /// Largest SIP datagram taken; a larger one is dropped and counted as truncated.
    pub max_message: usize,
    /// Shards, one per core; each gets the core of its index (modulo the online cores).
    pub shards: usize,
    /// RTP ports, split into one contiguous range per shard.
    pub rtp_ports: (u16, u16),
    /// A call whose media stays silent this long is hung up (not while held, not with the
    /// media action `none`); `None` never.
    pub media_timeout: Option<Duration>,
    /// Calls alive at once, all shards together; beyond it new INVITEs get 503.
    pub max_calls: usize,
    /// Transactions alive at once, all shards together; beyond it new requests get 503.
    /// Every call leaves its INVITE and BYE transactions for 64*T1 = 32 s after it ends
    /// (RFC 3261 17.2.2, RFC 6026), so a rate R needs about 64 R of them.
    pub max_transactions: usize,
    /// Calls a second the shards will place (all together), for sizing their client
    /// transaction tables at start (a load generator: INVITEs linger 32 s in Timer M); 0 for
    /// a server that places few.
    pub placing_rate: usize,
    /// Period of the live statistics line on stderr; zero turns it off.
    pub stats_interval: Duration,
    /// After SIGINT/SIGTERM, how long calls in progress may take to end before exit.
    pub drain: Duration,
    /// When a shard sheds new INVITEs (503 with Retry-After, before any state is made) to
    /// finish the calls it admitted: datagrams queued unread for a while; `None` never sheds.
    pub overload: Option<OverloadConfig>,
}

impl ServerConfig {
    /// The defaults of `callshard serve`, listening on UDP `listen`.
    pub fn new(listen: SocketAddr) -> ServerConfig {
        ServerConfig {
            listen: vec![Listen::udp(listen)],
            max_connections: 4096,
            stream: StreamBounds::default(),
            tls: None,
            io: IoChoice::Auto,
            ring_buffers: 1024,
            batch_wait_us: 0,
            send_early: DEFAULT_SEND_EARLY,
            max_sockets: 16_384,
            receive_buffer: 4 << 20,
            media_ports_ahead: 0,
            max_message: 65_535,
            shards: online_cores(),
            rtp_ports: (20_000, 39_999),
            media_timeout: Some(Duration::from_secs(60)),
            max_calls: 100_000,
            max_transactions: 2_000_000,
            placing_rate: 0,
            stats_interval: Duration::from_secs(1),
            drain: Duration::from_secs(2),
            overload: Some(OverloadConfig::default()),
        }
    }

    /// The listen addresses without their transports.
    pub fn addresses(&self) -> Vec<SocketAddr> {
        self.listen.iter().map(|l| l.addr).collect()
    }

    /// Per listen address: whether it is a TCP listening socket (TCP or TLS).
    pub(crate) fn stream_listeners(&self) -> Vec<bool> {
        self.listen.iter().map(|l| l.transport.is_stream()).collect()
    }

    /// Per listen address: the TLS configuration of its connections, if it is a `tls:` one.
    pub(crate) fn tls_listeners(&self) -> Vec<Option<Arc<rustls::ServerConfig>>> {
        self.listen.iter().map(|l| self.tls.clone().filter(|_| l.transport == Transport::Tls)).collect()
    }

    /// A `tls:` address without a TLS identity is refused at start, in one line.
    pub(crate) fn check_tls(&self) -> std::io::Result<()> {
        match self.listen.iter().find(|l| l.transport == Transport::Tls).filter(|_| self.tls.is_none()) {
            Some(l) => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{l}: TLS needs a certificate and key (ServerConfig::tls; serve's --tls-cert, --tls-key)"),
            )),
            None => Ok(()),
        }
    }

    /// The bounds of each stream connection, its messages bounded like datagrams.
    pub(crate) fn stream_bounds(&self) -> StreamBounds {
        let mut bounds = self.stream;
        bounds.limits.max_message_size = self.max_message;
        bounds.max_buffered = bounds.max_buffered.max(self.max_message);
        bounds
    }

    /// The RTP port range of shard `i`: the whole range cut into equal parts.
    pub fn shard_ports(&self, i: usize) -> (u16, u16) {
        let (low, high) = (u32::from(self.rtp_ports.0), u32::from(self.rtp_ports.1));
        let n = self.shards.max(1) as u32;
        let width = (high - low + 1) / n;
        let start = low + width * i as u32;
        (start as u16, (start + width).saturating_sub(1).min(high) as u16)
    }
}

/// Cores this process may run on.
pub fn online_cores() -> usize {
    allowed_cpus().len()
}

/// The CPUs this process may run on (its affinity mask, so `taskset` is respected), in
/// order; shard `i` is pinned to the `i mod len`-th of them.
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: a zeroed cpu_set_t is valid; sched_getaffinity writes at most its size.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) } == 0;
    let cpus: Vec<usize> = if ok {
        (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) }).collect()
    } else {
        Vec::new()
    };
    if cpus.is_empty() {
        (0..std::thread::available_parallelism().map_or(1, |n| n.get())).collect()
    } else {
        cpus
    }
}

#[cfg(test)]
mod tests {
    use super::ServerConfig;

    #[test]
    fn port_ranges_split_without_overlap() {
        let mut c = ServerConfig::new("127.0.0.1:5060".parse::<std::net::SocketAddr>().unwrap());
        c.shards = 3;
        c.rtp_ports = (20_000, 29_999);
        assert_eq!(c.shard_ports(0), (20_000, 23_332));
        assert_eq!(c.shard_ports(1), (23_333, 26_665));
        assert_eq!(c.shard_ports(2), (26_666, 29_998));
    }
}
