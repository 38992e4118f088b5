//! `callshard call URI`: places one call from a one-shard runtime, prints each response and
//! media change as it comes, holds the call, hangs up, and says how it ended. Exit code 0
//! only when the call was answered.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callshard::app::{Application, Calls, Event, OutgoingCall};
use callshard::session::{CallId, EndReason};
use callshard::shard::{local_address_toward, IoChoice, Server};

use super::call_args::CallArgs;
use super::local_addr::running;

/// The application timers of the call.
const HANG_UP: u32 = 1;
const GIVE_UP: u32 = 2;

struct OneCall {
    args: CallArgs,
    started: Option<Instant>,
    answered: Arc<Mutex<Option<bool>>>,
}

impl OneCall {
    fn done(&mut self, calls: &mut Calls<'_>, answered: bool) {
        let mut slot = self.answered.lock().unwrap_or_else(|e| e.into_inner());
        *slot = Some(answered || slot.unwrap_or(false));
        calls.stop_server();
    }

    fn since_start(&self, calls: &Calls<'_>) -> u128 {
        self.started.map_or(0, |s| calls.now().saturating_duration_since(s).as_millis())
    }
}

impl Application for OneCall {
    fn on_incoming(&mut self, calls: &mut Calls<'_>, call: CallId) {
        let _ = calls.reject(call, 486); // a caller, not a callee
    }

    fn on_start(&mut self, calls: &mut Calls<'_>) {
        let mut out = OutgoingCall::new(self.args.uri.as_bytes()).media(self.args.media);
        if let Some(from) = &self.args.from {
            out = out.from(from.as_bytes());
        }
        if let Some(peer) = self.args.via {
            out = out.via(peer);
        }
        if let (Some(user), Some(password)) = (&self.args.user, &self.args.password) {
            out = out.credentials(user.as_bytes(), password.as_bytes());
        }
        self.started = Some(calls.now());
        match calls.call(&out) {
            Ok(call) => {
                println!("INVITE {} from {}", self.args.uri, calls.shard().listen[0]);
                let give_up = calls.now() + Duration::from_millis(self.args.answer_timeout_ms);
                calls.set_timer(call, give_up, GIVE_UP);
            }
            Err(e) => {
                eprintln!("error: cannot call {}: {e}", self.args.uri);
                self.done(calls, false);
            }
        }
    }

    fn on_event(&mut self, calls: &mut Calls<'_>, event: Event) {
        let ms = self.since_start(calls);
        match event {
            Event::Progress { status, early_dialogs, .. } => {
                println!("{status} after {ms} ms (early dialogs: {early_dialogs})");
            }
            Event::Answered { call } => {
                println!("200 answered after {ms} ms; holding {} ms", self.args.hold_ms);
                *self.answered.lock().unwrap_or_else(|e| e.into_inner()) = Some(true);
                calls.set_timer(call, calls.now() + Duration::from_millis(self.args.hold_ms), HANG_UP);
                if let Some(target) = &self.args.transfer_to {
                    match calls.transfer(call, target.as_bytes()) {
                        Ok(()) => println!("REFER to {target}"),
                        Err(e) => println!("cannot transfer: {e}"),
                    }
                }
            }
            Event::TransferProgress { call, status, done } => {
                println!("transfer: {status}{}", if done { " (final)" } else { "" });
                if done && (200..300).contains(&status) {
                    let _ = calls.hangup(call); // the peer is with the new party now
                }
            }
            Event::TransferRequested { call, target } => {
                println!("transfer to {target} requested: declined");
                let _ = calls.notify_transfer(call, 603);
            }
            Event::MediaChanged { media, .. } => {
                println!("media: payload type {} to {} ({:?})", media.payload_type, media.remote, media.direction);
            }
            Event::Digit { digit, duration_ms, .. } => println!("digit {digit} ({duration_ms} ms)"),
            Event::Timer { call, token: HANG_UP } => drop(calls.hangup(call)),
            Event::Timer { call, token: GIVE_UP } if self.answered.lock().map(|a| a.is_none()).unwrap_or(true) => {
                println!("no answer after {ms} ms: cancelling");
                let _ = calls.hangup(call);
            }
            Event::Timer { .. } => {}
            Event::Ended { reason, media, .. } => {
                let answered = !matches!(reason, EndReason::Rejected(_) | EndReason::Timeout | EndReason::Cancelled);
                match reason {
                    EndReason::Rejected(code) => println!("{code} final response after {ms} ms: call failed"),
                    other => println!("ended after {ms} ms: {other:?}"),
                }
                if let Some(m) = media {
                    println!(
                        "media: received {} packets ({} bytes), sent {}, lost {}, jitter {:.2} ms, MOS {}",
                        m.packets_received,
                        m.bytes_received,
                        m.packets_sent,
                        m.lost,
                        m.jitter_ms,
                        m.mos.map_or("-".into(), |v| format!("{v:.2}"))
                    );
                }
                self.done(calls, answered);
            }
            _ => {}
        }
    }
}

pub fn call(args: CallArgs) -> ExitCode {
    let target = match OutgoingCall::new(args.uri.as_bytes()).target() {
        Ok(t) => args.via.unwrap_or(t),
        Err(e) => {
            eprintln!("error: {}: {e}", args.uri);
            return ExitCode::from(2);
        }
    };
    let listen = args.listen.unwrap_or_else(|| SocketAddr::new(local_address_toward(target), 0));
    let answered = Arc::new(Mutex::new(None));
    let app = OneCall { args: args.clone(), started: None, answered: answered.clone() };
    let started = Server::builder()
        .listen(listen)
        .io(if args.poll { IoChoice::Poll } else { IoChoice::Auto })
        .rtp_ports(args.rtp_ports.0, args.rtp_ports.1)
        .drain(Duration::from_millis(500))
        .start_single(app);
    let server = match running(started) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Err(e) = server.join() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let answered = *answered.lock().unwrap_or_else(|e| e.into_inner());
    match answered {
        Some(true) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
