//! The SDP layer: RFC 4566 session descriptions and the RFC 3264 offer/answer model. Sans-IO.
//!
//! Parsing borrows from the body ([`SessionDescription`] holds slices of it and allocates only
//! the media list); attributes are read on demand from each section's bytes. Our own side is
//! described by small owned values ([`LocalConfig`], [`LocalDescription`]) that a call keeps,
//! written with [`write()`] into a reusable `BytesMut`. [`SdpSession`] is the per-call state:
//! who owes an answer, the `o=` version, and what was agreed ([`Negotiated`]).

mod apply;
mod attr;
mod codec;
mod connection;
mod direction;
mod error;
mod lines;
mod local;
mod media;
mod negotiated;
mod offer_answer;
mod parse;
mod session;
mod write;

pub use apply::apply_answer;
pub use attr::{Attribute, Attributes, RtcpAddress, Rtpmap};
pub use codec::{identify, Codec, Format, TELEPHONE_EVENT};
pub use connection::Connection;
pub use direction::Direction;
pub use error::{NegotiationError, SdpError};
pub use local::{AudioStream, LocalConfig, LocalDescription, LocalMedia, LocalOrigin, RtpProfile, Token};
pub use media::MediaDescription;
pub use negotiated::Negotiated;
pub use offer_answer::{answer, create_offer};
pub use parse::{Origin, SessionDescription, Timing, MAX_MEDIA};
pub use session::SdpSession;
pub use write::{put_ip, write};
