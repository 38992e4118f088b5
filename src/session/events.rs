//! What an endpoint tells its driver: datagrams to send and call events for the application.

use std::net::SocketAddr;

use bytes::Bytes;

use crate::transaction::Local;

use crate::sdp::Negotiated;
use crate::timer::Handle;

/// A call, as the application names it. Stale ids are refused, never misdirected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallId(pub(crate) Handle);

/// The number of [`CallId::to_u64`], for logs.
impl std::fmt::Display for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_u64())
    }
}

impl CallId {
    /// The id as a number (to keep in a table of one's own, or in the media plane).
    pub fn to_u64(self) -> u64 {
        self.0.to_u64()
    }

    /// An id from [`CallId::to_u64`]; a number that names no live call is refused by every
    /// command, never misdirected.
    pub fn from_u64(v: u64) -> CallId {
        CallId(Handle::from_u64(v))
    }
}

/// Why a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// We hung up (BYE sent, or an unanswered call we placed was cancelled by us).
    LocalHangup,
    /// The peer sent BYE.
    RemoteHangup,
    /// A final non-2xx response ended the call setup: the code we sent or received.
    Rejected(u16),
    /// The caller cancelled before the call was answered (RFC 3261 9).
    Cancelled,
    /// No final response to our INVITE (Timer B), or to our BYE or re-INVITE.
    Timeout,
    /// Our 2xx was never ACKed within 64*T1 (RFC 3261 13.3.1.4); we sent BYE.
    NoAck,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallEvent {
    /// A new INVITE; read it with `Endpoint::invite_of`, then ring, answer or reject.
    Incoming { call: CallId },
    /// A provisional response to a call we placed (180, 183, ...); `early_dialogs`: the
    /// early dialogs so far, one per To tag (more than one: the INVITE forked).
    Progress { call: CallId, status: u16, early_dialogs: usize },
    /// The call is established: the 2xx was ACKed (UAS) or received and ACKed (UAC).
    Established { call: CallId },
    /// An offer/answer exchange completed: where and how to send media now.
    MediaChanged { call: CallId, media: Negotiated },
    /// The call is over; its id is no longer valid. `rtp_port` is the port it held, free
    /// again: a runtime stops the call's media there.
    Ended { call: CallId, reason: EndReason, rtp_port: u16 },
    /// The peer asks us to call `target` instead (REFER, RFC 3515); we answered 202. Report
    /// the new call's progress with `Endpoint::notify_transfer`.
    TransferRequested { call: CallId, target: String },
    /// Progress of a transfer we asked for: the status of the peer's new call; `done` when
    /// the peer ended the report (a final status).
    TransferProgress { call: CallId, status: u16, done: bool },
    /// A timer the application set with `Endpoint::set_timer` fired.
    Timer { call: CallId, token: u32 },
}

/// One output, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Send `data` to `to` from socket `local` (an index into `EndpointConfig::locals`).
    Transmit {
        to: SocketAddr,
        local: Local,
        data: Bytes,
    },
    Event(CallEvent),
}
