//! The flags of `callshard call`.

use std::net::SocketAddr;

use callshard::rtp::MediaAction;

use super::serve_args::parse_port_range;

/// Place one call: print each response as it arrives, hold the call, hang up. Exit code 0
/// when it was answered.
#[derive(clap::Args, Clone)]
pub struct CallArgs {
    /// Whom to call: sip:user@IP[:port] (no DNS).
    pub uri: String,
    /// Send the INVITE here instead of to the URI's host (an outbound proxy).
    #[arg(long)]
    pub via: Option<SocketAddr>,
    /// From URI; default sip:callshard@<our address>.
    #[arg(long)]
    pub from: Option<String>,
    /// Our address (port 0: any free port); default: the address that routes to the target.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Milliseconds to hold the call once answered before hanging up.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=86_400_000))]
    pub hold_ms: u64,
    /// Milliseconds to wait for an answer before cancelling.
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub answer_timeout_ms: u64,
    /// Once answered, ask the callee to call this URI instead (REFER, a blind transfer); we
    /// hang up when it reports the new call answered.
    #[arg(long)]
    pub transfer_to: Option<String>,
    /// What our media does: echo, tone, silence or none.
    #[arg(long, default_value = "none")]
    pub media: MediaAction,
    /// Our RTP ports.
    #[arg(long, default_value = "40000-40999", value_parser = parse_port_range)]
    pub rtp_ports: (u16, u16),
    /// User name for a digest challenge (401/407) to the INVITE.
    #[arg(long, requires = "password")]
    pub user: Option<String>,
    /// Password for a digest challenge.
    #[arg(long, requires = "user")]
    pub password: Option<String>,
    /// Use the poll backend instead of io_uring.
    #[arg(long)]
    pub poll: bool,
}
