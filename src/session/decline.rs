//! Answering a call with a final non-2xx: a rejection (4xx-6xx), or a redirect naming where
//! to call instead (3xx, RFC 3261 21.3). Either ends the call at once.

use std::time::Instant;

use super::call::CallState;
use super::config::ALLOW;
use super::endpoint::Endpoint;
use super::events::{CallId, EndReason};
use super::respond::Reply;
use super::uas::CallError;

impl Endpoint {
    /// Rejects a call not yet answered with a 3xx-6xx final response.
    pub fn reject(&mut self, call: CallId, code: u16, now: Instant) -> Result<(), CallError> {
        let c = self.calls.get(call.0).ok_or(CallError::UnknownCall)?;
        let (CallState::Received | CallState::Early, Some(tx), 300..=699) = (c.state, c.invite_tx, code) else {
            return Err(CallError::WrongState);
        };
        let headers: &[(&[u8], &[u8])] = if code == 405 { &[(b"Allow", ALLOW)] } else { &[] };
        self.reply(tx, code, Reply { call: Some(call.0), headers, ..Reply::default() }, now);
        self.end_call(call.0, EndReason::Rejected(code));
        Ok(())
    }

    /// Redirects a call not yet answered with a 3xx naming `contact` (RFC 3261 21.3, 8.1.3.4).
    pub fn redirect(&mut self, call: CallId, code: u16, contact: &[u8], now: Instant) -> Result<(), CallError> {
        let c = self.calls.get(call.0).ok_or(CallError::UnknownCall)?;
        let (CallState::Received | CallState::Early, Some(tx), 300..=399) = (c.state, c.invite_tx, code) else {
            return Err(CallError::WrongState);
        };
        let mut value = Vec::with_capacity(contact.len() + 2);
        value.extend_from_slice(b"<");
        value.extend_from_slice(contact);
        value.extend_from_slice(b">");
        let headers: &[(&[u8], &[u8])] = &[(b"Contact", &value)];
        self.reply(tx, code, Reply { call: Some(call.0), headers, ..Reply::default() }, now);
        self.end_call(call.0, EndReason::Rejected(code));
        Ok(())
    }
}
