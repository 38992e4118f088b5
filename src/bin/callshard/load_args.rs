//! The flags of `callshard load`.

use std::net::SocketAddr;

use callshard::rtp::MediaAction;

use super::rtp_load_args::parse_seconds;
use super::serve_args::{parse_port_range, parse_shards};

/// A SIP load generator (UAC) on callshard's shards: places calls at a steady rate on any SIP
/// UAS, holds them, hangs up, and reports setup times and failures.
#[derive(clap::Args, Clone)]
pub struct LoadArgs {
    /// The UAS to call (UDP).
    #[arg(long)]
    pub target: SocketAddr,
    /// Calls placed per second, all shards together.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate: u32,
    /// Calls to place in all (or use --duration).
    #[arg(long, conflicts_with = "duration", required_unless_present = "duration")]
    pub calls: Option<u64>,
    /// Seconds of placing calls (or use --calls).
    #[arg(long, value_parser = parse_seconds)]
    pub duration: Option<f64>,
    /// Milliseconds each answered call is held before our BYE.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub hold_ms: u64,
    /// Milliseconds over which the rate rises linearly from 0 to --rate (then holds).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub ramp_ms: u64,
    /// Shards (one per core) placing the calls.
    #[arg(long, default_value = "1", value_parser = parse_shards)]
    pub shards: usize,
    /// What each call's media does once answered: echo, tone, silence or none.
    #[arg(long, default_value = "none")]
    pub media: MediaAction,
    /// Request-URI user (sip:USER@target).
    #[arg(long, default_value = "service")]
    pub user: String,
    /// Our address (port 0: any free port); default: the address that routes to the target.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Our RTP ports, split between the shards.
    #[arg(long, default_value = "40000-59999", value_parser = parse_port_range)]
    pub rtp_ports: (u16, u16),
    /// Most calls alive at once; a call that would pass it counts as failed ("local-limit").
    #[arg(long, default_value_t = 200_000)]
    pub max_calls: usize,
    /// io_uring: microseconds a wait goes on collecting responses once one came (fewer
    /// wake-ups per call; setup times read up to this much later). 0: wake for each.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub batch_wait_us: u32,
    /// Print one JSON object as the last line of stdout.
    #[arg(long)]
    pub json: bool,
    /// Use the poll backend instead of io_uring.
    #[arg(long)]
    pub poll: bool,
}
