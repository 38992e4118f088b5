//! The checks the transaction layer does not need, kept apart so that a caller that only
//! matches transactions can leave them for later (see [`Message::validate_for_transaction`]):
//! the full grammar of the Request-URI, Date, and the Contact that in-dialog requests are
//! sent to. [`Message::validate`] runs them too, so `parse` and `parse_datagram` refuse what
//! they always refused.

use super::date::is_sip_date;
use super::error::ParseError;
use super::header_name::HeaderName;
use super::message::{Message, Parsed};
use super::method::Method;
use super::name_addr::NameAddr;
use super::uri::{scheme_of, SipUri, UriError};

impl Message {
    /// What [`Message::validate_for_transaction`] leaves out: the Request-URI (400, or 416
    /// for a scheme we cannot route), then Date, then Contact. A request failing here is
    /// answered like any other malformed one: `error.status_code()`, the error as reason.
    pub fn validate_deferred(&self) -> Result<(), ParseError> {
        self.check_request_uri()?;
        self.check_date_and_contact()
    }

    /// What a server does with an indexed message, validating only what will be read:
    /// [`Message::validate_for_transaction`] for every message, and
    /// [`Message::validate_deferred`] too unless nothing reads the fields it checks. That is an
    /// ACK (matched to its transaction or dialog by Via, tags and CSeq) and a BYE (matched to
    /// its dialog by Call-ID and tags; it refreshes no target): their Request-URI, Contact and
    /// Date are never looked at, so a defect there is not worth a refusal. Responses need no
    /// more either (Date is all that is left for them).
    pub fn into_parsed_lazily(mut self) -> Parsed {
        let checked = self.validate_lazily();
        self.verdict(checked)
    }

    /// The checks of [`Message::into_parsed_lazily`], in place: a server that goes on with a
    /// borrowed message need not move its ~940 bytes into a [`Parsed`] and out again.
    /// On `Err`, [`Message::can_answer`] says whether the error can be answered.
    pub fn validate_lazily(&mut self) -> Result<(), ParseError> {
        self.validate_for_transaction().and_then(|()| match self.method() {
            None | Some(Method::Ack | Method::Bye) => Ok(()),
            Some(_) => self.validate_deferred(),
        })
    }

    pub(super) fn check_request_uri(&self) -> Result<(), ParseError> {
        match self.is_request() {
            true => check_request_uri(self.request_uri()),
            false => Ok(()),
        }
    }

    pub(super) fn check_date_and_contact(&self) -> Result<(), ParseError> {
        if self.header(HeaderName::Date).is_some_and(|d| !is_sip_date(d)) {
            return Err(ParseError::bad("Date", "not an RFC 1123 date in GMT"));
        }
        // Contact is where in-dialog requests go: its SIP URI must parse in full.
        let contact_ok = |c: Option<NameAddr<'_>>| c.is_some_and(|c| !matches!(c.sip_uri(), Err(UriError::Malformed)));
        if self.is_request() && !self.contacts().all(contact_ok) {
            return Err(ParseError::bad("Contact", "unreadable name-addr"));
        }
        Ok(())
    }
}

/// Whether `uri` can be a Request-URI (RFC 3261 8.1.1.1, 19.1.1): a SIP or SIPS URI that
/// parses in full and has no headers, or a tel URI without white space. A received request
/// is refused with the error; a request we write must pass it too, so a dialog's remote
/// target and route set are held to it (a peer's Contact or Record-Route we could not send
/// to does not become our Request-URI).
pub fn check_request_uri(uri: &[u8]) -> Result<(), ParseError> {
    parse_request_uri(uri).map(drop)
}

/// [`check_request_uri`], giving the SIP or SIPS URI it parsed (`None` for a tel URI), so
/// that a caller who needs its parts does not parse it again.
pub fn parse_request_uri(uri: &[u8]) -> Result<Option<SipUri<'_>>, ParseError> {
    let scheme = scheme_of(uri).ok_or(ParseError::BadRequestUri)?;
    if scheme.eq_ignore_ascii_case(b"tel") {
        return match uri.iter().any(|&b| b <= b' ') {
            true => Err(ParseError::BadRequestUri),
            false => Ok(None),
        };
    }
    match SipUri::parse(uri) {
        // RFC 3261 19.1.1: URI headers are not allowed in a Request-URI (RFC 4475 3.1.2.11).
        Ok(u) if !u.headers.is_empty() => Err(ParseError::BadRequestUri),
        Ok(u) => Ok(Some(u)),
        Err(UriError::UnknownScheme) if !uri.iter().any(|&b| b <= b' ') => Err(ParseError::UnsupportedUriScheme),
        Err(_) => Err(ParseError::BadRequestUri),
    }
}
