//! SDP errors. A malformed body names the line type at fault, so the 400 (or the log line)
//! says `Bad SDP m= Line` and `detail()` says why; negotiation failures carry the status a
//! server answers an offer with (488, 491).

/// What is wrong with an SDP body (RFC 4566 syntax). `Display` gives a reason phrase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// A mandatory line is absent: `v=` first, `o=`, or a `c=` for a media stream in use.
    #[error("Missing SDP {line}= Line")]
    MissingLine { line: char },
    /// A line breaks its grammar; `line` is its type letter (`'?'` when it has none).
    #[error("Bad SDP {line}= Line")]
    BadLine { line: char, reason: &'static str },
    /// More `m=` lines than [`MAX_MEDIA`](super::MAX_MEDIA).
    #[error("Too Many SDP Media Lines")]
    TooManyMedia,
}

impl SdpError {
    /// An offer we cannot read is a bad request (RFC 3261 21.4.1).
    pub fn status_code(self) -> u16 {
        400
    }

    /// A finer description for logs; the `Display` text is the reason phrase.
    pub fn detail(self) -> &'static str {
        match self {
            SdpError::BadLine { reason, .. } => reason,
            SdpError::MissingLine { .. } | SdpError::TooManyMedia => "",
        }
    }

    pub(crate) fn bad(line: char, reason: &'static str) -> SdpError {
        SdpError::BadLine { line, reason }
    }
}

/// Why an offer/answer exchange failed. Offers are refused with [`status_code`]; an answer
/// arrives in a 2xx or ACK that cannot be refused, so the call layer ends the call with a
/// BYE instead (RFC 3261 13.2.2.4).
///
/// [`status_code`]: NegotiationError::status_code
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// The body does not parse.
    #[error(transparent)]
    Sdp(#[from] SdpError),
    /// No stream we can accept: no RTP/AVP(F) audio with a codec we support (RFC 3261 21.4.26).
    #[error("Not Acceptable Here")]
    NoAcceptableMedia,
    /// An offer is outstanding, so no new one may be made or taken (RFC 3264 4; glare, RFC 3261 14.2).
    #[error("Request Pending")]
    OfferPending,
    /// An answer arrived while no offer of ours was outstanding.
    #[error("No SDP Offer Pending")]
    NoOfferPending,
    /// The answer has a different number of `m=` lines than the offer (RFC 3264 6).
    #[error("SDP Answer Media Count Differs From Offer")]
    MediaCount { offered: usize, answered: usize },
    /// The answer lists a format the offer did not (RFC 3264 6.1).
    #[error("SDP Answer Format Not In Offer")]
    FormatNotOffered { media_index: usize },
    /// Another rule of RFC 3264 6 is broken.
    #[error("Bad SDP Answer")]
    BadAnswer { reason: &'static str },
}

impl NegotiationError {
    /// The response to an INVITE or UPDATE whose offer failed this way.
    pub fn status_code(self) -> u16 {
        match self {
            NegotiationError::Sdp(e) => e.status_code(),
            NegotiationError::OfferPending => 491,
            NegotiationError::NoOfferPending => 400,
            _ => 488,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_details_and_status_codes() {
        let e = SdpError::bad('m', "port is not a number");
        assert_eq!(e.to_string(), "Bad SDP m= Line");
        assert_eq!(e.detail(), "port is not a number");
        assert_eq!(SdpError::MissingLine { line: 'v' }.to_string(), "Missing SDP v= Line");
        assert_eq!(NegotiationError::from(e).status_code(), 400);
        assert_eq!(NegotiationError::from(e).to_string(), "Bad SDP m= Line");
        assert_eq!(NegotiationError::NoAcceptableMedia.status_code(), 488);
        assert_eq!(NegotiationError::OfferPending.status_code(), 491);
        assert_eq!(NegotiationError::FormatNotOffered { media_index: 0 }.status_code(), 488);
    }
}
