//! The flags of `callshard rtp-load`: where the media goes (a SIP server, a plain reflector,
//! or rtpengine's ng control port), how many streams and how fast.

use std::net::SocketAddr;

use super::serve_args::parse_port_range;

/// Open N media streams on a server and send G.711 on all of them at a total rate, measuring
/// loss and round-trip time of what comes back.
#[derive(clap::Args)]
pub struct RtpLoadArgs {
    /// The SIP server that answers the calls (UDP); with --no-sip, the reflector's host.
    #[arg(long, default_value = "127.0.0.1:5060")]
    pub target: SocketAddr,
    /// Streams (calls) to open.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=60_000))]
    pub calls: u32,
    /// Packets per second over all streams together; default: one packet per stream per ptime.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub rate: Option<u32>,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10.0, value_parser = parse_seconds)]
    pub duration: f64,
    /// Seconds of sending at the same rate before the measured window (left out of every figure).
    #[arg(long, default_value_t = 0.0, value_parser = parse_warmup)]
    pub warmup: f64,
    /// Packetization time: each packet carries 8 * PTIME samples (G.711, 8 kHz), 160 bytes at 20.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(10..=60))]
    pub ptime_ms: u32,
    /// No SIP: stream i sends to port LOW + i of --target (a plain RTP reflector); needs --ports.
    #[arg(long, requires = "ports", conflicts_with = "ng")]
    pub no_sip: bool,
    /// The reflector's ports with --no-sip: at least --calls of them.
    #[arg(long, value_parser = parse_port_range)]
    pub ports: Option<(u16, u16)>,
    /// rtpengine's ng control address (UDP): ports come from offer/answer there instead of
    /// SIP, and each stream is relayed from one leg to the other instead of echoed.
    #[arg(long)]
    pub ng: Option<SocketAddr>,
    /// Client sockets the streams are spread over (each server port still gets its own stream).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub sockets: u32,
    /// Milliseconds to keep receiving after the last packet is sent; later echoes count as lost.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(0..=60_000))]
    pub drain_ms: u32,
    /// A server process whose CPU time (utime + stime in /proc/PID/stat) over the sending
    /// window is reported per packet that came back.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// One JSON line on stdout instead of the human summary.
    #[arg(long)]
    pub json: bool,
}

impl RtpLoadArgs {
    /// Packets per second over all streams.
    pub fn total_rate(&self) -> u32 {
        self.rate.unwrap_or(self.calls * 1000 / self.ptime_ms).max(1)
    }
}

/// Positive seconds, fractions allowed, at most a day.
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!("`{s}` is not a number of seconds from 0 to 86400")),
    }
}

/// Zero or more seconds, at most an hour.
fn parse_warmup(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=3600.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a number of seconds from 0 to 3600")),
    }
}
