//! The checks a message must pass before a transaction sees it: the strict grammar of the
//! start line and of the headers every transaction and dialog rule relies on
//! (RFC 3261 8.1.1, 8.2.2, 18.3).

use super::cache::{AddrSpans, CSeqSpans, ViaSpans};
use super::date::is_sip_date;
use super::error::ParseError;
use super::header_name::HeaderName;
use super::lex::is_token;
use super::message::Message;
use super::name_addr::NameAddr;
use super::span::Span;
use super::start_line::StartLine;
use super::uri::{scheme_of, SipUri, UriError};

/// Headers that may appear once only; a second copy with another value is an error.
const SINGLE: [(HeaderName, &str); 6] = [
    (HeaderName::CallId, "Call-ID"),
    (HeaderName::CSeq, "CSeq"),
    (HeaderName::From, "From"),
    (HeaderName::To, "To"),
    (HeaderName::MaxForwards, "Max-Forwards"),
    (HeaderName::ContentLength, "Content-Length"),
];

/// `SINGLE` as a bit per kind: nearly every message has none of them twice.
const SINGLE_KINDS: u64 = {
    let (mut bits, mut i) = (0, 0);
    while i < SINGLE.len() {
        bits |= 1 << SINGLE[i].0 as u64;
        i += 1;
    }
    bits
};

impl Message {
    /// Checks the message and trims the body to Content-Length. Called by `parse`.
    pub fn validate(&mut self) -> Result<(), ParseError> {
        self.check_start_line()?;
        if self.slots.any_repeated(SINGLE_KINDS) {
            for (kind, name) in SINGLE {
                let mut values = self.header_all(kind);
                if let Some(first) = values.next() {
                    if values.any(|v| v != first) {
                        return Err(ParseError::Duplicate(name));
                    }
                }
            }
        }
        self.cache.via = Some(ViaSpans::of(&self.bytes, &self.parse_top_via()?));
        self.cache.from = Some(AddrSpans::of(&self.bytes, &self.name_addr(HeaderName::From, "From")?));
        self.cache.to = Some(AddrSpans::of(&self.bytes, &self.name_addr(HeaderName::To, "To")?));
        self.call_id()?;
        self.cache.call_id = true;
        let cseq = self.parse_cseq()?;
        if self.is_request() && cseq.method_bytes != self.method_bytes() {
            return Err(ParseError::CSeqMethodMismatch);
        }
        self.cache.cseq = Some(CSeqSpans::of(&self.bytes, &cseq));
        self.max_forwards()?;
        if self.header(HeaderName::Date).is_some_and(|d| !is_sip_date(d)) {
            return Err(ParseError::bad("Date", "not an RFC 1123 date in GMT"));
        }
        // Contact is where in-dialog requests go: its SIP URI must parse in full.
        let contact_ok = |c: Option<NameAddr<'_>>| c.is_some_and(|c| !matches!(c.sip_uri(), Err(UriError::Malformed)));
        if self.is_request() && !self.contacts().all(contact_ok) {
            return Err(ParseError::bad("Contact", "unreadable name-addr"));
        }
        self.frame_body()
    }

    fn check_start_line(&self) -> Result<(), ParseError> {
        let version = self.version();
        if !version.eq_ignore_ascii_case(b"SIP/2.0") {
            let looks_sip = version.len() > 4 && version[..4].eq_ignore_ascii_case(b"SIP/");
            return Err(if looks_sip { ParseError::UnsupportedVersion } else { ParseError::BadStartLine });
        }
        let StartLine::Request { .. } = self.start else {
            return Ok(());
        };
        if !is_token(self.method_bytes()) {
            return Err(ParseError::BadMethod);
        }
        let uri = self.request_uri();
        let scheme = scheme_of(uri).ok_or(ParseError::BadRequestUri)?;
        if scheme.eq_ignore_ascii_case(b"tel") {
            return match uri.iter().any(|&b| b <= b' ') {
                true => Err(ParseError::BadRequestUri),
                false => Ok(()),
            };
        }
        match SipUri::parse(uri) {
            // RFC 3261 19.1.1: URI headers are not allowed in a Request-URI (RFC 4475 3.1.2.11).
            Ok(u) if !u.headers.is_empty() => Err(ParseError::BadRequestUri),
            Ok(_) => Ok(()),
            Err(UriError::UnknownScheme) if !uri.iter().any(|&b| b <= b' ') => Err(ParseError::UnsupportedUriScheme),
            Err(_) => Err(ParseError::BadRequestUri),
        }
    }

    /// RFC 3261 18.3: over a datagram transport the body is Content-Length bytes; extra bytes
    /// are discarded, missing ones are an error. Without Content-Length the body runs to the
    /// end of the datagram.
    fn frame_body(&mut self) -> Result<(), ParseError> {
        if let Some(len) = self.content_length()? {
            if len > self.body.len() {
                return Err(ParseError::BodyTruncated);
            }
            self.body = Span::new(self.body.start as usize, self.body.start as usize + len);
        }
        Ok(())
    }
}
