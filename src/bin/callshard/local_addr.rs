//! What `call` and `load` share as clients: the address a peer can reach us on, and a
//! started runtime that SIGINT/SIGTERM drain.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::process::ExitCode;

use callshard::shard::Server;

/// The kernel's route toward `target`, found by connecting a UDP socket (nothing is sent):
/// our Via and Contact must name it, never 0.0.0.0.
pub fn local_toward(target: SocketAddr) -> IpAddr {
    let any: SocketAddr = match target {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    UdpSocket::bind(any).and_then(|s| s.connect(target).and_then(|_| s.local_addr())).map_or(any.ip(), |a| a.ip())
}

/// The started server with SIGINT and SIGTERM draining it, or the exit code after saying why
/// it could not start.
pub fn running(started: io::Result<Server>) -> Result<Server, ExitCode> {
    let server = started.map_err(|e| {
        eprintln!("error: cannot start: {e}");
        ExitCode::FAILURE
    })?;
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register(signal, server.stop_flag());
    }
    Ok(server)
}
