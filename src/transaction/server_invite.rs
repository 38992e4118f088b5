//! The INVITE server transaction: RFC 3261 17.2.1 (figure 7) with RFC 6026's Accepted state.

use std::time::Duration;

use bytes::Bytes;

use super::config::{TimerKind, TxConfig};
use super::step::{Notice, Step, TxError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Proceeding,
    /// A 2xx was sent; the TU retransmits it until the ACK (RFC 6026 7.1).
    Accepted,
    /// A 3xx-6xx was sent; retransmitted on Timer G until the ACK.
    Completed,
    /// The ACK arrived; absorbing its retransmissions until Timer I.
    Confirmed,
}

#[derive(Debug)]
pub struct ServerInvite {
    pub state: State,
    last: Option<Bytes>,
    timer_g: Duration,
}

impl ServerInvite {
    /// A new transaction; the step arms the 100 Trying delay or asks for 100 at once.
    pub fn start(cfg: &TxConfig) -> (ServerInvite, Step) {
        let tx = ServerInvite { state: State::Proceeding, last: None, timer_g: cfg.t1 };
        let step = match cfg.trying_delay {
            Some(d) if d.is_zero() => Step { send_trying: true, ..Step::none() },
            Some(d) => Step { arm: [(TimerKind::Trying, d)].into_iter().collect(), ..Step::none() },
            None => Step::none(),
        };
        (tx, step)
    }

    /// The TU reads and answers the INVITE while Proceeding. Afterwards the transaction only
    /// matches retransmissions and ACKs by its key and repeats `last` (17.2.1, RFC 6026 7.1):
    /// the TU retransmits a 2xx itself, from the bytes it was given.
    pub fn needs_request(&self) -> bool {
        self.state == State::Proceeding
    }

    /// The INVITE arrived again.
    pub fn on_retransmission(&self) -> Step {
        match (self.state, &self.last) {
            (State::Proceeding | State::Completed, Some(last)) => Step::send(last),
            _ => Step::none(),
        }
    }

    /// An ACK with this transaction's key.
    pub fn on_ack(&mut self, cfg: &TxConfig) -> Step {
        match self.state {
            State::Completed => {
                self.state = State::Confirmed;
                Step {
                    cancel: [TimerKind::G, TimerKind::H].into_iter().collect(),
                    arm: [(TimerKind::I, cfg.t4)].into_iter().collect(),
                    ..Step::none()
                }
            }
            State::Accepted => Step::notify(Notice::Ack),
            State::Proceeding | State::Confirmed => Step::none(),
        }
    }

    /// The TU (or the Trying timer) sends a response. `data` may share a larger buffer: a
    /// final response kept as `last` is copied out at its own size (it may linger for 64*T1);
    /// a provisional one is kept as it is until [`ServerInvite::settle`].
    pub fn on_response(&mut self, code: u16, data: &Bytes, cfg: &TxConfig) -> Result<Step, TxError> {
        let mut step =
            Step { send: Some(data.clone()), cancel: [TimerKind::Trying].into_iter().collect(), ..Step::none() };
        match (self.state, code) {
            (State::Proceeding, 100..=199) => self.last = Some(data.clone()),
            (State::Proceeding, 200..=299) => {
                self.state = State::Accepted;
                self.last = None;
                step.arm.push((TimerKind::L, cfg.timeout()));
            }
            (State::Proceeding, _) => {
                self.state = State::Completed;
                self.last = Some(Bytes::copy_from_slice(data));
                step.arm.push((TimerKind::G, self.timer_g));
                step.arm.push((TimerKind::H, cfg.timeout()));
            }
            _ => return Err(TxError::AlreadyFinal),
        }
        Ok(step)
    }

    /// Still Proceeding after the turn that sent a provisional response: it will be kept a
    /// while, so it is copied out of the buffer it shares.
    pub fn settle(&mut self) {
        if let (State::Proceeding, Some(last)) = (self.state, self.last.as_mut()) {
            *last = Bytes::copy_from_slice(last);
        }
    }

    pub fn on_timer(&mut self, kind: TimerKind, cfg: &TxConfig) -> Step {
        match (self.state, kind) {
            (State::Proceeding, TimerKind::Trying) if self.last.is_none() => Step { send_trying: true, ..Step::none() },
            (State::Completed, TimerKind::G) => {
                // RFC 3261 17.2.1: G doubles up to T2.
                self.timer_g = (self.timer_g * 2).min(cfg.t2);
                let mut step = self.last.as_ref().map_or_else(Step::none, Step::send);
                step.arm.push((TimerKind::G, self.timer_g));
                step
            }
            (State::Completed, TimerKind::H) => Step::terminate(Some(Notice::AckTimeout)),
            (State::Confirmed, TimerKind::I) | (State::Accepted, TimerKind::L) => Step::terminate(None),
            _ => Step::none(),
        }
    }
}
