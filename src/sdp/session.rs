//! `SdpSession`: the offer/answer state one call keeps (RFC 3264 4 and 8).

use bytes::BytesMut;

use super::apply::apply_answer;
use super::direction::Direction;
use super::error::NegotiationError;
use super::local::{LocalConfig, LocalDescription, LocalMedia, LocalOrigin, RtpProfile};
use super::negotiated::Negotiated;
use super::offer_answer::{answer, create_offer, offered_stream};
use super::parse::SessionDescription;
use super::write::write;

/// Where the exchange stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// No offer outstanding: either side may make one.
    Stable,
    /// Our last description is an offer awaiting its answer (in a 2xx, or in the ACK for a
    /// late offer). `previous` is the direction to return to if the offer fails.
    OfferSent { previous: Direction },
}

/// The offer/answer state of one call: our configuration, our `o=` line, the last description
/// we sent and what was last agreed. The same methods serve an early offer (INVITE with SDP:
/// `answer_to`) and a late one (INVITE without SDP: `offer` for the 2xx, `apply_answer` on the
/// ACK), and every re-INVITE after them.
#[derive(Clone, Debug)]
pub struct SdpSession {
    config: LocalConfig,
    origin: LocalOrigin,
    local: Option<LocalDescription>,
    negotiated: Option<Negotiated>,
    state: State,
}

impl SdpSession {
    /// A session with nothing sent yet; the first description carries `origin.version`.
    pub fn new(config: LocalConfig, origin: LocalOrigin) -> SdpSession {
        SdpSession { config, origin, local: None, negotiated: None, state: State::Stable }
    }

    pub fn config(&self) -> &LocalConfig {
        &self.config
    }

    /// Changes what the next offer or answer says (codecs, port, packet time).
    pub fn config_mut(&mut self) -> &mut LocalConfig {
        &mut self.config
    }

    pub fn origin(&self) -> &LocalOrigin {
        &self.origin
    }

    /// The last description we sent, offer or answer.
    pub fn local(&self) -> Option<&LocalDescription> {
        self.local.as_ref()
    }

    /// What the last successful exchange agreed.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    pub fn offer_pending(&self) -> bool {
        matches!(self.state, State::OfferSent { .. })
    }

    /// Makes an offer with our side's `direction`: `sendonly` puts the call on hold,
    /// `sendrecv` resumes it (RFC 3264 8.4). A re-offer keeps every `m=` line of the last
    /// description in place, rejected ones at port 0 (RFC 3264 8), and lists our codecs anew.
    pub fn offer(&mut self, direction: Direction) -> Result<&LocalDescription, NegotiationError> {
        if self.offer_pending() {
            return Err(NegotiationError::OfferPending);
        }
        self.keep_mux();
        let previous = std::mem::replace(&mut self.config.direction, direction);
        match self.next_offer() {
            Ok(desc) => {
                self.state = State::OfferSent { previous };
                Ok(self.publish(desc))
            }
            Err(e) => {
                self.config.direction = previous;
                Err(e)
            }
        }
    }

    fn next_offer(&self) -> Result<LocalDescription, NegotiationError> {
        let Some(last) = &self.local else { return create_offer(&self.config) };
        let mut desc = LocalDescription { address: self.config.address, media: last.media.clone() };
        let slot = desc.media.iter_mut().find_map(|m| match m {
            LocalMedia::Audio(a) => Some(a),
            LocalMedia::Rejected { .. } => None,
        });
        match slot {
            Some(a) => *a = offered_stream(&self.config, a.profile)?,
            // RFC 3264 8.1: a new stream goes below the existing ones.
            None => desc.media.push(LocalMedia::Audio(offered_stream(&self.config, RtpProfile::Avp)?)),
        }
        Ok(desc)
    }

    /// Answers a remote offer; write the answer with [`write_local`](Self::write_local).
    /// An offer that arrives while ours is outstanding is glare (491, RFC 3261 14.2). A
    /// failed offer changes nothing: the previous agreement stays (RFC 3264 8).
    pub fn answer_to(&mut self, offer: &SessionDescription<'_>) -> Result<Negotiated, NegotiationError> {
        if self.offer_pending() {
            return Err(NegotiationError::OfferPending);
        }
        self.keep_mux();
        let (desc, negotiated) = answer(offer, &self.config)?;
        self.publish(desc);
        Ok(self.agreed(negotiated))
    }

    /// Takes the answer to our outstanding offer. If it is unacceptable the exchange is over
    /// all the same, and the previous agreement and direction stay in force.
    pub fn apply_answer(&mut self, answer: &SessionDescription<'_>) -> Result<Negotiated, NegotiationError> {
        let (State::OfferSent { previous }, Some(offer)) = (self.state, &self.local) else {
            return Err(NegotiationError::NoOfferPending);
        };
        self.state = State::Stable;
        match apply_answer(offer, answer) {
            Ok(negotiated) => Ok(self.agreed(negotiated)),
            Err(e) => {
                self.config.direction = previous;
                Err(e)
            }
        }
    }

    /// Takes another answer to the offer an earlier answer already settled: a forked INVITE's
    /// offer is answered by each fork (RFC 3261 13.2.2.4, RFC 3264 4), and the fork whose 2xx
    /// confirms the call may not be the one whose early answer was taken. Our last
    /// description must be that offer. If the answer is unusable the previous agreement stays.
    pub fn apply_answer_again(&mut self, answer: &SessionDescription<'_>) -> Result<Negotiated, NegotiationError> {
        let offer = match (self.state, &self.local) {
            (State::Stable, Some(offer)) => offer,
            (State::OfferSent { .. }, _) => return Err(NegotiationError::OfferPending),
            (State::Stable, None) => return Err(NegotiationError::NoOfferPending),
        };
        let negotiated = apply_answer(offer, answer)?;
        Ok(self.agreed(negotiated))
    }

    /// Our offer was refused (a non-2xx to the re-INVITE): nothing changes (RFC 3264 8).
    /// The refused offer stays the reference for the next `o=` version, because the peer
    /// may have seen it.
    pub fn offer_rejected(&mut self) {
        if let State::OfferSent { previous } = self.state {
            self.config.direction = previous;
            self.state = State::Stable;
        }
    }

    fn agreed(&mut self, negotiated: Negotiated) -> Negotiated {
        *self.negotiated.insert(negotiated)
    }

    /// Once RTCP is muxed our side never drops it: later offers and answers keep
    /// `a=rtcp-mux` even if the config was changed, since moving RTCP mid-call gains nothing
    /// and strands reports in flight. Only the peer can end it, by leaving it out of a
    /// re-offer (we may not answer with it then, RFC 8035) or of its answer (RFC 5761 5.1.1);
    /// RTCP then returns to port + 1, which stays reserved.
    fn keep_mux(&mut self) {
        self.config.rtcp_mux |= self.negotiated.is_some_and(|n| n.rtcp_mux);
    }

    /// Writes the last description we made; false when there is none yet.
    pub fn write_local(&self, out: &mut BytesMut) -> bool {
        self.local.as_ref().map(|desc| write(out, &self.origin, desc)).is_some()
    }

    /// Records a description we are about to send. RFC 3264 8: the version goes up by one
    /// when the description changes, and stays when it is identical (a session refresh).
    fn publish(&mut self, desc: LocalDescription) -> &LocalDescription {
        if self.local.as_ref().is_some_and(|last| *last != desc) {
            self.origin.version = self.origin.version.wrapping_add(1);
        }
        self.local.insert(desc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> SdpSession {
        let origin = LocalOrigin { username: Default::default(), session_id: 5, version: 5 };
        SdpSession::new(LocalConfig::new([10, 0, 0, 1].into(), 4000), origin)
    }

    fn answer_body(direction: &str) -> String {
        format!("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\nm=audio 8000 RTP/AVP 0\r\na={direction}\r\n")
    }

    #[test]
    fn versions_follow_changes_only() {
        let mut s = session();
        s.offer(Direction::SendRecv).unwrap();
        assert_eq!(s.origin().version, 5);
        s.apply_answer(&SessionDescription::parse(answer_body("sendrecv").as_bytes()).unwrap()).unwrap();
        s.offer(Direction::SendRecv).unwrap();
        assert_eq!(s.origin().version, 5, "an identical refresh keeps the version");
        s.offer_rejected();
        s.offer(Direction::SendOnly).unwrap();
        assert_eq!(s.origin().version, 6);
    }

    #[test]
    fn rejected_and_failed_offers_restore_the_direction() {
        let mut s = session();
        s.offer(Direction::SendOnly).unwrap();
        assert_eq!(s.offer(Direction::SendRecv).unwrap_err(), NegotiationError::OfferPending);
        s.offer_rejected();
        assert_eq!((s.config().direction, s.offer_pending()), (Direction::SendRecv, false));
        s.offer(Direction::Inactive).unwrap();
        let bad = answer_body("sendrecv").replace("RTP/AVP 0", "RTP/AVP 18");
        assert!(s.apply_answer(&SessionDescription::parse(bad.as_bytes()).unwrap()).is_err());
        assert_eq!((s.config().direction, s.negotiated()), (Direction::SendRecv, None));
        let body = answer_body("sendrecv");
        let good = SessionDescription::parse(body.as_bytes()).unwrap();
        assert_eq!(s.apply_answer(&good), Err(NegotiationError::NoOfferPending));
        let mut out = BytesMut::new();
        assert!(s.write_local(&mut out) && out.starts_with(b"v=0\r\no=- 5 6 IN IP4 10.0.0.1\r\n"));
        assert!(!session().write_local(&mut out));
        s.config_mut().codecs.clear();
        assert_eq!(s.offer(Direction::SendOnly).unwrap_err(), NegotiationError::NoAcceptableMedia);
        assert_eq!((s.config().direction, s.offer_pending()), (Direction::SendRecv, false));
    }

    #[test]
    fn another_answer_to_the_same_offer_replaces_the_agreement() {
        let mut s = session();
        assert_eq!(
            s.apply_answer_again(&SessionDescription::parse(answer_body("sendrecv").as_bytes()).unwrap()),
            Err(NegotiationError::NoOfferPending),
            "nothing offered yet"
        );
        s.offer(Direction::SendRecv).unwrap();
        let first = answer_body("sendrecv");
        assert_eq!(s.apply_answer(&SessionDescription::parse(first.as_bytes()).unwrap()).unwrap().remote.port(), 8000);
        let other = first.replace("audio 8000", "audio 8002");
        let n = s.apply_answer_again(&SessionDescription::parse(other.as_bytes()).unwrap()).unwrap();
        assert_eq!((n.remote.port(), s.negotiated().map(|n| n.remote.port())), (8002, Some(8002)));
        let bad = first.replace("RTP/AVP 0", "RTP/AVP 18");
        assert!(s.apply_answer_again(&SessionDescription::parse(bad.as_bytes()).unwrap()).is_err());
        assert_eq!(s.negotiated().map(|n| n.remote.port()), Some(8002), "a bad answer changes nothing");
        assert_eq!(s.origin().version, 5, "our offer is the same");
    }

    #[test]
    fn once_muxed_our_side_keeps_offering_and_accepting_mux() {
        let mut s = session();
        s.offer(Direction::SendRecv).unwrap();
        let muxed = answer_body("sendrecv") + "a=rtcp-mux\r\n";
        assert!(s.apply_answer(&SessionDescription::parse(muxed.as_bytes()).unwrap()).unwrap().rtcp_mux);
        // Turning the option off mid-call does not take mux out of our re-offer.
        s.config_mut().rtcp_mux = false;
        s.offer(Direction::SendOnly).unwrap();
        let mut out = BytesMut::new();
        assert!(s.write_local(&mut out) && out.windows(12).any(|w| w == b"a=rtcp-mux\r\n"));
        let n = s.apply_answer(&SessionDescription::parse(muxed.as_bytes()).unwrap()).unwrap();
        assert!(n.rtcp_mux && s.config().rtcp_mux);
        // A peer re-offer without it ends mux: we may not answer with it (RFC 8035).
        let plain = answer_body("sendrecv");
        let n = s.answer_to(&SessionDescription::parse(plain.as_bytes()).unwrap()).unwrap();
        assert_eq!(
            (n.rtcp_mux, s.local().and_then(|d| d.audio_stream()).map(|(_, a)| a.rtcp_mux)),
            (false, Some(false))
        );
    }
}
