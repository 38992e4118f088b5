//! `Message`: one received datagram as a `Bytes` plus an index of spans into it.

use bytes::Bytes;

use super::cache::Cache;
use super::error::ParseError;
use super::header_name::HeaderName;
use super::headers::Slots;
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
    pub(super) slots: Slots,
    pub(super) cache: Cache,
    pub(super) body: Span,
}

impl Message {
    /// Parses and validates a message with default limits.
    pub fn parse(bytes: Bytes) -> Result<Message, ParseError> {
        // Built in place and moved once: a message is a few hundred bytes of inline index.
        let mut msg = Message::unindexed(bytes);
        msg.build_index(&ParseLimits::default())?;
        msg.validate()?;
        Ok(msg)
    }

    /// Parses and checks only what the transaction layer relies on (see
    /// [`Message::validate_for_transaction`]): the Request-URI, Date and Contact are left for
    /// [`Message::validate_deferred`].
    pub fn parse_for_transaction(bytes: Bytes) -> Result<Message, ParseError> {
        let mut msg = Message::unindexed(bytes);
        msg.build_index(&ParseLimits::default())?;
        msg.validate_for_transaction()?;
        Ok(msg)
    }

    /// Parses one datagram (bytes past Content-Length are ignored, RFC 3261 18.3) and says
    /// whether it is valid, answerable with an error, or only fit to be dropped.
    pub fn parse_datagram(bytes: Bytes, limits: &ParseLimits) -> Parsed {
        Message::index(bytes, limits).map_or_else(Parsed::Drop, Message::into_parsed)
    }

    /// Validates an indexed message and says what a server does with it (the second half
    /// of [`Message::parse_datagram`], for a caller that indexed the message already).
    pub fn into_parsed(mut self) -> Parsed {
        let checked = self.validate();
        self.verdict(checked)
    }

    /// What a server does with this message given the outcome of its validation: a request
    /// whose defect can be answered is refused, anything else wrong is dropped.
    pub(super) fn verdict(self, checked: Result<(), ParseError>) -> Parsed {
        match checked {
            Ok(()) => Parsed::Valid(self),
            Err(e) if self.can_answer() => Parsed::Reject(self, e),
            Err(e) => Parsed::Drop(e),
        }
    }

    /// Builds the index only: start line, header spans and the body up to the end of the
    /// buffer. No header value is checked; see [`Message::validate`].
    pub fn index(bytes: Bytes, limits: &ParseLimits) -> Result<Message, ParseError> {
        let mut msg = Message::unindexed(bytes);
        msg.build_index(limits)?;
        Ok(msg)
    }

    /// Lets go of the bytes and empties the index, in place: a box whose message is gone
    /// (`transaction::LivePool`) without writing a whole new `Message` over it.
    pub(crate) fn clear(&mut self) {
        self.bytes = Bytes::new();
        self.headers.clear();
        (self.start, self.slots, self.cache, self.body) =
            (StartLine::EMPTY, Slots::default(), Cache::default(), Span::default());
    }

    /// A message not indexed yet, for [`Message::build_index`] to index where it lies: a
    /// `Message` returned through `Result` (as [`Message::index`] does) is copied once more.
    #[inline]
    pub(crate) fn unindexed(bytes: Bytes) -> Message {
        Message {
            start: StartLine::EMPTY,
            headers: HeaderIndex::new(),
            slots: Slots::default(),
            cache: Cache::default(),
            body: Span::default(),
            bytes,
        }
    }

    /// Indexes a message made by [`Message::unindexed`]; after an error, drop it.
    #[inline]
    pub(crate) fn build_index(&mut self, limits: &ParseLimits) -> Result<(), ParseError> {
        if self.bytes.len() > limits.max_message_size || self.bytes.len() > u32::MAX as usize {
            return Err(ParseError::TooLarge);
        }
        let s = scan(&self.bytes, limits.max_headers, &mut self.headers, &mut self.slots)?;
        self.start = s.start;
        self.body = Span::new(s.body_start, self.bytes.len());
        Ok(())
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

    /// The body: exactly Content-Length bytes once validated.
    pub fn body(&self) -> &[u8] {
        self.body.of(&self.bytes)
    }

    /// The body as a `Bytes` sharing the message buffer.
    pub fn body_bytes(&self) -> Bytes {
        self.bytes.slice(self.body.start as usize..self.body.end as usize)
    }
}
