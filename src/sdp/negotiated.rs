//! The outcome of an exchange, as the media layer needs it, and the rules both sides of an
//! exchange share to reach it.

use std::net::SocketAddr;

use smallvec::SmallVec;

use super::codec::{identify, Codec, Format};
use super::connection::Connection;
use super::direction::Direction;
use super::media::MediaDescription;
use super::parse::SessionDescription;

/// What was agreed for the audio stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// Position of the audio stream among the `m=` lines.
    pub media_index: usize,
    /// Where to send RTP; for RTCP see [`rtcp_destination`](Negotiated::rtcp_destination).
    pub remote: SocketAddr,
    /// The codec to send: the first usable one of the answer (RFC 3264 6.1, 7).
    pub codec: Codec,
    pub payload_type: u8,
    /// The payload type for RFC 4733 events, when both sides have them.
    pub telephone_event: Option<u8>,
    /// Our direction: `sendonly` means we send and expect nothing back.
    pub direction: Direction,
    /// Packet duration to send, in milliseconds.
    pub ptime: u16,
    /// RTP and RTCP share one port on both ends: both sides said `a=rtcp-mux` (RFC 5761
    /// 5.1.1). Otherwise RTCP is on the RTP port + 1 on both ends (RFC 3550 11).
    pub rtcp_mux: bool,
    /// The peer's RTCP address from its `a=rtcp` (RFC 3605), when not muxed.
    pub remote_rtcp: Option<SocketAddr>,
}

impl Negotiated {
    /// Where to send RTCP: the RTP address when muxed, else the peer's `a=rtcp` address,
    /// else the RTP port + 1 (RFC 3550 11).
    pub fn rtcp_destination(&self) -> SocketAddr {
        match (self.rtcp_mux, self.remote_rtcp) {
            (true, _) => self.remote,
            (false, Some(rtcp)) => rtcp,
            (false, None) => SocketAddr::new(self.remote.ip(), self.remote.port().wrapping_add(1)),
        }
    }
}

/// The peer's RTCP address from `a=rtcp`, on the stream's address unless it names another
/// (RFC 3605 2.1); `None` when muxed: RTCP then goes to the RTP port (RFC 5761 5).
pub(crate) fn remote_rtcp(m: &MediaDescription<'_>, rtp: SocketAddr, mux: bool) -> Option<SocketAddr> {
    let r = m.rtcp.filter(|_| !mux)?;
    Some(SocketAddr::new(r.ip.unwrap_or(rtp.ip()), r.port))
}

/// The packet time when nobody says (RFC 3551 4.5: 20 ms for the G.711 and G.722 frames).
const DEFAULT_PTIME: u32 = 20;
/// Packet times outside these bounds are clamped: below 10 ms the packet rate explodes, above
/// 120 ms a G.711 packet approaches the Ethernet MTU.
const PTIME_RANGE: (u32, u32) = (10, 120);

/// The remote side's direction for a stream, counting a `0.0.0.0` connection as "do not send
/// to me" (the RFC 2543 hold an answerer must still understand, RFC 3264 8.4).
pub(crate) fn remote_direction<'a>(
    sdp: &SessionDescription<'a>,
    m: &MediaDescription<'a>,
    c: &Connection<'_>,
) -> Direction {
    let d = sdp.direction_of(m);
    if c.is_unspecified() {
        Direction::from_parts(d.sends(), false)
    } else {
        d
    }
}

/// The packet time to send with: the one the remote asked to receive (RFC 4566 6 `ptime`),
/// else ours, capped by the remote's `maxptime`.
pub(crate) fn send_ptime(remote: &MediaDescription<'_>, ours: Option<u16>) -> u16 {
    let wanted = remote.ptime.or(ours.map(u32::from)).unwrap_or(DEFAULT_PTIME);
    let capped = remote.maxptime.map_or(wanted, |max| wanted.min(max));
    capped.clamp(PTIME_RANGE.0, PTIME_RANGE.1) as u16
}

/// The formats of an RTP stream we can use, in the stream's order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Usable {
    /// One payload type per codec: a second mapping of the same codec adds nothing.
    pub codecs: SmallVec<[(Codec, u8); 3]>,
    pub telephone_event: Option<u8>,
}

/// Collects the usable formats of `m`, keeping codecs `allowed` accepts. Each payload type
/// is looked up once, so a hostile list of thousands of formats costs at most 128 lookups.
pub(crate) fn usable_formats(m: &MediaDescription<'_>, allowed: impl Fn(Codec) -> bool) -> Usable {
    let (mut usable, mut seen) = (Usable::default(), 0u128);
    for pt in m.payload_types() {
        let bit = 1u128 << pt;
        if seen & bit != 0 {
            continue;
        }
        seen |= bit;
        match identify(pt, m.rtpmap(pt).as_ref()) {
            Some(Format::Audio(c)) if allowed(c) && !usable.codecs.iter().any(|&(x, _)| x == c) => {
                usable.codecs.push((c, pt))
            }
            Some(Format::TelephoneEvent) if usable.telephone_event.is_none() => usable.telephone_event = Some(pt),
            _ => {}
        }
    }
    usable
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdp(media: &str) -> String {
        format!("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n{media}")
    }

    #[test]
    fn usable_formats_keep_order_and_skip_the_rest() {
        let body = sdp("m=audio 1 RTP/AVP 18 8 111 0 96 8 101 102\r\na=rtpmap:111 opus/48000/2\r\n\
            a=rtpmap:96 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:102 telephone-event/8000\r\n");
        let parsed = SessionDescription::parse(body.as_bytes()).unwrap();
        let u = usable_formats(&parsed.media[0], |_| true);
        assert_eq!(&u.codecs[..], &[(Codec::Pcma, 8), (Codec::Pcmu, 0)]);
        assert_eq!(u.telephone_event, Some(101));
        let u = usable_formats(&parsed.media[0], |c| c == Codec::Pcmu);
        assert_eq!(&u.codecs[..], &[(Codec::Pcmu, 0)]);
    }

    #[test]
    fn ptime_and_rfc2543_hold() {
        let body = sdp("m=audio 1 RTP/AVP 0\r\na=ptime:30\r\nm=audio 2 RTP/AVP 0\r\na=maxptime:15\r\n\
            m=audio 3 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=ptime:1000\r\n");
        let p = SessionDescription::parse(body.as_bytes()).unwrap();
        assert_eq!(send_ptime(&p.media[0], Some(20)), 30);
        assert_eq!(send_ptime(&p.media[1], Some(20)), 15);
        assert_eq!(send_ptime(&p.media[1], None), 15);
        assert_eq!(send_ptime(&p.media[2], None), 120);
        let c = p.connection_of(&p.media[2]).unwrap();
        assert_eq!(remote_direction(&p, &p.media[2], &c), Direction::SendOnly);
        let c = p.connection_of(&p.media[0]).unwrap();
        assert_eq!(remote_direction(&p, &p.media[0], &c), Direction::SendRecv);
    }
}
