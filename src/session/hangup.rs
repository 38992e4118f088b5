//! Ending calls from our side: BYE for a confirmed call, CANCEL for one we placed that is
//! not answered yet, a final response for one we received (RFC 3261 15, 9.1).

use std::time::Instant;

use super::call::{CallState, Role};
use super::endpoint::Endpoint;
use super::events::{CallId, EndReason};
use super::uas::CallError;
use crate::timer::Handle;

impl Endpoint {
    /// Hangs up whatever the call's state: BYE, CANCEL or 603 Decline as fits.
    pub fn hangup(&mut self, call: CallId, now: Instant) -> Result<(), CallError> {
        let c = self.calls.get_mut(call.0).ok_or(CallError::UnknownCall)?;
        match (c.role, c.state) {
            (Role::Uas, CallState::Received | CallState::Early) => self.reject(call, 603, now),
            (Role::Uac, CallState::Calling | CallState::Early) => self.cancel(call, now),
            (Role::Uas, CallState::Answered) => {
                // RFC 3261 15: no BYE before the ACK for our 2xx arrives.
                c.bye_after_ack = true;
                Ok(())
            }
            _ => {
                self.hang_up_confirmed(call.0, EndReason::LocalHangup, now);
                Ok(())
            }
        }
    }

    /// Sends BYE and ends the call at once; the BYE's own transaction finishes on its own.
    pub(super) fn hang_up_confirmed(&mut self, h: Handle, reason: EndReason, now: Instant) {
        self.send_in_dialog(h, b"BYE", None, false, now);
        self.end_call(h, reason);
    }
}
