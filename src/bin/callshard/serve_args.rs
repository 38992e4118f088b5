//! The flags of `callshard serve`, each a named bound or choice with its default, and the
//! parsers that turn a bad value into a one-line error.

use std::net::SocketAddr;

use callshard::rtp::MediaAction;
use callshard::shard::IoChoice;
use callshard::transport::Listen;

use super::stream_args::StreamArgs;

/// Answer SIP calls on UDP, TCP and TLS with thread-per-core shards, by a route table.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// A TOML file of these flags (`max-calls = 50000`, `listen = ["127.0.0.1:5060"]`); a
    /// flag on the command line overrides the file's (callshard.example.toml shows them all).
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// [udp:|tcp:|tls:]ADDR:PORT to listen on (a bare ADDR:PORT is UDP); repeat for several
    /// (IPv4 and IPv6, UDP and TCP: --listen 127.0.0.1:5060 --listen tcp:127.0.0.1:5060);
    /// tls: needs --tls-cert and --tls-key.
    #[arg(long, default_value = "127.0.0.1:5060")]
    pub listen: Vec<Listen>,
    /// I/O backend: uring (io_uring, one ring per shard), poll (recvmmsg + ppoll), or auto
    /// (io_uring where the kernel allows it, else poll).
    #[arg(long, default_value = "auto", value_parser = parse_io)]
    pub io: IoChoice,
    /// Receive buffers in each shard's io_uring buffer ring (a power of two, 2-32768).
    #[arg(long, default_value_t = 1024, value_parser = parse_ring_buffers)]
    pub ring_buffers: u16,
    /// io_uring: microseconds a shard's wait may go on collecting datagrams once one came
    /// (fewer, fuller turns; at most that much added latency). 0: wake for each one.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub batch_wait_us: u32,
    /// Answers to the first N datagrams of each turn are sent as soon as each is handled (a
    /// system call each; a peer on the same host may take them while still awake); the rest
    /// of a turn's answers leave together. 0: all together, the fewest system calls.
    #[arg(long, default_value_t = callshard::shard::DEFAULT_SEND_EARLY, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub send_early: u32,
    /// io_uring: sockets each shard's ring holds, SIP and media ports together (its
    /// fixed-file table, reserved at start); a call needing one more media port gets 503.
    /// Capped by the open-files limit (ulimit -n).
    #[arg(long, default_value_t = 16_384, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    pub max_sockets: u32,
    /// Receive buffer of each SIP socket, bytes (forced past net.core.rmem_max when run as
    /// root or with CAP_NET_ADMIN, else capped by it): what a shard's stall may queue.
    /// Overload control sees a queue only above a quarter of it, so more sheds later.
    #[arg(long, default_value_t = 4 << 20, value_parser = clap::value_parser!(u32).range(65_536..=1 << 30))]
    pub receive_buffer: u32,
    /// Largest SIP datagram accepted, in bytes; larger ones are dropped and counted.
    #[arg(long, default_value_t = 65_535, value_parser = clap::value_parser!(u32).range(512..=65_535))]
    pub max_message: u32,
    /// Shards (one per core); default: every online core.
    #[arg(long, value_parser = parse_shards)]
    pub shards: Option<usize>,
    /// RTP port range, split between shards.
    #[arg(long, default_value = "20000-39999", value_parser = parse_port_range)]
    pub rtp_ports: (u16, u16),
    /// PATTERN=ACTION[,media=MEDIA]: Request-URI user, a prefix ending in * (1*), or * for
    /// any other = answer (180, 200) | ok (200 only) | ring:MS | ringing | early:MS |
    /// reject:CODE, and optionally the call's media (else --media). Built in: *=answer
    /// busy=reject:486 slow=ringing early=early:1000.
    #[arg(long = "route")]
    pub routes: Vec<String>,
    /// What answered calls do with media: echo (send back what arrives, as our own stream),
    /// tone (440 Hz), silence, or none (receive and count, send nothing).
    #[arg(long, default_value = "none")]
    pub media: MediaAction,
    /// Seconds of silence after which a call with media is hung up (not while held; never
    /// with --media none); 0 turns it off.
    #[arg(long, default_value_t = 60)]
    pub media_timeout: u64,
    /// Calls alive at once; beyond it new INVITEs get 503 with Retry-After.
    #[arg(long, default_value_t = 100_000)]
    pub max_calls: usize,
    /// Transactions alive at once; a call's transactions linger 32 s after it ends, so R
    /// calls/s need about 64 R of them. Beyond it new requests get 503 with Retry-After.
    #[arg(long, default_value_t = 2_000_000)]
    pub max_transactions: usize,
    /// Milliseconds the SIP sockets' queue must stay above --overload-backlog-kib, without
    /// shrinking over them, before a shard sheds new INVITEs (503 with Retry-After, no state kept) to finish the calls it
    /// admitted; 0 never sheds.
    #[arg(long, default_value_t = 10)]
    pub overload_onset_ms: u64,
    /// KiB waiting unread in a shard's SIP sockets (kernel accounting: 1-2 KiB a small
    /// datagram) that count as a queue for --overload-onset-ms.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
    pub overload_backlog_kib: u64,
    /// Live statistics on stderr: without it, a line each second in which something
    /// changed (an idle server stays quiet); with N, a line every N seconds, changed or
    /// not; 0 turns them off.
    #[arg(long, value_name = "SECONDS")]
    pub stats_interval: Option<u64>,
    /// Log filter: a level (error, warn, info, debug, trace) or an EnvFilter such as
    /// `info,callshard::session=debug`; default: RUST_LOG, else info (one line per refused
    /// or failed call, nothing per message). Lines go to stderr.
    #[arg(long, value_name = "LEVEL/FILTER", value_parser = parse_log)]
    pub log: Option<String>,
    /// Log lines written a second at most (errors always are); the rest are counted and
    /// said in one line. 0: no bound.
    #[arg(long, default_value_t = callshard::ops::logging::DEFAULT_LINES_PER_SECOND)]
    pub log_lines_per_second: u32,
    /// Serve Prometheus metrics at http://ADDR:PORT/metrics (TCP).
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<SocketAddr>,
    #[command(flatten)]
    pub stream: StreamArgs,
}

/// `LOW-HIGH`, both ports, LOW <= HIGH, at least two ports.
pub fn parse_port_range(s: &str) -> Result<(u16, u16), String> {
    let (low, high) = s.split_once('-').ok_or_else(|| format!("`{s}` is not LOW-HIGH"))?;
    let port = |p: &str| p.parse::<u16>().map_err(|_| format!("`{p}` is not a port number"));
    let (low, high) = (port(low)?, port(high)?);
    if low >= high || low == 0 {
        return Err(format!("`{s}`: LOW must be above 0 and below HIGH"));
    }
    Ok((low, high))
}

/// A `tracing` filter.
pub fn parse_log(s: &str) -> Result<String, String> {
    callshard::ops::logging::check_filter(s).map(|()| s.to_string())
}

/// `auto`, `uring` or `poll`.
pub fn parse_io(s: &str) -> Result<IoChoice, String> {
    match s {
        "auto" => Ok(IoChoice::Auto),
        "uring" | "io_uring" => Ok(IoChoice::Uring),
        "poll" => Ok(IoChoice::Poll),
        _ => Err(format!("`{s}` is not auto, uring or poll")),
    }
}

/// A power of two from 2 to 32 768 (the kernel's limit for a buffer ring).
pub fn parse_ring_buffers(s: &str) -> Result<u16, String> {
    match s.parse::<u32>() {
        Ok(n) if (2..=32_768).contains(&n) && n.is_power_of_two() => Ok(n as u16),
        _ => Err(format!("`{s}` is not a power of two from 2 to 32768")),
    }
}

/// A shard count of at least one.
pub fn parse_shards(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not a shard count from 1 to 1024")),
    }
}
