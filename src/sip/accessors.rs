//! Typed, lazy views of the headers the stack uses. Each borrows from the message and
//! allocates nothing; the top Via, From, To, Call-ID and CSeq come from what validation
//! parsed (`cache.rs`), the others are parsed from their header's bytes when called.

use super::cseq::CSeq;
use super::error::ParseError;
use super::header_name::HeaderName;
use super::headers::first_item;
use super::lex::{is_token, parse_decimal, trim};
use super::message::Message;
use super::name_addr::NameAddr;
use super::params::Params;
use super::swar::all_visible;
use super::via::Via;

/// `type/subtype;params` of Content-Type (RFC 3261 20.15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaType<'a> {
    pub kind: &'a [u8],
    pub subtype: &'a [u8],
    pub params: Params<'a>,
}

impl MediaType<'_> {
    /// Case-insensitive match against `type/subtype`, e.g. `b"application/sdp"`.
    pub fn is(&self, kind: &[u8], subtype: &[u8]) -> bool {
        self.kind.eq_ignore_ascii_case(kind) && self.subtype.eq_ignore_ascii_case(subtype)
    }
}

impl Message {
    /// The topmost Via value: where responses go (RFC 3261 18.2.2).
    pub fn top_via(&self) -> Result<Via<'_>, ParseError> {
        match self.cache.via {
            Some(via) => Ok(via.view(&self.bytes)),
            None => self.parse_top_via(),
        }
    }

    pub(super) fn parse_top_via(&self) -> Result<Via<'_>, ParseError> {
        // A first Via line holding one element is that element: a comma outside a quoted
        // string cannot be part of a Via that parses, so one that does needs no split.
        if let Some(via) = self.header(HeaderName::Via).and_then(Via::parse) {
            return Ok(via);
        }
        let first = self.header_all(HeaderName::Via).find_map(first_item).ok_or(ParseError::MissingHeader("Via"))?;
        Via::parse(first).ok_or(ParseError::bad("Via", "unreadable sent-protocol, sent-by or parameters"))
    }

    /// The topmost Via read leniently: enough to send an error response back even when the
    /// Via itself is what is wrong. A validated message has it parsed already (every response
    /// a transaction writes asks for it again).
    pub fn top_via_for_routing(&self) -> Option<Via<'_>> {
        if let Some(via) = self.cache.via {
            return Some(via.view(&self.bytes));
        }
        self.values(HeaderName::Via).next().and_then(Via::parse_lenient)
    }

    /// Every Via value, top first; `None` for an element that does not parse.
    pub fn vias(&self) -> impl Iterator<Item = Option<Via<'_>>> + '_ {
        self.values(HeaderName::Via).map(Via::parse)
    }

    pub fn from(&self) -> Result<NameAddr<'_>, ParseError> {
        match self.cache.from {
            Some(from) => Ok(from.view(&self.bytes)),
            None => self.name_addr(HeaderName::From, "From"),
        }
    }

    pub fn to(&self) -> Result<NameAddr<'_>, ParseError> {
        match self.cache.to {
            Some(to) => Ok(to.view(&self.bytes)),
            None => self.name_addr(HeaderName::To, "To"),
        }
    }

    pub(super) fn name_addr(&self, kind: HeaderName, name: &'static str) -> Result<NameAddr<'_>, ParseError> {
        let v = self.header(kind).ok_or(ParseError::MissingHeader(name))?;
        NameAddr::parse(v).ok_or(ParseError::bad(name, "unreadable name-addr"))
    }

    /// The Call-ID: `word ["@" word]`, no white space.
    pub fn call_id(&self) -> Result<&[u8], ParseError> {
        let v = self.header(HeaderName::CallId).ok_or(ParseError::MissingHeader("Call-ID"))?;
        if !self.cache.call_id && (v.is_empty() || !all_visible(v)) {
            return Err(ParseError::bad("Call-ID", "empty or contains white space"));
        }
        Ok(v)
    }

    pub fn cseq(&self) -> Result<CSeq<'_>, ParseError> {
        match self.cache.cseq {
            Some(cseq) => Ok(cseq.view(&self.bytes)),
            None => self.parse_cseq(),
        }
    }

    pub(super) fn parse_cseq(&self) -> Result<CSeq<'_>, ParseError> {
        let v = self.header(HeaderName::CSeq).ok_or(ParseError::MissingHeader("CSeq"))?;
        CSeq::parse(v).map_err(|reason| ParseError::bad("CSeq", reason))
    }

    /// Max-Forwards (0 to 255); `Ok(None)` when absent.
    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        self.number(HeaderName::MaxForwards, "Max-Forwards", 255).map(|n| n.map(|n| n as u8))
    }

    /// Content-Length; `Ok(None)` when absent.
    pub fn content_length(&self) -> Result<Option<usize>, ParseError> {
        self.number(HeaderName::ContentLength, "Content-Length", u32::MAX.into()).map(|n| n.map(|n| n as usize))
    }

    /// Expires in seconds; `Ok(None)` when absent.
    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        self.number(HeaderName::Expires, "Expires", u32::MAX.into()).map(|n| n.map(|n| n as u32))
    }

    fn number(&self, kind: HeaderName, name: &'static str, max: u64) -> Result<Option<u64>, ParseError> {
        match self.header(kind) {
            None => Ok(None),
            Some(v) => parse_decimal(v, max).map(Some).ok_or(ParseError::bad(name, "not a number in range")),
        }
    }

    /// Content-Type; `Ok(None)` when absent.
    pub fn content_type(&self) -> Result<Option<MediaType<'_>>, ParseError> {
        let Some(v) = self.header(HeaderName::ContentType) else {
            return Ok(None);
        };
        let bad = ParseError::bad("Content-Type", "not type/subtype");
        let (media, params) = match memchr::memchr(b';', v) {
            Some(semi) => (&v[..semi], &v[semi + 1..]),
            None => (v, &b""[..]),
        };
        let slash = memchr::memchr(b'/', media).ok_or(bad)?;
        let (kind, subtype) = (trim(&media[..slash]), trim(&media[slash + 1..]));
        if !is_token(kind) || !is_token(subtype) {
            return Err(bad);
        }
        Ok(Some(MediaType { kind, subtype, params: Params(params) }))
    }

    /// Contact values; `None` for an unreadable one. A `*` (REGISTER wildcard) is skipped:
    /// see [`Message::contact_is_wildcard`].
    pub fn contacts(&self) -> impl Iterator<Item = Option<NameAddr<'_>>> + '_ {
        self.values(HeaderName::Contact).filter(|v| *v != b"*").map(NameAddr::parse)
    }

    pub fn contact_is_wildcard(&self) -> bool {
        self.values(HeaderName::Contact).any(|v| v == b"*")
    }

    /// Route values, in order.
    pub fn routes(&self) -> impl Iterator<Item = Option<NameAddr<'_>>> + '_ {
        self.values(HeaderName::Route).map(NameAddr::parse)
    }

    /// Record-Route values, in order.
    pub fn record_routes(&self) -> impl Iterator<Item = Option<NameAddr<'_>>> + '_ {
        self.values(HeaderName::RecordRoute).map(NameAddr::parse)
    }

    /// Option tags of Require (RFC 3261 20.32).
    pub fn require(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.values(HeaderName::Require)
    }

    /// Option tags of Proxy-Require (RFC 3261 20.29).
    pub fn proxy_require(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.values(HeaderName::ProxyRequire)
    }

    /// Option tags of Supported (RFC 3261 20.37).
    pub fn supported(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.values(HeaderName::Supported)
    }
}
