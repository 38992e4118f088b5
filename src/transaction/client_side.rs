//! Client transactions in the table: requests we send, the responses that match them
//! (RFC 3261 17.1.3), the ACK for a non-2xx final response, CANCEL, and Timers A to M.

use std::net::SocketAddr;
use std::time::Instant;

use super::client_invite::{ClientInvite, State as InviteState};
use super::client_non_invite::ClientNonInvite;
use super::key::KeyBuf;
use super::output::{ClientTxId, Local, TxOutput};
use super::step::{Notice, Step, TxError};
use super::table::{ClientMachine, TxTable};
use super::tx::{Live, Side, Tx, TxTimer};
use crate::sip::write::{write_ack_for_non_2xx, write_cancel};
use crate::sip::{Message, Method};
use crate::timer::Handle;

impl TxTable {
    /// Starts a client transaction for `request` (already written, with a fresh branch) and
    /// sends it to `to` from socket `local`. An ACK is never a transaction: send it directly. The transaction
    /// keeps a copy of the request in a buffer of its own, not the caller's (often a slice of
    /// a larger buffer).
    pub fn send_request(
        &mut self,
        mut request: Message,
        (to, local): (SocketAddr, Local),
        now: Instant,
        out: &mut Vec<TxOutput>,
    ) -> Result<ClientTxId, TxError> {
        let key = KeyBuf::client(&request).ok_or(TxError::BadRequest)?;
        if request.method() == Some(Method::Ack) {
            return Err(TxError::BadRequest);
        }
        if self.client_keys.get(&key, &self.clients).is_some() {
            return Err(TxError::Duplicate);
        }
        if self.len() >= self.cfg.max_transactions {
            return Err(TxError::Full);
        }
        let (machine, step) = match request.method() {
            Some(Method::Invite) => {
                let (m, step) = ClientInvite::start(&self.cfg);
                (ClientMachine::Invite(m), step)
            }
            _ => {
                let (m, step) = ClientNonInvite::start(&self.cfg);
                (ClientMachine::NonInvite(m), step)
            }
        };
        request.detach();
        let live = Live { request, source: to, detached: true, stamp: Default::default() };
        let h = self.clients.insert(Tx::new(key.to_key(), (to, local), machine, self.lives.boxed(live)));
        self.client_keys.insert(h, &self.clients);
        self.stats.client_created += 1;
        self.run_client_step(h, step, None, now, out, false);
        Ok(ClientTxId(h))
    }

    /// Sends a CANCEL for a pending INVITE (RFC 3261 9.1): only once a provisional response
    /// has arrived (`Err(TxError::AlreadyFinal)` after a final one; `Ok(None)` while still
    /// Calling, when the caller must wait for a 1xx and try again).
    pub fn cancel(
        &mut self,
        invite: ClientTxId,
        now: Instant,
        out: &mut Vec<TxOutput>,
    ) -> Result<Option<ClientTxId>, TxError> {
        let tx = self.clients.get(invite.0).ok_or(TxError::Unknown)?;
        match &tx.machine {
            ClientMachine::Invite(m) if m.state == InviteState::Proceeding => {}
            ClientMachine::Invite(m) if m.state == InviteState::Calling => return Ok(None),
            _ => return Err(TxError::AlreadyFinal),
        }
        let live = tx.live.as_deref().ok_or(TxError::AlreadyFinal)?;
        if !write_cancel(&mut self.buf, &live.request) {
            return Err(TxError::BadRequest);
        }
        let to = (tx.peer, tx.local);
        let cancel = Message::parse(self.written()).map_err(|_| TxError::BadRequest)?;
        self.send_request(cancel, to, now, out).map(Some)
    }

    /// The request a client transaction sent, until a final non-2xx response (an INVITE's
    /// stays through Accepted, for the dialogs of its forks).
    pub fn client_request(&self, tx: ClientTxId) -> Option<&Message> {
        self.clients.get(tx.0)?.live.as_ref().map(|l| &l.request)
    }

    pub(super) fn on_response(&mut self, msg: &Message, from: SocketAddr, now: Instant, out: &mut Vec<TxOutput>) {
        let found = KeyBuf::client(msg).and_then(|k| self.client_keys.get(&k, &self.clients));
        let Some(h) = found else {
            return out.push(TxOutput::StrayResponse { from });
        };
        let (cfg, code) = (self.cfg, msg.status().unwrap_or(0));
        let Some(tx) = self.clients.get_mut(h) else { return };
        let step = match &mut tx.machine {
            ClientMachine::Invite(m) => m.on_response(code, &cfg),
            ClientMachine::NonInvite(m) => m.on_response(code, &cfg),
        };
        self.run_client_step(h, step, Some(msg), now, out, false);
    }

    pub(super) fn on_client_timer(&mut self, t: TxTimer, now: Instant, out: &mut Vec<TxOutput>) {
        let cfg = self.cfg;
        let Some(tx) = self.clients.get_mut(t.tx) else { return };
        tx.fired(t.kind);
        let step = match &mut tx.machine {
            ClientMachine::Invite(m) => m.on_timer(t.kind),
            ClientMachine::NonInvite(m) => m.on_timer(t.kind, &cfg),
        };
        self.run_client_step(t.tx, step, None, now, out, true);
    }

    fn run_client_step(
        &mut self,
        h: Handle,
        step: Step,
        response: Option<&Message>,
        now: Instant,
        out: &mut Vec<TxOutput>,
        timer: bool,
    ) {
        let Some(tx) = self.clients.get(h) else { return };
        if let (true, Some(resp), Some(live)) = (step.send_ack, response, &tx.live) {
            // RFC 3261 17.1.1.3: the transaction ACKs a non-2xx final response itself.
            if write_ack_for_non_2xx(&mut self.buf, &live.request, resp) {
                let ack = self.written();
                let Some(tx) = self.clients.get_mut(h) else { return };
                out.push(TxOutput::Send { to: tx.peer, local: tx.local, data: ack.clone() });
                if let ClientMachine::Invite(m) = &mut tx.machine {
                    m.ack = Some(ack);
                }
            }
        }
        let Some(tx) = self.clients.get_mut(h) else { return };
        tx.apply((Side::Client, h), &step, &mut TxTable::cx(&mut self.wheel, &mut self.stats, now, out, timer));
        if !tx.machine.needs_request() {
            // Completed: only absorbing response retransmissions (Timers D, K) from here on.
            if let Some(live) = tx.live.take() {
                self.lives.give_back(live);
            }
        }
        let owner = super::owner::some(tx.owner);
        match (step.notify, response) {
            (Some(Notice::Response), Some(_)) => out.push(TxOutput::Response { tx: ClientTxId(h), owner }),
            (Some(Notice::Timeout), _) => {
                self.stats.timeouts += 1;
                out.push(TxOutput::Timeout { tx: ClientTxId(h), owner });
            }
            _ => {}
        }
        if step.terminate {
            if let Some(mut tx) = self.clients.remove(h) {
                tx.stop_timers(&mut self.wheel);
                self.client_keys.remove(h, &tx.key);
                out.push(TxOutput::ClientEnded { tx: ClientTxId(h) });
            }
        }
    }
}
