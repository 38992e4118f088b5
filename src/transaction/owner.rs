//! Which call a transaction belongs to, kept in the transaction itself. The transaction user
//! (the call layer) names each of its transactions' owner once; a response, a timeout or a
//! CANCEL then finds its call with one slab access instead of a hash map the size of every
//! lingering transaction (a load generator's INVITE transactions linger 32 s: at 30 000
//! calls/s that map held a million entries, and its inserts, lookups and rehashes were 7 %
//! of the generator's CPU). The owner dies with its transaction.

use super::output::{ClientTxId, ServerTxId};
use super::table::TxTable;

/// No owner (a transaction the TU never named, or one it let go of).
pub(super) const NO_OWNER: u64 = u64::MAX;

pub(super) fn some(v: u64) -> Option<u64> {
    (v != NO_OWNER).then_some(v)
}

impl TxTable {
    /// Names (or with `None` forgets) the owner of a server transaction.
    pub fn set_server_owner(&mut self, tx: ServerTxId, owner: Option<u64>) {
        if let Some(t) = self.servers.get_mut(tx.0) {
            t.owner = owner.unwrap_or(NO_OWNER);
        }
    }

    /// The owner of a server transaction, while it lives and has one.
    pub fn server_owner(&self, tx: ServerTxId) -> Option<u64> {
        some(self.servers.get(tx.0)?.owner)
    }

    /// Names the owner of a client transaction.
    pub fn set_client_owner(&mut self, tx: ClientTxId, owner: u64) {
        if let Some(t) = self.clients.get_mut(tx.0) {
            t.owner = owner;
        }
    }
}
