//! The `callshard` command line.

mod call;
mod call_args;
mod inspect;
mod load;
mod load_app;
mod load_args;
mod load_stats;
mod local_addr;
mod rtp_load;
mod rtp_load_args;
mod rtp_load_io;
mod rtp_load_ng;
mod rtp_load_run;
mod rtp_load_sip;
mod serve;
mod serve_args;
mod stream_args;

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
    Serve(serve_args::ServeArgs),
    Call(call_args::CallArgs),
    Load(load_args::LoadArgs),
    RtpLoad(rtp_load_args::RtpLoadArgs),
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
            // One line; a missing argument's name is on clap's second line.
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let first = lines.next().unwrap_or("bad arguments");
            match lines.next().filter(|_| first.ends_with(':')) {
                Some(what) => eprintln!("{first} {what}"),
                None => eprintln!("{first}"),
            }
            return ExitCode::from(2);
        }
        Err(e) => {
            print!("{e}");
            return ExitCode::SUCCESS;
        }
    };
    match cli.command {
        Command::Inspect { files } => inspect::run(&files),
        Command::Serve(args) => serve::serve(args),
        Command::Call(args) => call::call(args),
        Command::Load(args) => load::load(args),
        Command::RtpLoad(args) => rtp_load::rtp_load(args),
    }
}
