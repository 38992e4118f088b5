//! The embedding API: an [`Application`] decides what happens to calls, and the runtime
//! (the shards of [`crate::shard::Server`], or [`AppCore`] without sockets) does the SIP and
//! the media.
//!
//! Each shard makes its own application with the factory given to
//! [`crate::shard::ServerBuilder::start`], on the shard's own thread, and calls it only from
//! there: a call's state needs no `Send`, no lock and no channel. Every call, incoming or
//! placed, lives on one shard (the one its Call-ID hashes to), so an application sees all of
//! a call's events in one place and can bridge two calls it holds.
//!
//! Whole programs are in `examples/`: `auto_answer` (a tone responder with a command line),
//! `b2bua` (two legs bridged on one shard) and `click_to_call` (placing calls from
//! [`Application::on_start`], stopping with [`Calls::stop_server`]).
//!
//! ```no_run
//! use callshard::app::{Application, Calls, Event};
//! use callshard::rtp::MediaAction;
//! use callshard::session::CallId;
//! use callshard::shard::Server;
//!
//! /// Answers every call with a tone; turns away calls to `busy`.
//! struct ToneResponder;
//!
//! impl Application for ToneResponder {
//!     fn on_incoming(&mut self, calls: &mut Calls<'_>, call: CallId) {
//!         let busy = calls.incoming(call).is_some_and(|c| c.user() == Some(&b"busy"[..]));
//!         let _ = match busy {
//!             true => calls.reject(call, 486),
//!             false => calls.ring(call).and_then(|_| calls.answer(call, MediaAction::Tone)),
//!         };
//!     }
//!     fn on_event(&mut self, _calls: &mut Calls<'_>, event: Event) {
//!         if let Event::Ended { call, reason, media } = event {
//!             println!("{call:?} ended: {reason:?}, {media:?}");
//!         }
//!     }
//! }
//!
//! let server = Server::builder().listen("127.0.0.1:5060".parse::<std::net::SocketAddr>().unwrap()).start(|_shard| ToneResponder)?;
//! server.stop();
//! let totals = server.join()?;
//! println!("{}", totals.line());
//! # Ok::<(), std::io::Error>(())
//! ```

#![warn(missing_docs)]

mod calls;
mod core;
mod incoming;
mod outgoing;
mod wire;

use std::net::SocketAddr;

pub use self::core::{AppCore, CoreOutput, Wire};
pub use calls::Calls;
pub use incoming::IncomingCall;
pub use outgoing::OutgoingCall;

use crate::rtp::MediaStats;
use crate::sdp::Negotiated;
use crate::session::{CallId, EndReason};

/// Which shard an application instance runs on.
#[derive(Clone, Debug)]
pub struct ShardInfo {
    /// This shard, `0..count`.
    pub index: usize,
    /// How many shards there are.
    pub count: usize,
    /// The addresses the server listens on (ports resolved when 0 was asked for).
    pub listen: Vec<SocketAddr>,
}

/// What happens to a call after it arrived or was placed. Commands answering an event go
/// through the [`Calls`] given with it. Every variant names its call. More kinds may come:
/// a `match` needs a `_` arm.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A provisional response to a call we placed (180, 183, ...). More than one early
    /// dialog means the INVITE forked (RFC 3261 12.1.2); the first 2xx wins and a later one
    /// from another fork is ACKed and hung up at once (13.2.2.4).
    Progress {
        /// The call.
        call: CallId,
        /// The response's status code.
        status: u16,
        /// Early dialogs so far, one per distinct To tag.
        early_dialogs: usize,
    },
    /// The call is established (UAS: our 2xx was ACKed; UAC: the 2xx arrived and was ACKed).
    Answered {
        /// The call.
        call: CallId,
    },
    /// An offer/answer exchange completed: the codec, the peer's address, hold or resume.
    MediaChanged {
        /// The call.
        call: CallId,
        /// What was agreed.
        media: Negotiated,
    },
    /// The peer pressed a key (RFC 4733 telephone-event), reported once per press.
    Digit {
        /// The call.
        call: CallId,
        /// `0`-`9`, `*`, `#`, `A`-`D`.
        digit: char,
        /// How long the key was held.
        duration_ms: u32,
    },
    /// The peer asks us to call `target` instead (REFER, RFC 3515; answered 202 already).
    /// Place the call if you agree, report its progress with [`Calls::notify_transfer`],
    /// and usually hang this call up once the new one is answered.
    TransferRequested {
        /// The call.
        call: CallId,
        /// The URI of the `Refer-To` header.
        target: String,
    },
    /// Progress of a transfer we asked for with [`Calls::transfer`]: the status line the
    /// peer reports of its new call.
    TransferProgress {
        /// The call.
        call: CallId,
        /// The new call's status (100, 180, 200, 486, ...).
        status: u16,
        /// The peer ended its reports (a final status): hang up after a 2xx.
        done: bool,
    },
    /// A timer set with [`Calls::set_timer`] fired.
    Timer {
        /// The call.
        call: CallId,
        /// The token given to [`Calls::set_timer`].
        token: u32,
    },
    /// The call is over; its id is no longer valid.
    Ended {
        /// The call.
        call: CallId,
        /// Who or what ended it.
        reason: EndReason,
        /// The call's media figures, when its media ran (packets, loss, jitter, round-trip
        /// time, MOS estimate).
        media: Option<MediaStats>,
    },
}

/// An application embedded in callshard: one instance per shard, called on that shard only.
pub trait Application: 'static {
    /// A new INVITE. Read it with [`Calls::incoming`], then ring, answer, reject or redirect
    /// now, or later (from a timer or another call's event). A call left without an answer
    /// is still ended by the caller's CANCEL or the transaction timers.
    fn on_incoming(&mut self, calls: &mut Calls<'_>, call: CallId);

    /// Everything else that happens to calls: progress, answer, media, digits, timers, end.
    fn on_event(&mut self, calls: &mut Calls<'_>, event: Event) {
        let _ = (calls, event);
    }

    /// Once, when the shard starts, before anything arrives: place calls, set wake-ups.
    fn on_start(&mut self, calls: &mut Calls<'_>) {
        let _ = calls;
    }

    /// A wake-up set with [`Calls::wake_at`] is due.
    fn on_wake(&mut self, calls: &mut Calls<'_>, token: u64) {
        let _ = (calls, token);
    }

    /// Once, when a stop is asked for ([`crate::shard::Server::stop`], SIGTERM,
    /// [`Calls::stop_server`]): new INVITEs get 503 from now on and the shard exits once
    /// its calls are gone or the drain time is over; hang up the calls you hold.
    fn on_stopping(&mut self, calls: &mut Calls<'_>) {
        let _ = calls;
    }

    /// Once, when the shard stops (after the drain): publish final figures.
    fn on_stop(&mut self, calls: &mut Calls<'_>) {
        let _ = calls;
    }

    /// Adds the application's own figures to the shard's statistics snapshot (up to ten
    /// times a second, and at the end). `stats` is usually the snapshot this shard published
    /// last, written over: a figure left alone keeps its old value.
    fn report(&self, stats: &mut crate::shard::ShardStats) {
        let _ = stats;
    }
}
