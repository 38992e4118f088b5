//! A call to place: whom to call, as whom, where to send the INVITE, what the media does.

use std::net::{IpAddr, SocketAddr};

use crate::rtp::MediaAction;
use crate::sdp::Codec;
use crate::session::{CallError, Credentials, PlaceCall};
use crate::sip::SipUri;

/// A call for [`super::Calls::call`]. Build it with [`OutgoingCall::new`] and the setters.
///
/// ```
/// use callshard::app::OutgoingCall;
/// use callshard::rtp::MediaAction;
///
/// let call = OutgoingCall::new(b"sip:bob@127.0.0.1:5070").from(b"sip:alice@example.com").media(MediaAction::Tone);
/// assert_eq!(call.target().unwrap(), "127.0.0.1:5070".parse().unwrap());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct OutgoingCall<'a> {
    /// Request-URI and To.
    pub to: &'a [u8],
    /// From URI; `None`: `sip:<user>@<our address>`.
    pub from: Option<&'a [u8]>,
    /// Where the INVITE goes (an outbound proxy); `None`: the URI's host and port.
    pub peer: Option<SocketAddr>,
    /// What the call's media does once agreed.
    pub media: MediaAction,
    /// No SDP in the INVITE: the callee offers in its 2xx and we answer in the ACK.
    pub late_offer: bool,
    /// Answer a 401 or 407 challenge to the INVITE with these (digest, MD5 or SHA-256).
    pub credentials: Option<Credentials<'a>>,
    /// The codecs to offer, most preferred first; `None`: the server's.
    pub codecs: Option<&'a [Codec]>,
}

impl<'a> OutgoingCall<'a> {
    /// A call to the SIP URI `to`, media `none`, SDP offered in the INVITE.
    pub fn new(to: &'a [u8]) -> OutgoingCall<'a> {
        let (from, peer, credentials, codecs) = (None, None, None, None);
        OutgoingCall { to, from, peer, media: MediaAction::None, late_offer: false, credentials, codecs }
    }

    /// Calls as `from` (a SIP URI).
    pub fn from(self, from: &'a [u8]) -> Self {
        OutgoingCall { from: Some(from), ..self }
    }

    /// Sends the INVITE to `peer` (an outbound proxy) whatever the URI's host.
    pub fn via(self, peer: SocketAddr) -> Self {
        OutgoingCall { peer: Some(peer), ..self }
    }

    /// What the call's media does once agreed.
    pub fn media(self, media: MediaAction) -> Self {
        OutgoingCall { media, ..self }
    }

    /// Answers a digest challenge (401/407) to the INVITE as `username`.
    pub fn credentials(self, username: &'a [u8], password: &'a [u8]) -> Self {
        OutgoingCall { credentials: Some(Credentials { username, password }), ..self }
    }

    /// Offers only these codecs, in this order: a B2BUA offers what the other leg offered
    /// ([`super::IncomingCall::offered_codecs`]), so that both legs agree on one codec and
    /// the bridge passes payload untouched.
    pub fn codecs(self, codecs: &'a [Codec]) -> Self {
        OutgoingCall { codecs: Some(codecs), ..self }
    }

    /// Sends the INVITE without SDP: the callee offers, we answer in the ACK.
    pub fn late_offer(self, late_offer: bool) -> Self {
        OutgoingCall { late_offer, ..self }
    }

    /// Where the INVITE goes: the peer given, else the URI's IP address and port (5060
    /// when none; callshard resolves no names).
    pub fn target(&self) -> Result<SocketAddr, CallError> {
        if let Some(peer) = self.peer {
            return Ok(peer);
        }
        let uri = SipUri::parse(self.to).map_err(|_| CallError::BadTarget)?;
        let ip: IpAddr = uri.host.ip().ok_or(CallError::BadTarget)?;
        Ok(SocketAddr::new(ip, uri.port.unwrap_or(5060)))
    }

    pub(super) fn place_call(&self) -> Result<PlaceCall<'a>, CallError> {
        let peer = self.target()?;
        let (from, late_offer, credentials, codecs) = (self.from, self.late_offer, self.credentials, self.codecs);
        Ok(PlaceCall { from, late_offer, credentials, codecs, ..PlaceCall::new(self.to, peer) })
    }
}
