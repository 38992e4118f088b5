//! A back-to-back user agent: every incoming call (leg A) is carried on by a call this
//! program places to one fixed target (leg B), and once B answers, A is answered and the two
//! legs' media are bridged: each side hears the other through this process.
//!
//! - While B rings, A hears 180 Ringing.
//! - If B fails, A is refused with B's status, or 502 Bad Gateway when B gave none (a
//!   timeout) or redirected (this B2BUA follows no redirects).
//! - Whichever side hangs up (or cancels), the other is hung up (or cancelled).
//!
//! ```text
//! cargo run -- serve --listen 127.0.0.1:5080 --media echo
//! cargo run --example b2bua -- --listen 127.0.0.1:5060 --target sip:echo@127.0.0.1:5080
//! cargo run -- call sip:anyone@127.0.0.1:5060 --media tone --hold-ms 2000
//! ```
//!
//! Both legs live on one shard: B is placed from the shard that owns A, and the Call-IDs a
//! shard makes hash to itself, so B's events come back to the same application instance.
//! The pairing is therefore a plain per-shard map: no lock, no channel.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;

use callshard::sdp::Codec;
use callshard::{Application, CallId, Calls, EndReason, Event, MediaAction, OutgoingCall, Server};

/// Carry every incoming call on to one target and bridge the two.
#[derive(clap::Parser)]
struct Args {
    /// Where every call goes: sip:user@IP[:PORT] (no DNS).
    #[arg(long)]
    target: String,
    /// UDP address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:5060")]
    listen: SocketAddr,
    /// Shards (threads); default: the cores this process may run on.
    #[arg(long)]
    shards: Option<usize>,
}

/// One leg of a pair, filed under its own call id; `other` is the other leg's.
struct Leg {
    other: CallId,
    side: Side,
    /// The codec this leg agreed on, once it did: the bridge copies payload untouched, so
    /// a mismatch between the legs is worth a warning.
    codec: Option<Codec>,
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    /// The call that came in.
    A,
    /// The call placed for it. The pair's progress is kept here, where B's events arrive.
    B { rang: bool, answered: bool, bridged: bool },
}

/// One per shard: the legs of the calls this shard carries.
struct B2bua {
    target: String,
    legs: HashMap<CallId, Leg>,
}

impl B2bua {
    /// The pair a leg belongs to, as (A, B).
    fn pair(&self, call: CallId) -> Option<(CallId, CallId)> {
        let leg = self.legs.get(&call)?;
        Some(if leg.side == Side::A { (call, leg.other) } else { (leg.other, call) })
    }

    /// Joins the legs' media once both run. Neither does at B's `Answered`: B's media starts
    /// with the `MediaChanged` that follows it, and A's only after our answer has been
    /// processed, so this is tried at each media change and answer of either leg.
    fn try_bridge(&mut self, calls: &mut Calls<'_>, call: CallId) {
        let Some((a, b)) = self.pair(call) else { return };
        let codecs = (self.legs[&a].codec, self.legs[&b].codec);
        let Some(Leg { side: Side::B { answered: true, bridged, .. }, .. }) = self.legs.get_mut(&b) else { return };
        if !*bridged && calls.bridge(a, b) {
            *bridged = true;
            println!("b2bua: call {} <-> call {} bridged", a.to_u64(), b.to_u64());
            if let (Some(x), Some(y)) = codecs {
                if x != y {
                    eprintln!(
                        "b2bua: call {} speaks {x:?}, call {} {y:?}: the bridge does not transcode",
                        a.to_u64(),
                        b.to_u64()
                    );
                }
            }
        }
    }

    /// B answered: answer A and bridge (if A went meanwhile, hang B up).
    fn b_answered(&mut self, calls: &mut Calls<'_>, b: CallId) {
        let Some(leg) = self.legs.get_mut(&b) else { return };
        let Side::B { answered, .. } = &mut leg.side else { return };
        *answered = true;
        let a = leg.other;
        // No media action of A's own: the bridge gives it B's.
        if calls.answer(a, MediaAction::None).is_err() {
            let _ = calls.hangup(b);
        }
        self.try_bridge(calls, b);
    }

    /// One leg ended: end the other the way that fits its state.
    fn ended(&mut self, calls: &mut Calls<'_>, call: CallId, reason: EndReason) {
        let Some(leg) = self.legs.remove(&call) else { return };
        self.legs.remove(&leg.other);
        let result = match (leg.side, reason) {
            // B failed before answering: A gets B's refusal, or 502 when there was none.
            (Side::B { answered: false, .. }, EndReason::Rejected(code @ 400..=699)) => calls.reject(leg.other, code),
            (Side::B { answered: false, .. }, _) => calls.reject(leg.other, 502),
            // BYE to an answered leg, CANCEL to a ringing B, 603 to an unanswered A.
            _ => calls.hangup(leg.other),
        };
        let other = if result.is_ok() { "ended too" } else { "already gone" };
        println!("b2bua: call {} ended ({reason:?}); call {} {other}", call.to_u64(), leg.other.to_u64());
    }
}

impl Application for B2bua {
    fn on_incoming(&mut self, calls: &mut Calls<'_>, a: CallId) {
        // B goes out as the caller: a copy, since the INVITE is borrowed from `calls`.
        let from = calls.incoming(a).and_then(|c| c.from()).map(|f| f.uri.to_vec());
        // B is offered what A offered, so both legs agree on one codec and the bridge can
        // pass payload untouched (it does not transcode).
        let codecs = calls.incoming(a).map(|c| c.offered_codecs()).unwrap_or_default();
        let mut out = OutgoingCall::new(self.target.as_bytes());
        if let Some(from) = &from {
            out = out.from(from);
        }
        if !codecs.is_empty() {
            out = out.codecs(&codecs);
        }
        match calls.call(&out) {
            Ok(b) => {
                self.legs.insert(a, Leg { other: b, side: Side::A, codec: None });
                let side = Side::B { rang: false, answered: false, bridged: false };
                self.legs.insert(b, Leg { other: a, side, codec: None });
            }
            Err(e) => {
                eprintln!("b2bua: cannot call {}: {e}", self.target);
                let _ = calls.reject(a, 503);
            }
        }
    }

    fn on_event(&mut self, calls: &mut Calls<'_>, event: Event) {
        match event {
            Event::Progress { call, status: 180..=189, .. } => {
                if let Some(Leg { other: a, side: Side::B { rang: rang @ false, .. }, .. }) = self.legs.get_mut(&call) {
                    *rang = true;
                    let _ = calls.ring(*a);
                }
            }
            Event::Answered { call } => match self.legs.get(&call).map(|l| l.side) {
                Some(Side::B { answered: false, .. }) => self.b_answered(calls, call),
                Some(_) => self.try_bridge(calls, call),
                None => {}
            },
            Event::MediaChanged { call, media } => {
                if let Some(leg) = self.legs.get_mut(&call) {
                    leg.codec = Some(media.codec);
                    self.try_bridge(calls, call);
                }
            }
            Event::Ended { call, reason, .. } => self.ended(calls, call, reason),
            _ => {}
        }
    }
}

fn main() -> ExitCode {
    let args: Args = clap::Parser::parse();
    if let Err(e) = OutgoingCall::new(args.target.as_bytes()).target() {
        eprintln!("b2bua: --target {}: {e}", args.target);
        return ExitCode::from(2);
    }
    let mut builder = Server::builder().listen(args.listen);
    if let Some(n) = args.shards {
        builder = builder.shards(n);
    }
    let target = args.target.clone();
    let started = builder.start(move |_shard| B2bua { target: target.clone(), legs: HashMap::new() });
    let server = match started {
        Ok(server) => server,
        Err(e) => {
            eprintln!("b2bua: cannot start on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, server.stop_flag()) {
            eprintln!("b2bua: cannot handle signal {signal}: {e}");
            server.stop();
            let _ = server.join();
            return ExitCode::FAILURE;
        }
    }
    let addrs: Vec<String> = server.local_addrs().iter().map(|a| a.to_string()).collect();
    println!("b2bua: listening on {}, calling {}", addrs.join(", "), args.target);
    match server.join() {
        Ok(totals) => {
            println!("final: {}", totals.line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("b2bua: {e}");
            ExitCode::FAILURE
        }
    }
}
