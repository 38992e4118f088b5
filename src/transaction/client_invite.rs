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

#[derive(Debug)]
pub struct ClientInvite {
    pub state: State,
    request: Bytes,
    timer_a: Duration,
}

impl ClientInvite {
    /// Sends the INVITE and starts Timers A and B.
    pub fn start(request: Bytes, cfg: &TxConfig) -> (ClientInvite, Step) {
        let step = Step {
            send: Some(request.clone()),
            arm: [(TimerKind::A, cfg.t1), (TimerKind::B, cfg.timeout())].into_iter().collect(),
            ..Step::none()
        };
        (ClientInvite { state: State::Calling, request, timer_a: cfg.t1 }, step)
    }

    /// A response matched this transaction. `ack` is the ACK already sent for a final
    /// non-2xx, to repeat for its retransmissions.
    pub fn on_response(&mut self, code: u16, ack: Option<&Bytes>, cfg: &TxConfig) -> Step {
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
            (State::Completed, 300..) => ack.map_or_else(Step::none, Step::send),
            _ => Step::none(),
        }
    }

    pub fn on_timer(&mut self, kind: TimerKind) -> Step {
        match (self.state, kind) {
            (State::Calling, TimerKind::A) => {
                // RFC 3261 17.1.1.2: A doubles each time, with no T2 cap.
                self.timer_a *= 2;
                let mut step = Step::send(&self.request);
                step.arm.push((TimerKind::A, self.timer_a));
                step
            }
            (State::Calling, TimerKind::B) => Step::terminate(Some(Notice::Timeout)),
            (State::Completed, TimerKind::D) | (State::Accepted, TimerKind::M) => Step::terminate(None),
            _ => Step::none(),
        }
    }
}
