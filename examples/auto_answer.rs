//! An auto-answer responder: every call rings, is answered at once and hears a 440 Hz tone
//! until the caller hangs up. SIGINT or SIGTERM stops it cleanly (new calls get 503, the
//! others drain) and it prints the final statistics line.
//!
//! ```text
//! cargo run --example auto_answer -- --listen 127.0.0.1:5060 --shards 2
//! cargo run -- call sip:anyone@127.0.0.1:5060 --hold-ms 2000
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;

use callshard::{Application, CallId, Calls, MediaAction, Server};

/// Answer every SIP call with a tone.
#[derive(clap::Parser)]
struct Args {
    /// UDP address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:5060")]
    listen: SocketAddr,
    /// Shards (threads); default: the cores this process may run on.
    #[arg(long)]
    shards: Option<usize>,
}

/// One per shard, and stateless: what happens to a call is decided when it arrives, and
/// the runtime tears down whatever the caller ends.
struct AutoAnswer;

impl Application for AutoAnswer {
    fn on_incoming(&mut self, calls: &mut Calls<'_>, call: CallId) {
        // 180 first, as a phone would: some callers only play ringback or start timers on it.
        let answered = calls.ring(call).and_then(|_| calls.answer(call, MediaAction::Tone));
        if let Err(e) = answered {
            // The caller cancelled in the same batch of datagrams, say; nothing to undo.
            eprintln!("auto_answer: cannot answer {call:?}: {e}");
        }
    }
}

fn main() -> ExitCode {
    let args: Args = clap::Parser::parse();
    let mut builder = Server::builder().listen(args.listen);
    if let Some(n) = args.shards {
        builder = builder.shards(n);
    }
    let server = match builder.start(|_shard| AutoAnswer) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("auto_answer: cannot start on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    // The handler only sets the flag the shards poll (at least every 100 ms): nothing that
    // allocates or locks runs in signal context.
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, server.stop_flag()) {
            eprintln!("auto_answer: cannot handle signal {signal}: {e}");
            server.stop();
            let _ = server.join();
            return ExitCode::FAILURE;
        }
    }
    // The resolved address (port 0 becomes the kernel's choice), so a script can read it.
    let addrs: Vec<String> = server.local_addrs().iter().map(|a| a.to_string()).collect();
    println!("auto_answer: listening on {}", addrs.join(", "));
    match server.join() {
        Ok(totals) => {
            println!("final: {}", totals.line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("auto_answer: {e}");
            ExitCode::FAILURE
        }
    }
}
