//! What a transaction state machine asks of the table after one input. The machines decide;
//! the table (which owns sockets' outputs, the timer wheel and the message buffers) acts.

use std::time::Duration;

use bytes::Bytes;
use smallvec::SmallVec;

use super::config::TimerKind;

/// Something the transaction user must hear about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Pass the response just received to the TU.
    Response,
    /// Timer B or F: no final response in time (RFC 3261 17.1.1.2, 17.1.2.2).
    Timeout,
    /// Timer H: no ACK for a non-2xx final response (17.2.1).
    AckTimeout,
    /// An ACK matched an INVITE transaction in the Accepted state: it is the TU's (RFC 6026).
    Ack,
}

/// The effects of one transition.
#[derive(Debug, Default)]
pub struct Step {
    /// Bytes to (re)transmit to the transaction's peer.
    pub send: Option<Bytes>,
    /// (Re)send the request the table keeps for the transaction (client).
    pub send_request: bool,
    /// Write and send `100 Trying` (server INVITE).
    pub send_trying: bool,
    /// Write, send and keep the ACK for the final response just received (client INVITE).
    pub send_ack: bool,
    /// Timers to stop, by name.
    pub cancel: SmallVec<[TimerKind; 3]>,
    /// Timers to start, with their delays.
    pub arm: SmallVec<[(TimerKind, Duration); 2]>,
    pub notify: Option<Notice>,
    /// The transaction is over: remove it.
    pub terminate: bool,
}

impl Step {
    pub fn none() -> Step {
        Step::default()
    }

    pub fn send(data: &Bytes) -> Step {
        Step { send: Some(data.clone()), ..Step::default() }
    }

    pub fn send_request() -> Step {
        Step { send_request: true, ..Step::default() }
    }

    pub fn terminate(notify: Option<Notice>) -> Step {
        Step { terminate: true, notify, ..Step::default() }
    }

    pub fn notify(notice: Notice) -> Step {
        Step { notify: Some(notice), ..Step::default() }
    }
}

/// A response or request the machine cannot take in its current state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("a final response was already sent")]
    AlreadyFinal,
    #[error("no such transaction")]
    Unknown,
    #[error("transaction table full")]
    Full,
    #[error("request cannot start a client transaction (no branch or CSeq)")]
    BadRequest,
    #[error("a client transaction with this branch already exists")]
    Duplicate,
}
