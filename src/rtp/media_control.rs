//! What changes a call's media besides its RTP: the peer's RTCP reports, hold and resume,
//! and a new address from a re-INVITE.

use std::net::SocketAddr;
use std::time::Instant;

use super::action::MediaAction;
use super::g711::Law;
use super::media::{rtcp_address, MediaParams, MediaSession};
use super::rtcp::parse_compound;
use crate::sdp::{Direction, Negotiated};

impl MediaSession {
    /// A datagram that arrived on the call's RTCP port (or RTCP on a muxed RTP port); `true`
    /// when it was a valid compound packet.
    pub fn on_rtcp(&mut self, data: &[u8], from: SocketAddr, now: Instant) -> bool {
        let Ok(compound) = parse_compound(data) else {
            self.malformed += 1;
            return false;
        };
        self.last_heard = now;
        self.remote_rtcp = Some(from);
        self.reports.on_compound(&compound, self.send.ssrc(), now);
        true
    }

    /// Hold (`true`) stops our sending and the media timeout; resume starts both again, with
    /// the marker on the first packet.
    pub fn hold(&mut self, held: bool, now: Instant) {
        if self.held && !held {
            self.talkspurt = true;
            self.last_heard = now;
        }
        self.held = held;
        self.next_frame = self.paced_start(now);
    }

    /// A new action for running media (the application answered after early media, say);
    /// paced sending restarts now, with the marker.
    pub fn set_action(&mut self, action: MediaAction, now: Instant) {
        let action = action.for_params(&self.params);
        if action == self.action {
            return;
        }
        self.action = action;
        self.tone = (action == MediaAction::Tone).then(|| self.new_tone());
        self.talkspurt = true;
        self.last_heard = now;
        self.next_frame = self.paced_start(now);
    }

    /// The 440 Hz tone in the call's law and packet time.
    pub(super) fn new_tone(&self) -> super::tone::ToneGenerator {
        super::tone::ToneGenerator::new(440, -10.0, self.params.law, self.params.ptime_ms)
    }

    /// When paced sending (tone, silence) starts after `now`'s change; `None` when it stops.
    pub(super) fn paced_start(&self, now: Instant) -> Option<Instant> {
        (self.action.is_paced() && !self.held).then_some(now)
    }

    pub fn rtcp_mux(&self) -> bool {
        self.params.rtcp_mux
    }

    /// The peer's addresses after a re-INVITE's SDP (RTCP: as in [`MediaParams`]); symmetric
    /// RTP latches again.
    pub fn set_remote(&mut self, remote_rtp: Option<SocketAddr>, remote_rtcp: Option<SocketAddr>, rtcp_mux: bool) {
        self.params.rtcp_mux = rtcp_mux;
        self.remote = remote_rtp;
        self.remote_rtcp = remote_rtcp.or(remote_rtp.map(|a| rtcp_address(a, rtcp_mux)));
        self.latched = false;
    }
}

impl MediaParams {
    /// Samples (and timestamp units, and G.711 bytes) in one packet: 8 000 a second, of a
    /// packet time of at least 1 ms (as the pacing timer reads it).
    pub fn samples_per_packet(&self) -> u32 {
        8 * self.ptime_ms.max(1)
    }

    /// What an offer/answer settled, and whether it puts us on hold (we may not send: our
    /// direction is `recvonly` or `inactive`, RFC 3264 8.4). A non-G.711 codec reads as
    /// µ-law; only tone and silence write samples, and they are refused such a call.
    pub fn agreed(media: &Negotiated) -> (MediaParams, bool) {
        let held = !matches!(media.direction, Direction::SendRecv | Direction::SendOnly);
        // A hold address (0.0.0.0, RFC 3264 8.4) is nowhere to send.
        let remote = (!media.remote.ip().is_unspecified()).then_some(media.remote);
        let law = Law::from_payload_type(media.payload_type);
        let params = MediaParams {
            law: law.unwrap_or(Law::Mu),
            g711: law.is_some(),
            ptime_ms: u32::from(media.ptime),
            telephone_event: media.telephone_event,
            remote_rtp: remote,
            remote_rtcp: remote.map(|_| media.rtcp_destination()),
            rtcp_mux: media.rtcp_mux,
        };
        (params, held)
    }
}
