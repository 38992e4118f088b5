//! The `callshard` command line.

mod inspect;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "callshard", version, about = "SIP signalling and RTP media core on thread-per-core shards")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer SIP calls on UDP with thread-per-core shards, by a route table.
    Serve {
        /// Address and port to listen on (UDP); repeat for several (IPv4 and IPv6).
        #[arg(long, default_value = "127.0.0.1:5060")]
        listen: Vec<std::net::SocketAddr>,
        /// I/O backend: uring (io_uring, one ring per shard), poll (recvmmsg + ppoll), or auto
        /// (io_uring where the kernel allows it, else poll).
        #[arg(long, default_value = "auto", value_parser = serve::parse_io)]
        io: callshard::shard::IoChoice,
        /// Receive buffers in each shard's io_uring buffer ring (a power of two, 2-32768).
        #[arg(long, default_value_t = 1024, value_parser = serve::parse_ring_buffers)]
        ring_buffers: u16,
        /// Largest SIP datagram accepted, in bytes; larger ones are dropped and counted.
        #[arg(long, default_value_t = 65_535, value_parser = clap::value_parser!(u32).range(512..=65_535))]
        max_message: u32,
        /// Shards (one per core); default: every online core.
        #[arg(long, value_parser = serve::parse_shards)]
        shards: Option<usize>,
        /// RTP port range, split between shards.
        #[arg(long, default_value = "20000-39999", value_parser = serve::parse_port_range)]
        rtp_ports: (u16, u16),
        /// PATTERN=ACTION: Request-URI user (or * for any other) = answer (180, 200) | ok (200
        /// only) | ring:MS | ringing | early:MS | reject:CODE. Built in: *=answer busy=reject:486 slow=ringing early=early:1000.
        #[arg(long = "route")]
        routes: Vec<String>,
        /// Calls alive at once; beyond it new INVITEs get 503 with Retry-After.
        #[arg(long, default_value_t = 100_000)]
        max_calls: usize,
        /// Seconds between live statistics lines on stderr; 0 turns them off.
        #[arg(long, default_value_t = 1)]
        stats_interval: u64,
    },
    /// Parse SIP messages from files (or standard input) and show what the server would do
    /// with each: its key fields, or the error response it would send, or that it drops it.
    Inspect {
        /// Files holding one SIP message each; none reads standard input.
        files: Vec<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            let text = e.to_string();
            eprintln!("{}", text.lines().next().unwrap_or("bad arguments"));
            return ExitCode::from(2);
        }
        Err(e) => {
            print!("{e}");
            return ExitCode::SUCCESS;
        }
    };
    match cli.command {
        Command::Inspect { files } => inspect::run(&files),
        Command::Serve {
            listen,
            io,
            ring_buffers,
            max_message,
            shards,
            rtp_ports,
            routes,
            max_calls,
            stats_interval,
        } => serve::serve(serve::ServeArgs {
            listen,
            io,
            ring_buffers,
            max_message: max_message as usize,
            shards,
            rtp_ports,
            routes,
            max_calls,
            stats_interval,
        }),
    }
}
