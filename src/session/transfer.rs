//! Call transfer with REFER (RFC 3515): asking the peer to call someone else (blind
//! transfer), being asked to, and the progress reports (NOTIFY with a `message/sipfrag` of
//! the new call's status line) that the implicit `refer` subscription carries.
//!
//! Either side is the application's to drive: the one asked hears `TransferRequested`, places
//! the new call if it agrees, and reports with [`Endpoint::notify_transfer`]; the one asking
//! hears `TransferProgress` and usually hangs up once it is final and a success.

use std::time::Instant;

use super::call::CallState;
use super::endpoint::Endpoint;
use super::events::{CallEvent, CallId, Output};
use super::respond::Reply;
use super::uas::CallError;
use crate::sip::{Message, NameAddr};
use crate::timer::Handle;
use crate::transaction::ServerTxId;

/// The body type of a progress report.
const SIPFRAG: &[u8] = b"message/sipfrag;version=2.0";

impl Endpoint {
    /// Asks the peer of an established call to call `target` (a URI) instead: REFER with
    /// `Refer-To: <target>`. Its progress comes as `TransferProgress` events.
    pub fn transfer(&mut self, call: CallId, target: &[u8], now: Instant) -> Result<(), CallError> {
        let c = self.calls.get(call.0).ok_or(CallError::UnknownCall)?;
        if c.state != CallState::Confirmed || target.is_empty() {
            return Err(CallError::WrongState);
        }
        let refer_to = [&b"<"[..], target, b">"].concat();
        let headers: &[(&[u8], &[u8])] = &[(b"Refer-To", &refer_to)];
        self.send_in_dialog_with(call.0, b"REFER", None, (headers, None), now).ok_or(CallError::Build)?;
        self.pump(now);
        Ok(())
    }

    /// Reports the progress of a transfer we were asked for: NOTIFY with `SIP/2.0 <status>`.
    /// A final status (200 and up) ends the subscription.
    pub fn notify_transfer(&mut self, call: CallId, status: u16, now: Instant) -> Result<(), CallError> {
        let c = self.calls.get(call.0).ok_or(CallError::UnknownCall)?;
        if c.dialog.is_none() || !(100..=699).contains(&status) {
            return Err(CallError::WrongState);
        }
        let state: &[u8] = if status >= 200 { b"terminated;reason=noresource" } else { b"active;expires=60" };
        let body = format!("SIP/2.0 {status} {}\r\n", reason_of(status));
        let headers: &[(&[u8], &[u8])] = &[(b"Event", b"refer"), (b"Subscription-State", state)];
        let sent = self.send_in_dialog_with(call.0, b"NOTIFY", None, (headers, Some((SIPFRAG, body.as_bytes()))), now);
        sent.ok_or(CallError::Build)?;
        self.pump(now);
        Ok(())
    }

    /// A REFER in one of our dialogs: 202, and the application decides.
    pub(super) fn on_refer(&mut self, h: Handle, tx: ServerTxId, req: &Message, now: Instant) {
        // `r` is Refer-To's compact form (RFC 3515 2.1).
        let target = req.header_named(b"Refer-To").or_else(|| req.header_named(b"r"));
        let Some(uri) = target.and_then(NameAddr::parse).map(|n| n.uri.to_vec()) else {
            let r = Reply { call: Some(h), reason: b"Missing Refer-To", ..Reply::default() };
            self.reply(tx, 400, r, now);
            return;
        };
        self.reply(tx, 202, Reply { call: Some(h), contact: true, ..Reply::default() }, now);
        let target = String::from_utf8_lossy(&uri).into_owned();
        self.out.push(Output::Event(CallEvent::TransferRequested { call: CallId(h), target }));
    }

    /// A NOTIFY in one of our dialogs: 200, and the status line of its sipfrag reported.
    pub(super) fn on_notify(&mut self, h: Handle, tx: ServerTxId, req: &Message, now: Instant) {
        let refer = req.header_named(b"Event").is_some_and(|e| e.starts_with(b"refer"));
        self.reply(tx, if refer { 200 } else { 489 }, Reply { call: Some(h), ..Reply::default() }, now);
        let status =
            req.body().strip_prefix(b"SIP/2.0 ").and_then(|s| crate::sip::lex::parse_decimal(s.get(..3)?, 699));
        let done = req.header_named(b"Subscription-State").is_some_and(|s| s.starts_with(b"terminated"));
        if let (true, Some(status)) = (refer, status) {
            let event = CallEvent::TransferProgress { call: CallId(h), status: status as u16, done };
            self.out.push(Output::Event(event));
        }
    }
}

/// The reason phrase of a status in a progress report (the RFC's words for the common ones).
fn reason_of(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        404 => "Not Found",
        408 => "Request Timeout",
        486 => "Busy Here",
        487 => "Request Terminated",
        603 => "Decline",
        _ if status < 200 => "Progress",
        _ if status < 300 => "OK",
        _ => "Failed",
    }
}
