//! Dialogs (RFC 3261 sections 12 to 15), sans-IO: creation from INVITE and its responses,
//! CSeq and target-refresh rules, and requests inside a dialog.

mod route;
mod state;
mod strings;
mod tag;

pub use route::{next_hop, InDialog};
pub use state::{Dialog, DialogReject, DialogState};
pub use strings::{DialogStrings, Field};
pub use tag::{TagCodec, TagText};
