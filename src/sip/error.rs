//! Parse errors that name the offending part, so that a server can answer with a reason
//! phrase a human can act on (`400 Bad CSeq`) instead of a bare `400 Bad Request`.

/// What is wrong with a message. `Display` gives the reason phrase of the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The datagram is larger than the configured `max_message_size`.
    #[error("Message Too Large")]
    TooLarge,
    /// More header lines than the configured `max_headers`.
    #[error("Too Many Headers")]
    TooManyHeaders,
    /// The header section never ends with an empty line.
    #[error("Missing Empty Line After Headers")]
    Unterminated,
    /// The first line is neither a Request-Line nor a Status-Line.
    #[error("Bad Start Line")]
    BadStartLine,
    /// The method of the Request-Line is not a token.
    #[error("Bad Method")]
    BadMethod,
    /// The Request-URI is malformed (white space, missing scheme, bad host or port).
    #[error("Bad Request-URI")]
    BadRequestUri,
    /// The Request-URI has a scheme we cannot route (RFC 3261 8.2.2.1: 416).
    #[error("Unsupported URI Scheme")]
    UnsupportedUriScheme,
    /// The SIP-Version is not 2.0 (RFC 3261 8.2.2.1 ... 21.5.26: 505).
    #[error("Version Not Supported")]
    UnsupportedVersion,
    /// A header line has no colon or its name is not a token.
    #[error("Bad Header Line")]
    BadHeaderLine,
    /// A header is present but its value breaks its grammar.
    #[error("Bad {name}")]
    BadHeader { name: &'static str, reason: &'static str },
    /// A header RFC 3261 8.1.1 requires is absent.
    #[error("Missing {0}")]
    MissingHeader(&'static str),
    /// A single-valued header appears twice with different values.
    #[error("Conflicting {0}")]
    Duplicate(&'static str),
    /// The CSeq method differs from the Request-Line method (RFC 3261 8.1.1.5).
    #[error("CSeq Method Mismatch")]
    CSeqMethodMismatch,
    /// Fewer body bytes than Content-Length announces (RFC 3261 18.3).
    #[error("Body Shorter Than Content-Length")]
    BodyTruncated,
    /// A stream transport message without Content-Length (RFC 3261 18.3).
    #[error("Missing Content-Length")]
    MissingContentLength,
}

impl ParseError {
    /// The status code of the answer to a request with this defect.
    pub fn status_code(self) -> u16 {
        match self {
            ParseError::TooLarge => 513,
            ParseError::UnsupportedVersion => 505,
            ParseError::UnsupportedUriScheme => 416,
            _ => 400,
        }
    }

    /// A finer description for logs and statistics; the `Display` text is the reason phrase.
    pub fn detail(self) -> &'static str {
        match self {
            ParseError::BadHeader { reason, .. } => reason,
            _ => "",
        }
    }

    /// Shorthand for a `BadHeader` naming the header and the rule it broke.
    pub(crate) fn bad(name: &'static str, reason: &'static str) -> ParseError {
        ParseError::BadHeader { name, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::ParseError;

    #[test]
    fn reason_phrase_names_the_header() {
        let e = ParseError::bad("CSeq", "number above 2^31-1");
        assert_eq!(e.to_string(), "Bad CSeq");
        assert_eq!(e.status_code(), 400);
        assert_eq!(e.detail(), "number above 2^31-1");
        assert_eq!(ParseError::UnsupportedVersion.status_code(), 505);
        assert_eq!(ParseError::UnsupportedUriScheme.status_code(), 416);
    }
}
