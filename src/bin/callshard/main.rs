//! The `callshard` command line.

mod call;
mod call_args;
mod inspect;
mod load;
mod load_app;
mod load_args;
mod load_stats;
mod local_addr;
mod relay;
mod relay_args;
mod relay_wire;
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

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

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
    Relay(relay_args::RelayArgs),
    /// Parse SIP messages from files (or standard input) and show what the server would do
    /// with each: its key fields, or the error response it would send, or that it drops it.
    Inspect {
        /// Files holding one SIP message each; none reads standard input.
        files: Vec<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::command().try_get_matches().map(with_config) {
        Ok(Ok(matches)) => Cli::from_arg_matches(&matches),
        Ok(Err(line)) => {
            eprintln!("{line}");
            return ExitCode::from(2);
        }
        Err(e) => Err(e),
    };
    let cli = match cli {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            eprintln!("{}", one_line(&e));
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
        Command::Relay(args) => relay::relay(args),
    }
}

/// A clap error in one line; a missing argument's name is on clap's second line.
fn one_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("bad arguments");
    match lines.next().filter(|_| first.ends_with(':')) {
        Some(what) => format!("{first} {what}"),
        None => first.to_string(),
    }
}

/// `serve --config FILE`: the file's settings become flags wherever the command line gives
/// none, and the whole is parsed again, so they are checked like typed flags. `Err`: the
/// one-line error, naming the file.
fn with_config(matches: ArgMatches) -> Result<ArgMatches, String> {
    let Some(("serve", given)) = matches.subcommand() else { return Ok(matches) };
    let Some(path) = given.get_one::<std::path::PathBuf>("config") else { return Ok(matches) };
    let fail = |why: String| format!("error: --config {}: {why}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let cli = Cli::command();
    let serve = cli.find_subcommand("serve").ok_or_else(|| fail("no serve command".into()))?;
    let extra = callshard::ops::config::args_from_toml(&text, serve, given).map_err(fail)?;
    let argv = std::env::args_os().chain(extra.into_iter().map(Into::into));
    Cli::command().try_get_matches_from(argv).map_err(|e| fail(one_line(&e).trim_start_matches("error: ").to_string()))
}
