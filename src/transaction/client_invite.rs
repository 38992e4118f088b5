//! The INVITE client transaction: RFC 3261 17.1.1 (figure 5) with RFC 6026's Accepted state.

use std::time::Duration;

use bytes::Bytes;

use super::config::{TimerKind, TxConfig};
use super::step::{Notice, Step};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Calling,
    Proceeding,
    /// A 2xx arrived; further 2xx (retransmissions, other forks) go to the TU (RFC 6026 8.4).
    Accepted,
    /// A 3xx-6xx arrived and was ACKed; its retransmissions are ACKed again until Timer D.
    Completed,
}

/// The machine; the table keeps the INVITE itself while [`ClientInvite::needs_request`].
#[derive(Debug)]
pub struct ClientInvite {
    pub state: State,
    timer_a: Duration,
    /// Completed: the ACK the table sent for the final non-2xx, repeated for its
    /// retransmissions (17.1.1.3). The table writes it in a buffer of its own.
    pub ack: Option<Bytes>,
}

impl ClientInvite {
    /// Sends the INVITE and starts Timers A and B.
    pub fn start(cfg: &TxConfig) -> (ClientInvite, Step) {
        let step = Step {
            send_request: true,
            arm: [(TimerKind::A, cfg.t1), (TimerKind::B, cfg.timeout())].into_iter().collect(),
            ..Step::none()
        };
        (ClientInvite { state: State::Calling, timer_a: cfg.t1, ack: None }, step)
    }

    /// The INVITE is sent again until a response (Timer A) and CANCEL copies it (9.1).
    /// Accepted needs nothing of it (a fork's 2xx makes its dialog from the response alone,
    /// [`crate::dialog::Dialog::uac`]), Completed only the ACK it already wrote.
    pub fn needs_request(&self) -> bool {
        matches!(self.state, State::Calling | State::Proceeding)
    }

    /// A response matched this transaction.
    pub fn on_response(&mut self, code: u16, cfg: &TxConfig) -> Step {
        let stop = [TimerKind::A, TimerKind::B].into_iter().collect();
        match (self.state, code) {
            (State::Calling | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                Step { cancel: stop, notify: Some(Notice::Response), ..Step::none() }
            }
            (State::Calling | State::Proceeding, 200..=299) => {
                self.state = State::Accepted;
                let arm = [(TimerKind::M, cfg.timeout())].into_iter().collect();
                Step { cancel: stop, arm, notify: Some(Notice::Response), ..Step::none() }
            }
            (State::Calling | State::Proceeding, _) => {
                self.state = State::Completed;
                let arm = [(TimerKind::D, cfg.timer_d())].into_iter().collect();
                Step { cancel: stop, arm, send_ack: true, notify: Some(Notice::Response), ..Step::none() }
            }
            (State::Accepted, 200..=299) => Step::notify(Notice::Response),
            (State::Completed, 300..) => self.ack.as_ref().map_or_else(Step::none, Step::send),
            _ => Step::none(),
        }
    }

    pub fn on_timer(&mut self, kind: TimerKind) -> Step {
        match (self.state, kind) {
            (State::Calling, TimerKind::A) => {
                // RFC 3261 17.1.1.2: A doubles each time, with no T2 cap.
                self.timer_a *= 2;
                let mut step = Step::send_request();
                step.arm.push((TimerKind::A, self.timer_a));
                step
            }
            (State::Calling, TimerKind::B) => Step::terminate(Some(Notice::Timeout)),
            (State::Completed, TimerKind::D) | (State::Accepted, TimerKind::M) => Step::terminate(None),
            _ => Step::none(),
        }
    }
}
