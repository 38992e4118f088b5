//! What the transaction table hands back to its driver: datagrams to send and events for
//! the transaction user (the dialog and call layer).

use std::net::SocketAddr;

use bytes::Bytes;

use crate::timer::Handle;

/// Which of the endpoint's sockets a datagram arrived on or leaves from: the index of its
/// address in the endpoint's `locals` (the `--listen` order). A response leaves from the socket
/// its request came in on (RFC 3261 18.2.2, RFC 3581 4).
pub type Local = u32;

/// A server transaction, as the TU refers to it when responding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ServerTxId(pub(super) Handle);

/// A client transaction, as responses and timeouts name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientTxId(pub(super) Handle);

/// What the table hands on. `Request`, `Ack`, `Response` and `StrayResponse` carry no
/// message: each is about the message just given to [`super::TxTable::on_message`], which
/// the caller still holds. A `Message` is nearly a kilobyte of inline index; boxing one per
/// output cost an allocation, and moving it unboxed a tenth of the core's time per call
/// (`benches/call_path.rs`).
#[derive(Debug)]
pub enum TxOutput {
    /// Put these bytes on the wire, from socket `local`.
    Send { to: SocketAddr, local: Local, data: Bytes },
    /// The message fed is a new request, from `from` through socket `local`: the TU must
    /// answer it through [`super::TxTable::respond`] ([`super::TxTable::request`] has it too).
    Request { tx: ServerTxId, from: SocketAddr, local: Local },
    /// A CANCEL matched this pending INVITE. The TU answers the CANCEL (`cancel`) with 200 and
    /// the INVITE with 487, both with the INVITE responses' To tag (RFC 3261 9.2).
    Cancelled { invite: ServerTxId, cancel: ServerTxId },
    /// The message fed is an ACK that matched no INVITE transaction: the ACK for a 2xx,
    /// which is the TU's (RFC 3261 13.3.1.4, 17.2.1).
    Ack { from: SocketAddr },
    /// The message fed is a response to one of our requests; `owner` as in `Timeout` (a
    /// reliable transport's final response ends a transaction at once).
    Response { tx: ClientTxId, owner: Option<u64> },
    /// The message fed is a response that matched no client transaction, e.g. a 2xx
    /// retransmitted after the INVITE transaction ended; the UAC core ACKs it again (RFC 3261
    /// 13.2.2.4).
    StrayResponse { from: SocketAddr },
    /// Timer B or F fired: no final response came.
    Timeout {
        tx: ClientTxId,
        /// The transaction's owner (`TxTable::set_client_owner`): the transaction is gone by
        /// the time the TU reads this.
        owner: Option<u64>,
    },
    /// Timer H fired: our non-2xx final response was never ACKed.
    AckTimeout { tx: ServerTxId },
    /// A client transaction is over: its id will not be seen again.
    ClientEnded { tx: ClientTxId },
    /// A server transaction is over: its id will not be seen again.
    ServerEnded { tx: ServerTxId },
}

/// Counters of one table, merged across shards by the runtime.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxStats {
    pub server_created: u64,
    pub client_created: u64,
    /// Requests and responses we sent again on a timer.
    pub retransmissions_sent: u64,
    /// Retransmitted requests absorbed (answered from the transaction, not the TU).
    pub retransmissions_absorbed: u64,
    pub timeouts: u64,
    /// New requests refused with 503 because the table was full.
    pub rejected_full: u64,
    /// New INVITEs refused with 503 while the shard was overloaded (shed).
    pub shed: u64,
}

impl TxStats {
    /// Adds another table's counters.
    pub fn merge(&mut self, o: &TxStats) {
        self.server_created += o.server_created;
        self.client_created += o.client_created;
        self.retransmissions_sent += o.retransmissions_sent;
        self.retransmissions_absorbed += o.retransmissions_absorbed;
        self.timeouts += o.timeouts;
        self.rejected_full += o.rejected_full;
        self.shed += o.shed;
    }
}
