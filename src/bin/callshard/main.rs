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
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:5060")]
        listen: std::net::SocketAddr,
        /// Shards (one per core); default: every online core.
        #[arg(long, value_parser = serve::parse_shards)]
        shards: Option<usize>,
        /// RTP port range, split between shards.
        #[arg(long, default_value = "20000-39999", value_parser = serve::parse_port_range)]
        rtp_ports: (u16, u16),
        /// PATTERN=ACTION: Request-URI user (or * for any other) = answer | ring:MS | ringing |
        /// early:MS | reject:CODE. Built in: *=answer busy=reject:486 slow=ringing early=early:1000.
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
        Command::Serve { listen, shards, rtp_ports, routes, max_calls, stats_interval } => {
            serve::serve(serve::ServeArgs { listen, shards, rtp_ports, routes, max_calls, stats_interval })
        }
    }
}
