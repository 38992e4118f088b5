//! Fuzz target `rtp_rtcp`: media datagrams as a shard's media plane meets them. The whole
//! input is first read as one RTP packet, one compound RTCP packet and one telephone event;
//! then it is split into records `[op, len, len bytes...]` that drive a receive stream, a
//! DTMF receiver, an RTCP report state and a `MediaPlane` with two calls (one echoing with
//! RTCP on port + 1, one playing a tone with RTCP multiplexed) on a virtual clock.
//!
//! Invariants besides "no panic": a parsed RTP header written again reads the same; an
//! event block written again reads the same; a stream never counts more packets received
//! than arrived; the plane sends only from the two ports in use, to their peers.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use callshard::rtp::dtmf::{DtmfReceiver, TelephoneEvent};
use callshard::rtp::reports::{Reports, WallClock};
use callshard::rtp::rtcp::{parse_compound, RtcpPacket};
use callshard::rtp::{is_rtcp, MediaAction, MediaPlane, PlaneOutput, ReceiveStream, RtpHeader, RtpPacket, SendStream};
use callshard::sdp::{Codec, Direction, Negotiated};

const ECHO: u16 = 30_000;
const TONE: u16 = 30_002;

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    whole(data);
    let t0 = Instant::now();
    let wall = WallClock { at: t0, unix: Duration::from_secs(1_800_000_000) };
    let mut plane = MediaPlane::new((ECHO, ECHO + 9), wall, 7, Some(Duration::from_secs(30)), "fuzz@test");
    for (port, action, peer, mux) in
        [(ECHO, MediaAction::Echo, "10.0.0.1:4000", false), (TONE, MediaAction::Tone, "10.0.0.2:5000", true)]
    {
        plane.assign(port, action, u64::from(port));
        plane.negotiated(port, &agreed(peer, mux), t0);
    }
    let (mut now, mut held) = (t0, false);
    let mut stream: Option<ReceiveStream> = None;
    let mut dtmf = DtmfReceiver::new(8000);
    let mut reports = Reports::new(wall, t0, 12_345);
    let (mut arrived, mut rest) = (0u32, data);
    while let [op, len, tail @ ..] = rest {
        let (record, next) = tail.split_at(usize::from(*len).min(tail.len()));
        rest = next;
        match op % 8 {
            0 => plane.on_datagram(ECHO, false, record, peer("10.0.0.1:4000"), now),
            1 => plane.on_datagram(ECHO, true, record, peer("10.0.0.1:4001"), now),
            2 => plane.on_datagram(TONE, false, record, peer("10.0.0.2:5000"), now),
            3 => {
                now += Duration::from_millis(u64::from(*len) * 4);
                plane.on_timer(now);
                if reports.next_due() <= now {
                    let mut out = BytesMut::new();
                    reports.write(now, &SendStream::new(1, 2, 3), stream.as_mut(), b"fuzz", None, 7, &mut out);
                    assert!(parse_compound(&out).is_ok(), "our own report does not parse");
                }
                let _ = dtmf.on_timeout();
            }
            4 => {
                let _ = plane.send_digit(ECHO, char::from(b"0123456789*#ABCD"[usize::from(*len) % 16]), 100, now);
                held = !held;
                plane.negotiated(
                    TONE,
                    &Negotiated {
                        direction: if held { Direction::SendOnly } else { Direction::SendRecv },
                        ..agreed("10.0.0.2:5000", true)
                    },
                    now,
                );
            }
            5 => {
                if let Ok(c) = parse_compound(record) {
                    reports.on_compound(&c, 1, now);
                }
            }
            _ => {
                let Ok(p) = RtpPacket::parse(record) else { continue };
                arrived += 1;
                let s = stream.get_or_insert_with(|| ReceiveStream::new(p.ssrc(), p.sequence(), 8000, now));
                let _ = s.on_packet(p.sequence(), p.timestamp(), p.payload().len(), now);
                assert!(s.received() <= arrived, "more received than arrived");
                let _ = (s.lost(), s.jitter(), s.jitter_ms(), s.extended_highest());
                if p.payload_type() == 101 {
                    let _ = dtmf.on_packet(p.timestamp(), p.marker(), p.payload());
                }
            }
        }
        check_outputs(&mut plane);
    }
    if let Some(s) = stream.as_mut() {
        let _ = s.loss_report();
    }
    let _ = (plane.stats(ECHO), plane.stop(ECHO, now), plane.stop(TONE, now));
    check_outputs(&mut plane);
}

/// The whole input as one packet of each kind.
fn whole(data: &[u8]) {
    let _ = is_rtcp(data);
    if let Ok(p) = RtpPacket::parse(data) {
        let header = RtpHeader {
            marker: p.marker(),
            payload_type: p.payload_type(),
            sequence: p.sequence(),
            timestamp: p.timestamp(),
            ssrc: p.ssrc(),
        };
        let _ = (p.csrcs().count(), p.extension(), p.payload_range(), p.bytes().len());
        let mut out = Vec::new();
        header.write(p.payload(), &mut out);
        let again = RtpPacket::parse(&out).expect("a packet we wrote parses");
        assert_eq!(
            (again.sequence(), again.timestamp(), again.ssrc(), again.payload()),
            (p.sequence(), p.timestamp(), p.ssrc(), p.payload())
        );
    }
    if let Ok(c) = parse_compound(data) {
        let _ = (c.ssrc(), c.cname(), c.as_bytes().len());
        for packet in c.packets() {
            match packet {
                RtcpPacket::SenderReport(sr) => {
                    let _ = (sr.ssrc, sr.sender_info, sr.blocks.iter().count(), sr.blocks.get(0), sr.extension);
                }
                RtcpPacket::ReceiverReport(rr) => {
                    let _ = (rr.ssrc, rr.blocks.len(), rr.blocks.iter().count(), rr.extension);
                }
                RtcpPacket::Sdes(s) => {
                    let _ = (s.len(), s.cname_of(1));
                    for chunk in s.chunks() {
                        let _ = (chunk.ssrc, chunk.items().count(), chunk.cname());
                    }
                }
                RtcpPacket::Bye(b) => {
                    let _ = (b.len(), b.ssrcs().count(), b.reason(), b.reason_str());
                }
            }
        }
    }
    if let Ok(e) = TelephoneEvent::parse(data) {
        let again = TelephoneEvent::parse(&e.to_bytes()).expect("an event we wrote parses");
        assert_eq!((again.event, again.end, again.duration), (e.event, e.end, e.duration));
        let _ = e.digit();
    }
}

fn peer(s: &str) -> SocketAddr {
    s.parse().expect("an address")
}

fn agreed(remote: &str, rtcp_mux: bool) -> Negotiated {
    Negotiated {
        media_index: 0,
        remote: peer(remote),
        codec: Codec::Pcmu,
        payload_type: 0,
        telephone_event: Some(101),
        direction: Direction::SendRecv,
        ptime: 20,
        rtcp_mux,
        remote_rtcp: None,
    }
}

/// The plane speaks only from the calls' ports, to their peers.
fn check_outputs(plane: &mut MediaPlane) {
    for o in plane.drain() {
        if let PlaneOutput::Send { port, to, .. } = o {
            assert!(port == ECHO || port == TONE, "sent from port {port}");
            assert!(to.ip() == peer("10.0.0.1:1").ip() || to.ip() == peer("10.0.0.2:1").ip(), "sent to {to}");
        }
    }
}
