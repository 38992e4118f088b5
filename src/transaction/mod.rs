//! RFC 3261 section 17 transactions (with RFC 6026's Accepted states), sans-IO.
//!
//! [`TxTable`] owns one shard's server and client transactions and their timers. It takes
//! messages and `now`, and returns [`TxOutput`]s: datagrams to send and events for the
//! transaction user. The four state machines are pure: input in, [`step::Step`] out.

mod client_invite;
mod client_non_invite;
mod client_side;
mod config;
mod index;
mod key;
mod live_pool;
mod output;
mod owner;
mod refuse;
mod server_invite;
mod server_non_invite;
mod server_side;
mod settle;
pub mod step;
mod table;
mod tx;
mod via_stamp;

pub use config::{TimerKind, TxConfig};
pub use output::{ClientTxId, Local, ServerTxId, TxOutput, TxStats};
pub use step::TxError;
pub use table::TxTable;
pub use via_stamp::{response_destination, stamp_for, IpText};
