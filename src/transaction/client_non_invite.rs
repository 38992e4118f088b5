//! The non-INVITE client transaction: RFC 3261 17.1.2 (figure 6).

use std::time::Duration;

use bytes::Bytes;

use super::config::{TimerKind, TxConfig};
use super::step::{Notice, Step};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Trying,
    Proceeding,
    Completed,
}

#[derive(Debug)]
pub struct ClientNonInvite {
    pub state: State,
    request: Bytes,
    timer_e: Duration,
}

impl ClientNonInvite {
    /// Sends the request and starts Timers E and F.
    pub fn start(request: Bytes, cfg: &TxConfig) -> (ClientNonInvite, Step) {
        let step = Step {
            send: Some(request.clone()),
            arm: [(TimerKind::E, cfg.t1), (TimerKind::F, cfg.timeout())].into_iter().collect(),
            ..Step::none()
        };
        (ClientNonInvite { state: State::Trying, request, timer_e: cfg.t1 }, step)
    }

    pub fn on_response(&mut self, code: u16, cfg: &TxConfig) -> Step {
        match (self.state, code) {
            (State::Trying | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                Step::notify(Notice::Response)
            }
            (State::Trying | State::Proceeding, _) => {
                self.state = State::Completed;
                Step {
                    cancel: [TimerKind::E, TimerKind::F].into_iter().collect(),
                    arm: [(TimerKind::K, cfg.t4)].into_iter().collect(),
                    notify: Some(Notice::Response),
                    ..Step::none()
                }
            }
            (State::Completed, _) => Step::none(),
        }
    }

    pub fn on_timer(&mut self, kind: TimerKind, cfg: &TxConfig) -> Step {
        match (self.state, kind) {
            (State::Trying | State::Proceeding, TimerKind::E) => {
                // RFC 3261 17.1.2.2: E doubles up to T2 while Trying, and stays at T2 once Proceeding.
                self.timer_e = match self.state {
                    State::Trying => (self.timer_e * 2).min(cfg.t2),
                    _ => cfg.t2,
                };
                let mut step = Step::send(&self.request);
                step.arm.push((TimerKind::E, self.timer_e));
                step
            }
            (State::Trying | State::Proceeding, TimerKind::F) => Step::terminate(Some(Notice::Timeout)),
            (State::Completed, TimerKind::K) => Step::terminate(None),
            _ => Step::none(),
        }
    }
}
