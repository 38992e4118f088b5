//! What `call` and `load` share as clients: a started runtime that SIGINT/SIGTERM drain.

use std::io;
use std::process::ExitCode;

use callshard::shard::Server;

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
