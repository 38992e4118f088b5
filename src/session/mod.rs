//! Calls: the user agent core that turns transactions, dialogs and SDP offer/answer into
//! calls an application rings, answers, rejects, holds and hangs up, and places. Sans-IO.

mod ack;
mod call;
mod config;
mod decline;
pub mod digest;
mod digest_challenge;
mod endpoint;
mod events;
mod hangup;
mod ids;
mod in_dialog;
mod intake;
mod log;
mod own_address;
mod place;
mod ports;
mod reinvite;
mod respond;
mod stats;
mod status;
mod throttle;
mod timers;
mod transfer;
mod uac;
mod uac_auth;
mod uac_invite;
mod uas;

pub use call::{CallState, Role};
pub use config::{EndpointConfig, ACCEPT, ALLOW, SUPPORTED};
pub use digest::Credentials;
pub use endpoint::Endpoint;
pub use events::{CallEvent, CallId, EndReason, Output};
pub(crate) use ids::{mix64, GOLDEN_GAMMA};
pub use ids::{owner_of, Ids};
pub use place::PlaceCall;
pub use ports::{MediaPort, RtpPorts};
pub use stats::CallStats;
pub use uas::CallError;
