//! The non-INVITE client transaction: RFC 3261 17.1.2 (figure 6).

use std::time::Duration;

use super::config::{TimerKind, TxConfig};
use super::step::{Notice, Step};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Trying,
    Proceeding,
    Completed,
}

/// The machine; the table keeps the request itself while [`ClientNonInvite::needs_request`].
#[derive(Debug)]
pub struct ClientNonInvite {
    pub state: State,
    timer_e: Duration,
}

impl ClientNonInvite {
    /// Sends the request and starts Timers E and F.
    pub fn start(cfg: &TxConfig) -> (ClientNonInvite, Step) {
        let step = Step {
            send_request: true,
            arm: [(TimerKind::E, cfg.t1), (TimerKind::F, cfg.timeout())].into_iter().collect(),
            ..Step::none()
        };
        (ClientNonInvite { state: State::Trying, timer_e: cfg.t1 }, step)
    }

    /// Sent again on Timer E until a final response; Completed only absorbs retransmitted
    /// responses (17.1.2.2).
    pub fn needs_request(&self) -> bool {
        self.state != State::Completed
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
                let mut step = Step::send_request();
                step.arm.push((TimerKind::E, self.timer_e));
                step
            }
            (State::Trying | State::Proceeding, TimerKind::F) => Step::terminate(Some(Notice::Timeout)),
            (State::Completed, TimerKind::K) => Step::terminate(None),
            _ => Step::none(),
        }
    }
}
