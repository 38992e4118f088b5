//! The non-INVITE server transaction: RFC 3261 17.2.2 (figure 8).

use bytes::Bytes;

use super::config::{TimerKind, TxConfig};
use super::step::{Step, TxError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Trying,
    Proceeding,
    Completed,
}

#[derive(Debug)]
pub struct ServerNonInvite {
    pub state: State,
    last: Option<Bytes>,
}

impl ServerNonInvite {
    pub fn start() -> ServerNonInvite {
        ServerNonInvite { state: State::Trying, last: None }
    }

    /// The TU answers the request until a final response; Completed answers retransmissions
    /// with `last` alone (17.2.2).
    pub fn needs_request(&self) -> bool {
        self.state != State::Completed
    }

    /// The request arrived again: silence in Trying, the last response otherwise.
    pub fn on_retransmission(&self) -> Step {
        self.last.as_ref().map_or_else(Step::none, Step::send)
    }

    /// `data` may share a larger buffer: a final response is copied out at its own size (it
    /// is kept until Timer J, 64*T1), a provisional one is kept as it is until
    /// [`ServerNonInvite::settle`].
    pub fn on_response(&mut self, code: u16, data: &Bytes, cfg: &TxConfig) -> Result<Step, TxError> {
        if self.state == State::Completed {
            return Err(TxError::AlreadyFinal);
        }
        let mut step = Step::send(data);
        if code < 200 {
            self.state = State::Proceeding;
            self.last = Some(data.clone());
        } else {
            self.state = State::Completed;
            self.last = Some(Bytes::copy_from_slice(data));
            step.arm.push((TimerKind::J, cfg.timeout()));
        }
        Ok(step)
    }

    /// Still Proceeding after the turn that sent a provisional response: copy it out of the
    /// buffer it shares.
    pub fn settle(&mut self) {
        if let (State::Proceeding, Some(last)) = (self.state, self.last.as_mut()) {
            *last = Bytes::copy_from_slice(last);
        }
    }

    pub fn on_timer(&mut self, kind: TimerKind) -> Step {
        match (self.state, kind) {
            (State::Completed, TimerKind::J) => Step::terminate(None),
            _ => Step::none(),
        }
    }
}
