//! `Message`: one received datagram as a `Bytes` plus an index of spans into it.

use bytes::Bytes;

use super::error::ParseError;
use super::header_name::HeaderName;
use super::lex::{split_outside_quotes, trim};
use super::method::Method;
use super::scan::{scan, HeaderField, HeaderIndex};
use super::span::Span;
use super::start_line::StartLine;

/// Bounds applied while parsing; each has a defined answer when exceeded (513 or 400).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest message accepted, in bytes (a UDP datagram is at most 65 507).
    pub max_message_size: usize,
    /// Most header fields in one message.
    pub max_headers: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits { max_message_size: 65_535, max_headers: 128 }
    }
}

/// The outcome of parsing a datagram, in the terms a server acts on.
#[derive(Debug)]
pub enum Parsed {
    /// A well-formed message.
    Valid(Message),
    /// A request that is wrong but whose Via, From, To, Call-ID and CSeq can be echoed:
    /// answer it with `error.status_code()` and the error as reason phrase.
    Reject(Message, ParseError),
    /// Nothing can be answered (unreadable Via, a bad response, an ACK): drop and count it.
    Drop(ParseError),
}

/// A parsed SIP message. Cloning shares the buffer (`Bytes`) and copies the small index.
#[derive(Clone, Debug)]
pub struct Message {
    pub(super) bytes: Bytes,
    pub(super) start: StartLine,
    pub(super) headers: HeaderIndex,
    pub(super) body: Span,
}

impl Message {
    /// Parses and validates a message with default limits.
    pub fn parse(bytes: Bytes) -> Result<Message, ParseError> {
        match Message::parse_datagram(bytes, &ParseLimits::default()) {
            Parsed::Valid(m) => Ok(m),
            Parsed::Reject(_, e) | Parsed::Drop(e) => Err(e),
        }
    }

    /// Parses one datagram (bytes past Content-Length are ignored, RFC 3261 18.3) and says
    /// whether it is valid, answerable with an error, or only fit to be dropped.
    pub fn parse_datagram(bytes: Bytes, limits: &ParseLimits) -> Parsed {
        match Message::index(bytes, limits) {
            Ok(msg) => msg.into_parsed(),
            Err(e) => Parsed::Drop(e),
        }
    }

    /// Validates an indexed message and says what a server does with it (the second half
    /// of [`Message::parse_datagram`], for a caller that indexed the message already).
    pub fn into_parsed(mut self) -> Parsed {
        match self.validate() {
            Ok(()) => Parsed::Valid(self),
            Err(e) if self.can_answer() => Parsed::Reject(self, e),
            Err(e) => Parsed::Drop(e),
        }
    }

    /// Builds the index only: start line, header spans and the body up to the end of the
    /// buffer. No header value is checked; see [`Message::validate`].
    pub fn index(bytes: Bytes, limits: &ParseLimits) -> Result<Message, ParseError> {
        if bytes.len() > limits.max_message_size || bytes.len() > u32::MAX as usize {
            return Err(ParseError::TooLarge);
        }
        let mut msg = Message { start: StartLine::EMPTY, headers: HeaderIndex::new(), body: Span::default(), bytes };
        let s = scan(&msg.bytes, limits.max_headers, &mut msg.headers)?;
        msg.start = s.start;
        msg.body = Span::new(s.body_start, msg.bytes.len());
        Ok(msg)
    }

    /// A request that is not an ACK and whose top Via reads can be answered (RFC 3261 8.2.6,
    /// 17.1.1.3: ACK never gets a response).
    pub fn can_answer(&self) -> bool {
        !matches!(self.method(), None | Some(Method::Ack)) && self.top_via_for_routing().is_some()
    }

    /// The whole message as received.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Moves the message into a buffer of its own, exactly as long: for a message kept long
    /// after its datagram, which may be a slice of a receive buffer shared with many others.
    pub fn detach(&mut self) {
        self.bytes = Bytes::copy_from_slice(&self.bytes);
    }

    pub fn start_line(&self) -> StartLine {
        self.start
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The request method; `None` for a response.
    pub fn method(&self) -> Option<Method> {
        match self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The method as written (the only spelling of an extension method); empty for a response.
    pub fn method_bytes(&self) -> &[u8] {
        match self.start {
            StartLine::Request { method_span, .. } => method_span.of(&self.bytes),
            StartLine::Response { .. } => b"",
        }
    }

    /// The Request-URI as written; empty for a response.
    pub fn request_uri(&self) -> &[u8] {
        match self.start {
            StartLine::Request { uri, .. } => uri.of(&self.bytes),
            StartLine::Response { .. } => b"",
        }
    }

    /// The status code; `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// The Reason-Phrase; empty for a request.
    pub fn reason(&self) -> &[u8] {
        match self.start {
            StartLine::Response { reason, .. } => reason.of(&self.bytes),
            StartLine::Request { .. } => b"",
        }
    }

    /// The SIP-Version of the start line as written.
    pub fn version(&self) -> &[u8] {
        match self.start {
            StartLine::Request { version, .. } | StartLine::Response { version, .. } => version.of(&self.bytes),
        }
    }

    /// Every header field in order, as `(kind, name, value)`.
    pub fn headers(&self) -> impl Iterator<Item = (HeaderName, &[u8], &[u8])> + '_ {
        self.headers.iter().map(|h| (h.kind, h.name.of(&self.bytes), h.value.of(&self.bytes)))
    }

    /// The raw index entries, for writers that copy header lines byte for byte.
    pub fn header_fields(&self) -> &[HeaderField] {
        &self.headers
    }

    /// The value of the first header of this kind (compact forms included).
    pub fn header(&self, kind: HeaderName) -> Option<&[u8]> {
        self.header_all(kind).next()
    }

    /// The values of every header line of this kind, in order.
    pub fn header_all(&self, kind: HeaderName) -> impl Iterator<Item = &[u8]> + '_ {
        self.headers.iter().filter(move |h| h.kind == kind).map(|h| h.value.of(&self.bytes))
    }

    /// The value of the first header with this name (case-insensitive), for extension headers.
    pub fn header_named(&self, name: &[u8]) -> Option<&[u8]> {
        if !super::lex::is_token(name) {
            return None;
        }
        let kind = HeaderName::classify(name);
        self.headers
            .iter()
            .find(|h| {
                h.kind == kind && (kind != HeaderName::Other || h.name.of(&self.bytes).eq_ignore_ascii_case(name))
            })
            .map(|h| h.value.of(&self.bytes))
    }

    /// The comma-separated elements of every header line of this kind (RFC 3261 7.3.1),
    /// split lazily outside quoted strings and angle brackets, trimmed, empties skipped.
    pub fn values(&self, kind: HeaderName) -> impl Iterator<Item = &[u8]> + '_ {
        self.header_all(kind).flat_map(ListItems)
    }

    /// The body: exactly Content-Length bytes once validated.
    pub fn body(&self) -> &[u8] {
        self.body.of(&self.bytes)
    }

    /// The body as a `Bytes` sharing the message buffer.
    pub fn body_bytes(&self) -> Bytes {
        self.bytes.slice(self.body.start as usize..self.body.end as usize)
    }
}

/// Iterator over the elements of one comma-separated header value.
struct ListItems<'a>(&'a [u8]);

impl<'a> Iterator for ListItems<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        while !self.0.is_empty() {
            let (item, rest) = split_outside_quotes(self.0, b',');
            self.0 = rest.unwrap_or(b"");
            let item = trim(item);
            if !item.is_empty() {
                return Some(item);
            }
        }
        None
    }
}
