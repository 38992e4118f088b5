//! One call's media, sans-IO: what arrives on the call's RTP (and RTCP) port goes in with
//! `now`, and what to send comes out, according to the call's [`MediaAction`]. The shard
//! that owns the call owns its ports and carries the outputs to the sockets.
//!
//! Symmetric RTP (RFC 4961): we send to the address the SDP names until the peer's first
//! valid packet arrives, then to wherever its packets come from, so a peer behind NAT is
//! reached. A new source address is followed only together with a new SSRC (the peer
//! restarted), so a stray datagram from elsewhere cannot steer the stream.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::action::MediaAction;
use super::dtmf::DtmfReceiver;
use super::g711::Law;
use super::media_digits::DigitPacket;
use super::media_out::{MediaOut, MediaOutput};
use super::media_stats::EarlierSources;
use super::packet::{is_rtcp, RtpPacket};
use super::reports::{Reports, WallClock};
use super::send::{EchoTimeline, SendStream};
use super::stream::ReceiveStream;
use super::tone::ToneGenerator;
use crate::session::{mix64, GOLDEN_GAMMA};

/// What the offer/answer settled for the call's audio stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaParams {
    /// The G.711 law tone and silence are written in (µ-law when the codec is another).
    pub law: Law,
    /// The agreed codec is G.711: only then may tone and silence write samples.
    pub g711: bool,
    /// Milliseconds of audio per packet (`a=ptime`, 20 by default).
    pub ptime_ms: u32,
    /// The payload type of `telephone-event`, when both sides offered it (RFC 4733).
    pub telephone_event: Option<u8>,
    /// Where the SDP says to send RTP; `None` for a hold address or port 0.
    pub remote_rtp: Option<SocketAddr>,
    /// Where the SDP says to send RTCP (`a=rtcp`, RFC 3605; else port + 1; with mux the RTP
    /// address); `None` to derive it from `remote_rtp`.
    pub remote_rtcp: Option<SocketAddr>,
    /// RTP and RTCP on one port (`a=rtcp-mux`, RFC 5761); otherwise RTCP is on port + 1.
    pub rtcp_mux: bool,
}

#[derive(Debug)]
pub struct MediaSession {
    pub(super) action: MediaAction,
    pub(super) params: MediaParams,
    pub(super) remote: Option<SocketAddr>,
    pub(super) remote_rtcp: Option<SocketAddr>,
    pub(super) latched: bool,
    pub(super) send: SendStream,
    /// The paced media clock: frames due since the start, from our first timestamp.
    pub(super) first_timestamp: u32,
    pub(super) frames_due: u32,
    /// Telephone-event packets to send (when, RTP timestamp and payload); audio waits.
    pub(super) digit_queue: VecDeque<(Instant, DigitPacket)>,
    pub(super) echo: EchoTimeline,
    pub(super) recv: Option<ReceiveStream>,
    /// What the peer's earlier sources (SSRCs) of this call counted.
    pub(super) earlier: EarlierSources,
    pub(super) dtmf: DtmfReceiver,
    pub(super) tone: Option<ToneGenerator>,
    pub(super) reports: Reports,
    pub(super) held: bool,
    /// Joined to another call's media: what arrives goes there, not back (no echo).
    pub(super) bridged: bool,
    /// The first packet after a silence of ours carries the marker (RFC 3551 4.1).
    pub(super) talkspurt: bool,
    pub(super) next_frame: Option<Instant>,
    pub(super) last_heard: Instant,
    pub(super) timeout: Option<Duration>,
    pub(super) timed_out: bool,
    pub(super) rng: u64,
    pub malformed: u64,
    pub digits: u32,
}

impl MediaSession {
    /// Media of a call answered at `now`. `seed` makes the SSRC, first sequence number and
    /// timestamp and the RTCP intervals unpredictable (RFC 3550 5.1, 6.3); `timeout` ends a
    /// silent call (not while held).
    pub fn new(
        action: MediaAction,
        params: MediaParams,
        wall: WallClock,
        now: Instant,
        seed: u64,
        timeout: Option<Duration>,
    ) -> MediaSession {
        let mut rng = seed;
        let (ssrc, first) = (splitmix(&mut rng) as u32, splitmix(&mut rng));
        let action = action.for_params(&params);
        let mut m = MediaSession {
            action,
            params,
            remote: params.remote_rtp,
            remote_rtcp: params.remote_rtcp.or(params.remote_rtp.map(|a| rtcp_address(a, params.rtcp_mux))),
            latched: false,
            send: SendStream::new(ssrc, first as u16, (first >> 32) as u32),
            first_timestamp: (first >> 32) as u32,
            frames_due: 0,
            digit_queue: VecDeque::new(),
            echo: EchoTimeline::default(),
            recv: None,
            earlier: EarlierSources::default(),
            dtmf: DtmfReceiver::new(8000),
            tone: None,
            reports: Reports::new(wall, now, splitmix(&mut rng) as u32),
            held: false,
            bridged: false,
            talkspurt: true,
            next_frame: None,
            last_heard: now,
            timeout,
            timed_out: false,
            rng,
            malformed: 0,
            digits: 0,
        };
        m.tone = (action == MediaAction::Tone).then(|| m.new_tone());
        m.next_frame = m.paced_start(now);
        m
    }

    pub(super) fn draw(&mut self) -> u32 {
        splitmix(&mut self.rng) as u32
    }

    /// A datagram that arrived on the call's RTP port (RTP, or RTCP with `rtcp_mux`).
    /// Returns the packet when it was valid RTP, for a bridge to relay.
    pub fn on_rtp_port<'a>(
        &mut self,
        data: &'a [u8],
        from: SocketAddr,
        now: Instant,
        out: &mut MediaOut,
    ) -> Option<RtpPacket<'a>> {
        if self.params.rtcp_mux && is_rtcp(data) {
            if self.on_rtcp(data, from, now) && !self.latched {
                // One port both ways: a valid report shows where the peer is, as RTP would.
                (self.remote, self.latched) = (Some(from), true);
            }
            return None;
        }
        let Ok(p) = RtpPacket::parse(data) else {
            self.malformed += 1;
            return None;
        };
        self.last_heard = now;
        let new_source = self.recv.as_ref().is_none_or(|r| r.ssrc() != p.ssrc());
        if new_source {
            // A new SSRC (RTP restarted, or a second stream such as SIPp's DTMF recording):
            // the old one's counts stay in the call's.
            if let Some(old) = self.recv.replace(ReceiveStream::new(p.ssrc(), p.sequence(), 8000, now)) {
                self.earlier.add(&old);
            }
        }
        if !self.latched || (new_source && self.remote != Some(from)) {
            // RFC 4961: answer where the peer really sends from.
            self.remote = Some(from);
            self.latched = true;
        }
        if let Some(r) = self.recv.as_mut() {
            r.on_packet(p.sequence(), p.timestamp(), p.payload().len(), now);
        }
        if Some(p.payload_type()) == self.params.telephone_event {
            if let Ok(digits) = self.dtmf.on_packet(p.timestamp(), p.marker(), p.payload()) {
                self.digits += digits.len() as u32;
                out.items.extend(digits.into_iter().map(MediaOutput::Digit));
            }
        }
        if self.action == MediaAction::Echo && !self.bridged {
            self.relay(&p, out);
        }
        Some(p)
    }

    /// Sends `p`'s payload to our peer as a packet of our own stream: echo sends back what
    /// this call received, a bridge what the other call did. Nothing while held.
    pub fn relay(&mut self, p: &RtpPacket<'_>, out: &mut MediaOut) {
        let Some(to) = self.remote.filter(|_| !self.held) else { return };
        let step = self.echo.advance(p.ssrc(), p.timestamp(), p.payload().len() as u32);
        // Both taken: `||` would skip clearing the talkspurt when the packet is marked.
        let marker = std::mem::take(&mut self.talkspurt) | p.marker();
        let header = self.send.next(p.payload_type(), marker, step, p.payload().len());
        out.scratch.extend_from_slice(&header.to_bytes());
        out.scratch.extend_from_slice(p.payload());
        let data = out.take();
        out.items.push(MediaOutput::Rtp { to, data });
    }
}

pub(super) fn rtcp_address(rtp: SocketAddr, mux: bool) -> SocketAddr {
    match mux {
        true => rtp,
        false => SocketAddr::new(rtp.ip(), rtp.port().wrapping_add(1)),
    }
}

/// SplitMix64 (the endpoint's identifiers use the same): a call's own stream of
/// random-looking numbers from one seed.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN_GAMMA);
    mix64(*state)
}
