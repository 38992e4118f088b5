//! Click-to-call: connects two parties. It calls A; when A answers, it calls B; when B
//! answers, it bridges the two calls' media so each hears the other, holds them together for
//! `--hold-ms`, hangs both up and exits: 0 when both answered, 1 otherwise.
//!
//! ```text
//! cargo run -- serve --listen 127.0.0.1:5070 --media tone
//! cargo run -- serve --listen 127.0.0.1:5080 --media none
//! cargo run --example click_to_call -- --a sip:alice@127.0.0.1:5070 --b sip:bob@127.0.0.1:5080
//! ```
//!
//! A program that places calls rather than answers them: its work starts in `on_start`, and
//! it ends itself with `stop_server` once both calls are over. One shard is enough (and
//! keeps `on_start` from running once per shard).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use callshard::shard::local_address_toward;
use callshard::{Application, CallId, Calls, Event, OutgoingCall, Server};

/// Call A, then B, and connect them.
#[derive(clap::Parser, Clone)]
struct Args {
    /// The first party, called first: sip:user@IP[:PORT] (no DNS).
    #[arg(long)]
    a: String,
    /// The second party, called once A answers.
    #[arg(long)]
    b: String,
    /// Milliseconds the two stay connected before both are hung up.
    #[arg(long, default_value_t = 5000)]
    hold_ms: u64,
    /// Milliseconds each party has to answer before its call is cancelled.
    #[arg(long, default_value_t = 30_000)]
    answer_timeout_ms: u64,
    /// Our UDP address; default: the address that routes toward A, any free port.
    #[arg(long)]
    listen: Option<SocketAddr>,
}

const NAMES: [&str; 2] = ["A", "B"];

/// The application timers, per call.
const GIVE_UP: u32 = 1;
const HANG_UP: u32 = 2;

struct ClickToCall {
    args: Args,
    a: Option<CallId>,
    b: Option<CallId>,
    /// Calls placed and not yet ended: at zero the program is done.
    live: usize,
    /// Which of A and B answered.
    answered: [bool; 2],
    bridged: bool,
    /// Parties that answered, read by `main` after the server stops.
    answered_count: Arc<AtomicUsize>,
}

impl ClickToCall {
    /// Places a call to `uri` with a deadline for its answer; `None` if it could not go out.
    fn place(&mut self, calls: &mut Calls<'_>, uri: &str) -> Option<CallId> {
        match calls.call(&OutgoingCall::new(uri.as_bytes())) {
            Ok(call) => {
                println!("click_to_call: calling {uri}");
                self.live += 1;
                calls.set_timer(call, calls.now() + Duration::from_millis(self.args.answer_timeout_ms), GIVE_UP);
                Some(call)
            }
            Err(e) => {
                eprintln!("click_to_call: cannot call {uri}: {e}");
                None
            }
        }
    }

    /// Bridges once both calls' media run: B's starts with the `MediaChanged` that follows
    /// its `Answered`, so this is tried at both.
    fn try_bridge(&mut self, calls: &mut Calls<'_>) {
        if let (Some(a), Some(b), false) = (self.a, self.b, self.bridged) {
            if calls.bridge(a, b) {
                self.bridged = true;
                println!("click_to_call: connected; holding {} ms", self.args.hold_ms);
                calls.set_timer(b, calls.now() + Duration::from_millis(self.args.hold_ms), HANG_UP);
            }
        }
    }

    /// 0 for A, 1 for B.
    fn party(&self, call: CallId) -> usize {
        usize::from(Some(call) != self.a)
    }

    fn hang_up_all(&mut self, calls: &mut Calls<'_>) {
        for call in [self.a, self.b].into_iter().flatten() {
            let _ = calls.hangup(call); // one that already ended is refused: nothing to do
        }
    }
}

impl Application for ClickToCall {
    fn on_incoming(&mut self, calls: &mut Calls<'_>, call: CallId) {
        let _ = calls.reject(call, 486); // this program calls; it takes no calls
    }

    fn on_start(&mut self, calls: &mut Calls<'_>) {
        let uri = self.args.a.clone();
        self.a = self.place(calls, &uri);
        if self.a.is_none() {
            calls.stop_server();
        }
    }

    /// SIGINT/SIGTERM (or our own stop): the calls we placed would not end by themselves
    /// within the drain, so hang them up.
    fn on_stopping(&mut self, calls: &mut Calls<'_>) {
        if self.live > 0 {
            println!("click_to_call: stopping: hanging up");
            self.hang_up_all(calls);
        }
    }

    fn on_event(&mut self, calls: &mut Calls<'_>, event: Event) {
        match event {
            Event::Progress { call, status, .. } => {
                println!("click_to_call: {}: {status}", NAMES[self.party(call)]);
            }
            Event::Answered { call } => {
                self.answered[self.party(call)] = true;
                self.answered_count.fetch_add(1, Ordering::Relaxed);
                if Some(call) == self.a {
                    println!("click_to_call: A answered");
                    let uri = self.args.b.clone();
                    self.b = self.place(calls, &uri);
                    if self.b.is_none() {
                        self.hang_up_all(calls);
                    }
                } else {
                    println!("click_to_call: B answered");
                    self.try_bridge(calls);
                }
            }
            Event::MediaChanged { .. } => self.try_bridge(calls),
            Event::Timer { call, token: GIVE_UP } if !self.answered[self.party(call)] => {
                println!("click_to_call: {}: no answer in time: cancelling", NAMES[self.party(call)]);
                let _ = calls.hangup(call);
            }
            Event::Timer { token: HANG_UP, .. } => self.hang_up_all(calls),
            Event::Ended { call, reason, media } => {
                let who = NAMES[self.party(call)];
                println!("click_to_call: {who} ended: {reason:?}");
                if let Some(m) = media {
                    println!(
                        "click_to_call: {who} media: received {} packets, sent {}",
                        m.packets_received, m.packets_sent
                    );
                }
                // Either party leaving ends the other: a one-sided call is no use.
                self.hang_up_all(calls);
                self.live -= 1;
                if self.live == 0 {
                    calls.stop_server();
                }
            }
            _ => {}
        }
    }
}

fn main() -> ExitCode {
    let args: Args = clap::Parser::parse();
    let mut targets = Vec::new();
    for uri in [&args.a, &args.b] {
        match OutgoingCall::new(uri.as_bytes()).target() {
            Ok(t) => targets.push(t),
            Err(e) => {
                eprintln!("click_to_call: {uri}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let listen = args.listen.unwrap_or_else(|| SocketAddr::new(local_address_toward(targets[0]), 0));
    let answered = Arc::new(AtomicUsize::new(0));
    let app = ClickToCall {
        args,
        a: None,
        b: None,
        live: 0,
        answered: [false; 2],
        bridged: false,
        answered_count: answered.clone(),
    };
    // One shard, this one instance (moved to the shard's thread).
    let started = Server::builder().listen(listen).drain(Duration::from_secs(1)).start_single(app);
    let server = match started {
        Ok(server) => server,
        Err(e) => {
            eprintln!("click_to_call: cannot start on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, server.stop_flag()) {
            eprintln!("click_to_call: cannot handle signal {signal}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = server.join() {
        eprintln!("click_to_call: {e}");
        return ExitCode::FAILURE;
    }
    match answered.load(Ordering::Relaxed) {
        2 => ExitCode::SUCCESS,
        n => {
            eprintln!("click_to_call: {n} of 2 parties answered");
            ExitCode::FAILURE
        }
    }
}
