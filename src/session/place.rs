//! What an application says about a call it places: where, to whom, and with what offer.

use std::net::SocketAddr;

use super::digest::Credentials;

/// A call to place.
#[derive(Clone, Copy, Debug)]
pub struct PlaceCall<'a> {
    /// Request-URI, e.g. `sip:bob@127.0.0.1:5070`.
    pub request_uri: &'a [u8],
    /// To URI (often the Request-URI).
    pub to: &'a [u8],
    /// From URI; `None`: our Contact URI (`sip:<user>@<our address>`).
    pub from: Option<&'a [u8]>,
    /// Where to send the INVITE.
    pub peer: SocketAddr,
    /// Send the INVITE without SDP: our offer then goes in the ACK (late offer).
    pub late_offer: bool,
    /// The codecs to offer, most preferred first; `None`: the endpoint's. A B2BUA offers the
    /// other leg's, so that its bridge can pass payload untouched.
    pub codecs: Option<&'a [crate::sdp::Codec]>,
    /// Answer a 401 or 407 to the INVITE with these (the call keeps a copy until it ends).
    pub credentials: Option<Credentials<'a>>,
}

impl<'a> PlaceCall<'a> {
    /// A call to `uri` sent to `peer`: To is the URI, From our Contact, SDP in the INVITE.
    pub fn new(uri: &'a [u8], peer: SocketAddr) -> PlaceCall<'a> {
        PlaceCall { request_uri: uri, to: uri, from: None, peer, late_offer: false, codecs: None, credentials: None }
    }
}
