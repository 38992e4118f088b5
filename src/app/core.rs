//! The application runtime without sockets: one shard's endpoint, media plane and
//! application, joined. Datagrams and `now` go in, datagrams come out through a [`Wire`];
//! the shard runtime is this plus sockets, and tests and benches drive it on a virtual clock.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use super::wire::{CoreOutput, Wire};
use super::{Application, Calls, Event, ShardInfo};
use crate::rtp::{MediaAction, MediaPlane, PlaneOutput};
use crate::session::{CallEvent, CallId, Endpoint, Output};
use crate::timer::TimerWheel;

/// One shard's endpoint, media plane and application, driven by datagrams and `now`.
pub struct AppCore<A> {
    /// The SIP user agent: feed it SIP datagrams (`on_datagram_at`, `on_parsed`).
    pub ep: Endpoint,
    /// The media sessions: feed it datagrams of the calls' RTP and RTCP ports.
    pub plane: MediaPlane,
    /// The application.
    pub app: A,
    info: ShardInfo,
    wakes: TimerWheel<u64>,
    stop: Option<Arc<AtomicBool>>,
    outputs: Vec<Output>,
    woken: Vec<u64>,
    silent: Vec<u16>,
    digits: Vec<(u16, char, u32)>,
    /// Calls hung up because their media went silent.
    pub media_timeouts: u64,
    /// Key presses heard.
    pub digits_heard: u64,
}

impl<A: Application> AppCore<A> {
    /// `stop`: the flag [`Calls::stop_server`] sets (`None`: the command does nothing).
    pub fn new(
        (ep, plane): (Endpoint, MediaPlane),
        app: A,
        info: ShardInfo,
        stop: Option<Arc<AtomicBool>>,
        now: Instant,
    ) -> Self {
        let wakes = TimerWheel::new(now, Duration::from_millis(1), 1024);
        let (outputs, woken, silent, digits) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        AppCore {
            ep,
            plane,
            app,
            info,
            wakes,
            stop,
            outputs,
            woken,
            silent,
            digits,
            media_timeouts: 0,
            digits_heard: 0,
        }
    }

    /// The shard this core is.
    pub fn info(&self) -> &ShardInfo {
        &self.info
    }

    /// Runs `f` with the application and a [`Calls`] on this core.
    pub fn with_app<R>(&mut self, now: Instant, wire: &mut dyn Wire, f: impl FnOnce(&mut A, &mut Calls<'_>) -> R) -> R {
        let mut calls = Calls {
            ep: &mut self.ep,
            plane: &mut self.plane,
            wakes: &mut self.wakes,
            wire,
            info: &self.info,
            stop: self.stop.as_deref(),
            now,
        };
        f(&mut self.app, &mut calls)
    }

    /// Runs the endpoint's, the media's and the application's timers due at `now`.
    pub fn on_timer(&mut self, now: Instant, wire: &mut impl Wire) {
        self.ep.on_timer(now);
        self.plane.on_timer(now);
        let mut woken = std::mem::take(&mut self.woken);
        self.wakes.expire(now, |t| woken.push(t));
        for token in woken.drain(..) {
            self.with_app(now, wire, |app, calls| app.on_wake(calls, token));
            self.flush(now, wire);
        }
        self.woken = woken;
    }

    /// When [`AppCore::on_timer`] must next run.
    pub fn next_deadline(&self) -> Option<Instant> {
        let media = crate::timer::earliest(self.ep.next_deadline(), self.plane.next_deadline());
        crate::timer::earliest(media, self.wakes.next_deadline())
    }

    /// Sends what the endpoint and the media produced and lets the application react, until
    /// nothing is left.
    pub fn flush(&mut self, now: Instant, wire: &mut impl Wire) {
        loop {
            self.media_outputs(wire);
            for port in std::mem::take(&mut self.silent) {
                self.media_timeouts += 1;
                if let Some(owner) = self.plane.owner(port) {
                    let _ = self.ep.hangup(CallId::from_u64(owner), now);
                }
            }
            for (port, digit, duration_ms) in std::mem::take(&mut self.digits) {
                self.digits_heard += 1;
                let Some(call) = self.plane.owner(port).map(CallId::from_u64) else { continue };
                self.with_app(now, wire, |app, calls| app.on_event(calls, Event::Digit { call, digit, duration_ms }));
            }
            self.outputs.extend(self.ep.drain_outputs());
            if self.outputs.is_empty() && self.silent.is_empty() && self.digits.is_empty() {
                return;
            }
            let mut outputs = std::mem::take(&mut self.outputs);
            for o in outputs.drain(..) {
                match o {
                    Output::Transmit { to, local, data } => wire.send(CoreOutput::Sip { to, local, data }),
                    Output::Event(e) => self.dispatch(e, now, wire),
                }
            }
            self.outputs = outputs;
        }
    }

    fn media_outputs(&mut self, wire: &mut impl Wire) {
        for o in self.plane.drain() {
            match o {
                PlaneOutput::Send { port, rtcp, to, data } => wire.send(CoreOutput::Media { port, rtcp, to, data }),
                PlaneOutput::Timeout { port } => self.silent.push(port),
                PlaneOutput::Digit { port, digit, duration_ms } => self.digits.push((port, digit, duration_ms)),
            }
        }
    }

    /// The media follows a call event first (a port assigned, media started, stopped), then
    /// the application hears of it.
    fn dispatch(&mut self, e: CallEvent, now: Instant, wire: &mut impl Wire) {
        let event = match e {
            CallEvent::Incoming { call } => {
                if let Some(port) = self.ep.media_port(call) {
                    self.plane.assign(port.port, MediaAction::None, call.to_u64());
                }
                return self.with_app(now, wire, |app, calls| app.on_incoming(calls, call));
            }
            CallEvent::Progress { call, status, early_dialogs } => Event::Progress { call, status, early_dialogs },
            CallEvent::Established { call } => Event::Answered { call },
            CallEvent::MediaChanged { call, media } => {
                if let Some(port) = self.ep.media_port(call) {
                    self.plane.negotiated(port.port, &media, now);
                }
                Event::MediaChanged { call, media }
            }
            CallEvent::Ended { call, reason, rtp_port } => {
                Event::Ended { call, reason, media: self.plane.stop(rtp_port, now) }
            }
            CallEvent::Timer { call, token } => Event::Timer { call, token },
            CallEvent::TransferRequested { call, target } => Event::TransferRequested { call, target },
            CallEvent::TransferProgress { call, status, done } => Event::TransferProgress { call, status, done },
        };
        self.with_app(now, wire, |app, calls| app.on_event(calls, event));
    }

    /// Once at start: the application may place calls and set wake-ups.
    pub fn start(&mut self, now: Instant, wire: &mut impl Wire) {
        self.with_app(now, wire, |app, calls| app.on_start(calls));
        self.flush(now, wire);
    }

    /// The stop was asked for: new calls are refused, and the application hears of it.
    pub fn stopping(&mut self, now: Instant, wire: &mut impl Wire) {
        self.ep.set_draining(true);
        self.with_app(now, wire, |app, calls| app.on_stopping(calls));
        self.flush(now, wire);
    }

    /// Once at the end.
    pub fn finish(&mut self, now: Instant, wire: &mut impl Wire) {
        self.with_app(now, wire, |app, calls| app.on_stop(calls));
        self.flush(now, wire);
    }
}
