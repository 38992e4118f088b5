//! A new call as the application sees it: who calls whom, any header, the offered media.
//! Borrowed from the INVITE the transaction holds; nothing is copied unless asked for.

use smallvec::SmallVec;

use crate::sdp::{identify, Codec, Format, SessionDescription};
use crate::sip::{Message, NameAddr, SipUri};

/// The INVITE of a call waiting for the application's decision.
#[derive(Clone, Copy, Debug)]
pub struct IncomingCall<'a> {
    invite: &'a Message,
}

impl<'a> IncomingCall<'a> {
    pub(super) fn new(invite: &'a Message) -> IncomingCall<'a> {
        IncomingCall { invite }
    }

    /// The Request-URI as written (whom the caller asked for).
    pub fn request_uri(&self) -> &'a [u8] {
        self.invite.request_uri()
    }

    /// The user part of the Request-URI (`1000` of `sip:1000@host`): what a route matches.
    /// The endpoint checked the whole Request-URI before the call existed.
    pub fn user(&self) -> Option<&'a [u8]> {
        SipUri::user_of_valid(self.invite.request_uri())
    }

    /// The caller (From), display name and URI.
    pub fn from(&self) -> Option<NameAddr<'a>> {
        self.invite.from().ok()
    }

    /// The callee (To).
    pub fn to(&self) -> Option<NameAddr<'a>> {
        self.invite.to().ok()
    }

    /// The Call-ID, as written.
    pub fn call_id(&self) -> &'a [u8] {
        self.invite.call_id().unwrap_or_default()
    }

    /// The first value of a header, by name (any case, compact forms too).
    pub fn header(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.invite.header_named(name)
    }

    /// The caller's SDP offer; `None` for an INVITE without one (we will offer in our 200).
    pub fn offer(&self) -> Option<SessionDescription<'a>> {
        let body = self.invite.body();
        (!body.is_empty()).then(|| SessionDescription::parse(body).ok()).flatten()
    }

    /// The audio codecs of the offer we support, in the caller's order of preference (its
    /// first audio stream); empty without an offer.
    pub fn offered_codecs(&self) -> SmallVec<[Codec; 3]> {
        let Some(offer) = self.offer() else { return SmallVec::new() };
        let Some(audio) = offer.media.iter().find(|m| m.media == b"audio") else { return SmallVec::new() };
        let mut codecs = SmallVec::new();
        for pt in audio.payload_types() {
            if let Some(Format::Audio(c)) = identify(pt, audio.rtpmap(pt).as_ref()) {
                if !codecs.contains(&c) {
                    codecs.push(c);
                }
            }
        }
        codecs
    }

    /// The whole INVITE, for what the accessors above do not cover.
    pub fn message(&self) -> &'a Message {
        self.invite
    }
}
