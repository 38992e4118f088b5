//! Copying out what a server transaction keeps after a provisional response.
//!
//! A request arrives as a slice of a receive buffer shared with other datagrams (256 KiB in
//! the runtime), and a response is written as a slice of the table's send buffer. Kept for as
//! long as a call rings, either slice would pin its whole buffer, so both must be copied at
//! their own size; but most calls get their final response in the same turn as the 1xx
//! (`serve` answers 180 then 200 at once), after which the transaction keeps neither. So the
//! copies wait for the table's next input (a message or `on_timer`, which the runtime calls
//! every loop turn and which `next_deadline` asks for at once): only what is still Proceeding
//! by then is copied. A slice is never kept past that turn.

use super::table::{ServerMachine, TxTable};

impl TxTable {
    /// Copies out the request and last provisional response of every server transaction
    /// that sent a 1xx since the last input and is still waiting for its final response.
    pub(super) fn settle(&mut self) {
        for h in self.unsettled.drain(..) {
            let Some(tx) = self.servers.get_mut(h) else { continue };
            if let Some(live) = tx.live.as_mut() {
                live.detach();
            }
            match &mut tx.machine {
                ServerMachine::Invite(m) => m.settle(),
                ServerMachine::NonInvite(m) => m.settle(),
            }
        }
        self.unsettled_since = None;
        self.unsettled.shrink_to(256);
    }
}
