//! Stateless refusals of new requests, answered before any transaction exists for them: a
//! 503 with Retry-After (RFC 3261 21.5.4) when the table is full, and when the shard is
//! overloaded and sheds new calls so that it can finish the ones it admitted.

use std::net::SocketAddr;

use super::output::{Local, TxOutput};
use super::table::TxTable;
use super::via_stamp::{response_destination, stamp_for, IpText};
use crate::sip::overload_control::Advice;
use crate::sip::write::{write_response, Response};
use crate::sip::{Message, Method};

/// Seconds a refused client is asked to wait. Clients that honour it spread their retries;
/// those that do not (SIPp) only see the refusal.
const RETRY_AFTER: &[u8] = b"5";

impl TxTable {
    /// Turns the shedding of new INVITEs on or off. The shard decides once per loop turn, from
    /// whether datagrams wait unread behind the ones it is handling (`shard/overload.rs`).
    pub fn set_shedding(&mut self, on: bool) {
        self.shedding = on;
    }

    /// The overload word (RFC 7339) for clients that ask: from now on every response to a
    /// request whose top Via carried `oc` says it; `None` says nothing.
    pub fn set_overload_advice(&mut self, advice: Option<Advice>) {
        self.advice.clear();
        if let Some(advice) = advice {
            advice.write(&mut self.advice);
        }
    }

    /// The reason phrase of a 503 (empty: the RFC's) this new request (no transaction matched it) must get, and
    /// counts it; `None` when it may go on. Only a new INVITE is shed: requests inside a
    /// dialog and CANCEL end calls and so free the shard, and a retransmission of an admitted
    /// INVITE matched its transaction before this. Requests that end calls may also use a
    /// quarter more room than new calls, so a full table does not strand its calls.
    pub(super) fn refusal(&mut self, msg: &Message, from: SocketAddr) -> Option<&'static [u8]> {
        let in_dialog = msg.to().is_ok_and(|t| t.tag().is_some());
        let method = msg.method();
        if self.shedding && !in_dialog && method == Some(Method::Invite) {
            self.stats.shed += 1;
            return Some(b"Overloaded");
        }
        let ends_calls = in_dialog || method == Some(Method::Cancel);
        let room = self.cfg.max_transactions + if ends_calls { self.cfg.max_transactions / 4 } else { 0 };
        if self.len() >= room {
            self.stats.rejected_full += 1;
            tracing::info!(peer = %from, "request refused: 503, the transaction table is full (--max-transactions)");
            return Some(b"");
        }
        None
    }

    /// Answers `msg` with 503 `reason` and Retry-After, keeping nothing: a retransmission of
    /// the request is refused again the same way, and the ACK for it matches nothing.
    pub(super) fn refuse(
        &mut self,
        msg: &Message,
        (from, local): (SocketAddr, Local),
        reason: &'static [u8],
        out: &mut Vec<TxOutput>,
    ) {
        let mut text = IpText::default();
        let resp = Response {
            via: stamp_for(msg, from, &mut text, &self.advice),
            reason,
            headers: &[(b"Retry-After", RETRY_AFTER)],
            ..Response::new(503)
        };
        write_response(&mut self.buf, msg, &resp);
        out.push(TxOutput::Send { to: response_destination(msg, from, local), local, data: self.sent() });
    }
}
