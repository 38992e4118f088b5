//! The checks a message must pass before a transaction sees it: the strict grammar of the
//! start line and of the headers every transaction rule relies on (RFC 3261 8.1.1, 8.2.2,
//! 18.3). What only the dialog layer needs is in `deferred.rs`.

use super::cache::{AddrSpans, CSeqSpans, ViaSpans};
use super::error::ParseError;
use super::header_name::HeaderName;
use super::lex::is_token;
use super::message::Message;
use super::method::Method;
use super::span::Span;
use super::start_line::StartLine;

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
    /// Checks the message and trims the body to Content-Length. Called by `parse` and
    /// `parse_datagram`: [`Message::validate_for_transaction`] and
    /// [`Message::validate_deferred`] together, with the first defect named in this order:
    /// start line, Request-URI, repeated headers, Via, From, To, Call-ID, CSeq, Max-Forwards,
    /// Date, Contact, body length.
    pub fn validate(&mut self) -> Result<(), ParseError> {
        self.check_version_and_method()?;
        self.check_request_uri()?;
        self.check_transaction_headers()?;
        self.check_date_and_contact()?;
        self.frame_body()
    }

    /// Only the checks the transaction layer relies on: the SIP version and method of the
    /// start line, single-valued headers not repeated, the top Via, From, To, Call-ID and
    /// CSeq (its method matching the request's), Max-Forwards, and the body framed by
    /// Content-Length. [`Message::validate_deferred`] does the rest when the dialog layer
    /// needs it; a message with several defects may then be refused for a different one
    /// first than [`Message::validate`] would name.
    pub fn validate_for_transaction(&mut self) -> Result<(), ParseError> {
        self.check_version_and_method()?;
        self.check_transaction_headers()?;
        self.frame_body()
    }

    fn check_transaction_headers(&mut self) -> Result<(), ParseError> {
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
        Ok(())
    }

    fn check_version_and_method(&self) -> Result<(), ParseError> {
        let version = self.version();
        let sip = |s: u8, i: u8, p: u8| [s | 0x20, i | 0x20, p | 0x20] == *b"sip";
        if !matches!(*version, [s, i, p, b'/', b'2', b'.', b'0'] if sip(s, i, p)) {
            let looks_sip = version.len() > 4 && version[..4].eq_ignore_ascii_case(b"SIP/");
            return Err(if looks_sip { ParseError::UnsupportedVersion } else { ParseError::BadStartLine });
        }
        match self.start {
            // A method recognised by name is a token already.
            StartLine::Request { method: Method::Other, .. } if !is_token(self.method_bytes()) => {
                Err(ParseError::BadMethod)
            }
            _ => Ok(()),
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
