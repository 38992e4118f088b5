//! The SIP message layer: zero-copy parsing, typed lazy accessors and writers. Sans-IO.

mod accessors;
mod cseq;
mod date;
mod error;
pub mod framing;
mod header_name;
mod host;
pub mod lex;
mod message;
mod method;
mod name_addr;
mod params;
mod scan;
mod span;
mod start_line;
mod uri;
mod uri_compare;
mod validate;
mod via;
pub mod write;

pub use accessors::MediaType;
pub use cseq::{CSeq, MAX_CSEQ};
pub use error::ParseError;
pub use header_name::HeaderName;
pub use host::Host;
pub use message::{Message, ParseLimits, Parsed};
pub use method::Method;
pub use name_addr::NameAddr;
pub use params::Params;
pub use scan::HeaderField;
pub use span::Span;
pub use start_line::StartLine;
pub use uri::{Scheme, SipUri, UriError};
pub use uri_compare::unescaped_eq;
pub use via::{Via, MAGIC_COOKIE};
