//! The serve policy: what `callshard serve` does with each call, from its route table. It is
//! the application on top of an [`Endpoint`], reacting to call events with commands.

use std::time::{Duration, Instant};

use ahash::AHashMap;
use hdrhistogram::Histogram;

use super::route::{Action, Routes};
use crate::rtp::MediaAction;
use crate::session::{CallEvent, CallId, Endpoint};
use crate::sip::SipUri;

/// The application timer that answers a ringing call.
const TOKEN_ANSWER: u32 = 1;

/// Route-driven answering, with the INVITE-to-final-response latency of every call.
pub struct Policy {
    routes: Routes,
    /// The media action of a route that names none (`--media`).
    pub media: MediaAction,
    /// When each unanswered call arrived.
    arrived: AHashMap<CallId, Instant>,
    /// Microseconds from the INVITE to our final response.
    pub latency_us: Histogram<u64>,
    /// Commands the endpoint refused (a call that ended meanwhile, say).
    pub refused: u64,
}

impl Policy {
    pub fn new(routes: Routes) -> Policy {
        // Constant bounds (1 us to 1 h, 3 significant digits) that hdrhistogram accepts.
        let latency_us = Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid constant bounds");
        Policy { routes, media: MediaAction::None, arrived: AHashMap::new(), latency_us, refused: 0 }
    }

    /// Reacts to one event of the endpoint; for a new call, says what its media should do.
    pub fn on_event(&mut self, ep: &mut Endpoint, event: &CallEvent, now: Instant) -> Option<MediaAction> {
        match *event {
            CallEvent::Incoming { call } => return Some(self.on_incoming(ep, call, now)),
            CallEvent::Timer { call, token: TOKEN_ANSWER } => {
                let ok = ep.answer(call, now).is_ok();
                self.finished(call, ok);
            }
            CallEvent::Ended { call, .. } => {
                self.arrived.remove(&call);
            }
            _ => {}
        }
        None
    }

    fn on_incoming(&mut self, ep: &mut Endpoint, call: CallId, now: Instant) -> MediaAction {
        let route = {
            let uri = ep.invite_of(call).and_then(|m| SipUri::parse(m.request_uri()).ok());
            self.routes.route_for(uri.and_then(|u| u.user))
        };
        let media = route.media.unwrap_or(self.media);
        self.arrived.insert(call, now);
        let ok = match route.action {
            Action::Answer => {
                let ok = ep.ring(call, now).is_ok() && ep.answer(call, now).is_ok();
                self.finished(call, ok);
                return media;
            }
            Action::Ok => {
                let ok = ep.answer(call, now).is_ok();
                self.finished(call, ok);
                return media;
            }
            Action::Reject(code) => {
                let ok = ep.reject(call, code, now).is_ok();
                self.finished(call, ok);
                return media;
            }
            Action::Ringing => ep.ring(call, now).is_ok(),
            Action::Ring(ms) => ep.ring(call, now).is_ok() && ep.set_timer(call, now + millis(ms), TOKEN_ANSWER),
            Action::Early(ms) => {
                // Early media needs the caller's offer; without one, plain ringing.
                let early = ep.early_media(call, now).is_ok() || ep.ring(call, now).is_ok();
                early && ep.set_timer(call, now + millis(ms), TOKEN_ANSWER)
            }
        };
        if !ok {
            self.refused += 1;
        }
        media
    }

    /// Records the latency of a call's final response.
    fn finished(&mut self, call: CallId, ok: bool) {
        if !ok {
            self.refused += 1;
        }
        if let Some(start) = self.arrived.remove(&call) {
            // The clock now, not the batch's `now`: the delay includes the datagrams handled before.
            let us = Instant::now().saturating_duration_since(start).as_micros() as u64;
            let _ = self.latency_us.record(us.max(1));
        }
    }
}

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}
