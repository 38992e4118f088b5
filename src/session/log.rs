//! The lines a refused or failed call leaves in the log, at info. Only the `tracing` facade:
//! the core does no I/O, the process's subscriber (if any) writes. Each is called on a
//! refusal or failure branch only, so a successful call never reaches one, and with no
//! subscriber or a quieter level a line costs a cached callsite check.

use std::borrow::Cow;
use std::net::SocketAddr;

use super::call::{Call, Role};
use super::events::EndReason;
use crate::sip::Message;

fn text(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// A new INVITE answered with a final response before any call existed (a full table, SDP
/// it cannot take, ...): `reason` says why.
pub(super) fn refused(req: &Message, from: SocketAddr, code: u16, reason: &str) {
    tracing::info!(
        call_id = %text(req.call_id().unwrap_or_default()),
        peer = %from,
        "call refused: {code} {reason}"
    );
}

/// A call ended without being answered and not by a CANCEL, or lost its ACK.
pub(super) fn ended(call: &Call, reason: EndReason) {
    let why = match (reason, call.role) {
        (EndReason::Rejected(code), Role::Uas) => format!("rejected with {code} (the application's answer)"),
        (EndReason::Rejected(code), Role::Uac) => format!("refused by the peer with {code}"),
        (EndReason::Timeout, _) => "timed out: no final response to our request (Timer B/F)".to_string(),
        (EndReason::NoAck, _) => "no ACK for our 2xx within 64*T1 (RFC 3261 13.3.1.4): BYE sent".to_string(),
        _ => return,
    };
    let call_id = call.dialog.as_ref().map_or(Cow::Borrowed("-"), |d| text(d.call_id()));
    tracing::info!(call_id = %call_id, peer = %call.peer, "call failed: {why}");
}

/// A malformed request answered statelessly with `code` naming its defect.
pub(super) fn malformed(from: SocketAddr, code: u16, reason: &str) {
    tracing::info!(peer = %from, "malformed request answered: {code} {reason}");
}
