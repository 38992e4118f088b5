//! Datagrams into the endpoint: indexed, validated as far as they will be read, and either
//! fed to the transaction table or answered (or dropped) for their defect.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;

use super::endpoint::Endpoint;
use crate::sip::{Message, ParseError, Parsed};
use crate::transaction::Local;

impl Endpoint {
    /// Takes one datagram received on our first (or only) socket.
    pub fn on_datagram(&mut self, data: Bytes, from: SocketAddr, now: Instant) {
        self.on_datagram_at(data, from, 0, now);
    }

    /// Takes one datagram received on socket `local`. It is validated as far as it will be
    /// read, in place ([`Endpoint::on_indexed`]).
    pub fn on_datagram_at(&mut self, data: Bytes, from: SocketAddr, local: Local, now: Instant) {
        // Indexed where it lies: through `Message::index`'s `Result` it was copied once more.
        let mut msg = Message::unindexed(data);
        match msg.build_index(&self.cfg.limits) {
            Ok(()) => self.on_indexed(&mut msg, from, local, now),
            Err(e) => self.dropped(from, e, now),
        }
    }

    /// Takes a datagram the caller has indexed already (a runtime that read its Call-ID to
    /// find its owner need not index it twice), validated here as far as it will be read
    /// ([`Message::validate_lazily`]). Borrowed all the way: moving the ~940-byte `Message`
    /// into a [`Parsed`] and out again cost five copies of it per datagram.
    pub fn on_indexed(&mut self, msg: &mut Message, from: SocketAddr, local: Local, now: Instant) {
        match msg.validate_lazily() {
            Ok(()) => self.on_checked(msg, Ok(()), from, local, now),
            Err(e) if msg.can_answer() => self.on_checked(msg, Err(e), from, local, now),
            Err(e) => self.dropped(from, e, now),
        }
    }

    /// Takes a datagram the caller has parsed already, received on socket `local`.
    pub fn on_parsed(&mut self, parsed: Parsed, from: SocketAddr, local: Local, now: Instant) {
        match parsed {
            Parsed::Valid(msg) => self.on_checked(&msg, Ok(()), from, local, now),
            Parsed::Reject(msg, error) => self.on_checked(&msg, Err(error), from, local, now),
            Parsed::Drop(e) => self.dropped(from, e, now),
        }
    }

    /// A message that passed its checks goes to the transaction table; one that failed them
    /// but can be answered gets its defect as the answer.
    fn on_checked(
        &mut self,
        msg: &Message,
        checked: Result<(), ParseError>,
        from: SocketAddr,
        local: Local,
        now: Instant,
    ) {
        let known = (crate::transport::listener_of(local) as usize) < self.addresses.len();
        let local = if known { local } else { 0 };
        match checked {
            Ok(()) => {
                self.tx.on_message(msg, from, local, now, &mut self.tx_out);
                return self.pump_fed(Some(msg), now);
            }
            Err(error) => self.reject_malformed(msg, (from, local), error),
        }
        self.pump(now);
    }

    fn dropped(&mut self, from: SocketAddr, e: ParseError, now: Instant) {
        tracing::debug!(peer = %from, "datagram dropped: {e}");
        self.stats.dropped += 1;
        self.pump(now);
    }
}
