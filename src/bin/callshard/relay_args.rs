//! The flags of `callshard relay`: the two addresses it joins, the shares of datagrams it
//! drops, duplicates and reorders each way, and the bound that stops it.

use std::net::SocketAddr;

/// Forward UDP between a client and a server, dropping, duplicating and reordering a share
/// of the datagrams each way: a userspace stand-in for netem, for loss tests on loopback.
///
/// The client sends to --listen; the relay sends that on to --target from --bind, and what
/// comes back to --bind goes to the client last heard on --listen. Prints its counters each
/// way when it stops (after --duration, --datagrams, or on SIGINT/SIGTERM).
#[derive(clap::Args)]
pub struct RelayArgs {
    /// Where the client sends (the address it takes for the server's).
    #[arg(long)]
    pub listen: SocketAddr,
    /// The server.
    #[arg(long)]
    pub target: SocketAddr,
    /// The relay's address toward the server: what the server sees as the client. Default:
    /// a free port on 127.0.0.1 (or ::1). See README (Testing under loss) for SIP clients.
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    /// Percent of datagrams dropped: one value for both ways, or TO_SERVER/TO_CLIENT (5/2).
    #[arg(long, default_value = "0", value_parser = parse_shares)]
    pub drop: Shares,
    /// Percent of the datagrams kept that are sent twice, back to back.
    #[arg(long, default_value = "0", value_parser = parse_shares)]
    pub duplicate: Shares,
    /// Percent of the datagrams kept that are held back and sent after the next one of the
    /// same direction (or after --hold-ms when none comes).
    #[arg(long, default_value = "0", value_parser = parse_shares)]
    pub reorder: Shares,
    /// Longest time a held datagram waits for one to overtake it (milliseconds).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub hold_ms: u64,
    /// Seed of the choices: the same seed and the same arrivals give the same choices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 600.0, value_parser = super::rtp_load_args::parse_seconds)]
    pub duration: f64,
    /// Stop after this many datagrams received, both ways together.
    #[arg(long)]
    pub datagrams: Option<u64>,
}

/// Percentages toward the server and toward the client.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shares {
    pub to_server: f64,
    pub to_client: f64,
}

/// `P` (both ways) or `P/Q` (toward the server / toward the client), each 0 to 100.
fn parse_shares(s: &str) -> Result<Shares, String> {
    let percent = |v: &str| match v.trim().parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{v}` is not a percentage from 0 to 100")),
    };
    match s.split_once('/') {
        Some((up, down)) => Ok(Shares { to_server: percent(up)?, to_client: percent(down)? }),
        None => percent(s).map(|p| Shares { to_server: p, to_client: p }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_one_or_two_ways() {
        assert_eq!(parse_shares("5"), Ok(Shares { to_server: 5.0, to_client: 5.0 }));
        assert_eq!(parse_shares("5/0.5"), Ok(Shares { to_server: 5.0, to_client: 0.5 }));
        assert!(parse_shares("101").is_err());
        assert!(parse_shares("-1/2").is_err());
        assert!(parse_shares("x").is_err());
    }
}
