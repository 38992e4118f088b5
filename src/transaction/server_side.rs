//! Server transactions in the table: new requests, retransmissions, ACK and CANCEL matching
//! (RFC 3261 17.2.3, 9.2), and the responses the TU sends through them.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;

use super::config::TimerKind;
use super::key::KeyBuf;
use super::output::{Local, ServerTxId, TxOutput};
use super::server_invite::{ServerInvite, State as InviteState};
use super::server_non_invite::ServerNonInvite;
use super::step::{Notice, Step, TxError};
use super::table::{ServerMachine, TxTable};
use super::tx::{Live, Side, Tx, TxTimer};
use super::via_stamp::{advice_for, routing, IpText};
use crate::sip::write::{write_response, Response};
use crate::sip::{Message, Method};
use crate::timer::Handle;

impl TxTable {
    pub(super) fn on_request(
        &mut self,
        msg: &Message,
        (from, local): (SocketAddr, Local),
        now: Instant,
        out: &mut Vec<TxOutput>,
    ) {
        let Some(key) = KeyBuf::server(msg) else { return };
        if msg.method() == Some(Method::Ack) {
            return self.on_ack(&key, from, now, out);
        }
        if let Some(h) = self.server_keys.get(&key, &self.servers) {
            let Some(tx) = self.servers.get(h) else { return };
            let step = match &tx.machine {
                ServerMachine::Invite(m) => m.on_retransmission(),
                ServerMachine::NonInvite(m) => m.on_retransmission(),
            };
            self.stats.retransmissions_absorbed += 1;
            return self.run_server_step(h, step, now, out, false);
        }
        if let Some(reason) = self.refusal(msg, from) {
            return self.refuse(msg, (from, local), reason, out);
        }
        let (machine, step) = match msg.method() {
            Some(Method::Invite) => {
                let (m, step) = ServerInvite::start(&self.cfg);
                (ServerMachine::Invite(m), step)
            }
            _ => (ServerMachine::NonInvite(ServerNonInvite::start()), Step::none()),
        };
        let is_cancel = msg.method() == Some(Method::Cancel);
        let (peer, stamp) = routing(msg, from, local);
        let live = Live { request: msg.clone(), source: from, detached: false, stamp };
        let h = self.servers.insert(Tx::new(key.to_key(), (peer, local), machine, self.lives.boxed(live)));
        self.server_keys.insert(h, &self.servers);
        self.stats.server_created += 1;
        self.run_server_step(h, step, now, out, false);
        if is_cancel {
            self.on_cancel(h, now, out);
        } else {
            out.push(TxOutput::Request { tx: ServerTxId(h), from, local });
        }
    }

    /// RFC 3261 9.2: a CANCEL for a pending INVITE goes to the TU, which answers it 200 with
    /// the To tag of its INVITE responses and ends the INVITE with 487; for an INVITE already
    /// answered the table answers 200 itself; without a matching INVITE, 481.
    fn on_cancel(&mut self, cancel: Handle, now: Instant, out: &mut Vec<TxOutput>) {
        let Some(tx) = self.servers.get(cancel) else { return };
        let invite = KeyBuf::invite_of_cancel(&tx.key).and_then(|k| self.server_keys.get(&k, &self.servers));
        let pending = invite
            .and_then(|h| self.servers.get(h))
            .is_some_and(|t| matches!(&t.machine, ServerMachine::Invite(m) if m.state == InviteState::Proceeding));
        match (pending, invite) {
            (true, Some(invite)) => {
                out.push(TxOutput::Cancelled { invite: ServerTxId(invite), cancel: ServerTxId(cancel) })
            }
            (false, Some(_)) => drop(self.respond(ServerTxId(cancel), &Response::new(200), now, out)),
            (_, None) => drop(self.respond(ServerTxId(cancel), &Response::new(481), now, out)),
        }
    }

    fn on_ack(&mut self, key: &KeyBuf, from: SocketAddr, now: Instant, out: &mut Vec<TxOutput>) {
        let Some(h) = self.server_keys.get(key, &self.servers) else {
            return out.push(TxOutput::Ack { from });
        };
        let cfg = self.cfg;
        let step = match self.servers.get_mut(h).map(|t| &mut t.machine) {
            Some(ServerMachine::Invite(m)) => m.on_ack(&cfg),
            _ => Step::none(),
        };
        if step.notify == Some(Notice::Ack) {
            out.push(TxOutput::Ack { from });
        }
        self.run_server_step(h, Step { notify: None, ..step }, now, out, false);
    }

    /// Sends a response through a server transaction. The response echoes the request's
    /// headers and carries the transport's `received`/`rport` stamp. Returns the bytes sent,
    /// which the TU keeps to retransmit a 2xx (RFC 3261 13.3.1.4): after a final response
    /// the transaction no longer has the request to write another (`AlreadyFinal`). They
    /// are a slice of the table's send buffer: a TU that keeps them copies them out.
    pub fn respond(
        &mut self,
        tx: ServerTxId,
        resp: &Response<'_>,
        now: Instant,
        out: &mut Vec<TxOutput>,
    ) -> Result<Bytes, TxError> {
        let t = self.servers.get(tx.0).ok_or(TxError::Unknown)?;
        let live = t.live.as_deref().ok_or(TxError::AlreadyFinal)?;
        let mut text = IpText::default();
        let advice = advice_for(&live.request, &self.advice);
        let stamped = Response { via: live.stamp.stamp(live.source, &mut text, advice), ..*resp };
        write_response(&mut self.buf, &live.request, &stamped);
        let data = self.sent();
        let cfg = self.cfg;
        let t = self.servers.get_mut(tx.0).ok_or(TxError::Unknown)?;
        let step = match &mut t.machine {
            ServerMachine::Invite(m) => m.on_response(resp.code, &data, &cfg)?,
            ServerMachine::NonInvite(m) => m.on_response(resp.code, &data, &cfg)?,
        };
        if (100..=199).contains(&resp.code) {
            // The final answer may come later (a ringing call, or a TU slow enough for 100
            // Trying): unless it comes before the next input, the request and this response
            // are copied out of the buffers they share (`TxTable::settle`).
            self.unsettled.push(tx.0);
            self.unsettled_since.get_or_insert(now);
        }
        self.run_server_step(tx.0, step, now, out, false);
        Ok(data)
    }

    /// Where a server transaction's responses go (RFC 3261 18.2.2), and through which socket.
    pub fn response_target(&self, tx: ServerTxId) -> Option<(SocketAddr, Local)> {
        self.servers.get(tx.0).map(|t| (t.peer, t.local))
    }

    /// The request that created a server transaction, until its final response.
    pub fn request(&self, tx: ServerTxId) -> Option<&Message> {
        self.servers.get(tx.0)?.live.as_ref().map(|l| &l.request)
    }

    pub(super) fn on_server_timer(&mut self, t: TxTimer, now: Instant, out: &mut Vec<TxOutput>) {
        let cfg = self.cfg;
        let Some(tx) = self.servers.get_mut(t.tx) else { return };
        tx.fired(t.kind);
        let step = match &mut tx.machine {
            ServerMachine::Invite(m) => m.on_timer(t.kind, &cfg),
            ServerMachine::NonInvite(m) => m.on_timer(t.kind),
        };
        self.run_server_step(t.tx, step, now, out, t.kind != TimerKind::Trying);
    }

    fn run_server_step(&mut self, h: Handle, step: Step, now: Instant, out: &mut Vec<TxOutput>, timer: bool) {
        let Some(tx) = self.servers.get_mut(h) else { return };
        tx.apply((Side::Server, h), &step, &mut TxTable::cx(&mut self.wheel, &mut self.stats, now, out, timer));
        if !tx.machine.needs_request() {
            // Lingering from here on: the key and `last` answer everything that can come.
            if let Some(live) = tx.live.take() {
                self.lives.give_back(live);
            }
        }
        if step.send_trying {
            let _ = self.respond(ServerTxId(h), &Response::new(100), now, out);
        }
        if step.notify == Some(Notice::AckTimeout) {
            self.stats.timeouts += 1;
            out.push(TxOutput::AckTimeout { tx: ServerTxId(h) });
        }
        if step.terminate {
            if let Some(mut tx) = self.servers.remove(h) {
                tx.stop_timers(&mut self.wheel);
                self.server_keys.remove(h, &tx.key);
                out.push(TxOutput::ServerEnded { tx: ServerTxId(h) });
            }
        }
    }
}
