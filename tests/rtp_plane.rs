//! A shard's media plane on a virtual clock: sessions found by port, a bridge joining two
//! calls (each leg's packets go to the other peer as that leg's own stream, payload intact,
//! nothing echoed), its undoing, the end of a call, stray datagrams, and paced sessions run
//! by the plane's timers.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use callshard::rtp::reports::WallClock;
use callshard::rtp::{MediaAction, MediaPlane, PlaneOutput, RtpHeader, RtpPacket};
use callshard::sdp::{Codec, Direction, Negotiated};

const A: u16 = 30_000;
const B: u16 = 30_002;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn agreed(remote: &str, direction: Direction) -> Negotiated {
    Negotiated {
        media_index: 0,
        remote: addr(remote),
        codec: Codec::Pcmu,
        payload_type: 0,
        telephone_event: None,
        direction,
        ptime: 20,
        rtcp_mux: false,
        remote_rtcp: None,
    }
}

fn plane(t0: Instant) -> MediaPlane {
    let wall = WallClock { at: t0, unix: Duration::from_secs(1_800_000_000) };
    MediaPlane::new((A, A + 99), wall, 7, Some(Duration::from_secs(60)), "plane@test")
}

fn rtp(ssrc: u32, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    RtpHeader { marker: false, payload_type: 0, sequence: seq, timestamp: 160 * u32::from(seq), ssrc }
        .write(payload, &mut v);
    v
}

fn sends(p: &mut MediaPlane) -> Vec<(u16, bool, SocketAddr, Vec<u8>)> {
    p.drain()
        .filter_map(|o| match o {
            PlaneOutput::Send { port, rtcp, to, data } => Some((port, rtcp, to, data.to_vec())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_bridge_sends_each_legs_media_to_the_other_peer_as_that_legs_stream() {
    let t0 = Instant::now();
    let mut p = plane(t0);
    for (port, remote) in [(A, "10.0.0.1:4000"), (B, "10.0.0.2:5000")] {
        p.assign(port, MediaAction::Echo, 0);
        p.negotiated(port, &agreed(remote, Direction::SendRecv), t0);
    }
    assert!(p.bridge(A, B));
    assert_eq!((p.bridged_to(A), p.bridged_to(B)), (Some(B), Some(A)));
    assert!(!p.bridge(A, A) && !p.bridge(A, A + 10), "a call cannot be bridged to itself or to no call");
    let mut from_b_leg = Vec::new();
    for seq in 0..10u16 {
        p.on_datagram(A, false, &rtp(0xa, seq, &[seq as u8; 160]), addr("10.0.0.1:4000"), t0);
        let out = sends(&mut p);
        assert_eq!(out.len(), 1, "relayed once, not echoed: {out:?}");
        let (port, rtcp, to, data) = &out[0];
        assert_eq!((*port, *rtcp, *to), (B, false, addr("10.0.0.2:5000")), "out of B's port to B's peer");
        let packet = RtpPacket::parse(data).unwrap();
        assert_eq!(packet.payload(), &[seq as u8; 160][..]);
        from_b_leg.push((packet.ssrc(), packet.sequence()));
    }
    assert!(from_b_leg.windows(2).all(|w| w[0].0 == w[1].0 && w[1].1 == w[0].1.wrapping_add(1)), "B's own stream");
    assert_ne!(from_b_leg[0].0, 0xa);
    p.on_datagram(B, false, &rtp(0xb, 0, b"back"), addr("10.0.0.2:5000"), t0);
    let out = sends(&mut p);
    assert_eq!((out[0].0, out[0].2), (A, addr("10.0.0.1:4000")));

    // Undone, each call goes back to its own action: echo.
    p.unbridge(B);
    assert_eq!(p.bridged_to(A), None);
    p.on_datagram(A, false, &rtp(0xa, 10, b"echo"), addr("10.0.0.1:4000"), t0);
    assert_eq!(sends(&mut p)[0].0, A);

    // Bridged again, then one call ends: the other is free of the bridge.
    assert!(p.bridge(A, B));
    let stats = p.stop(A, t0 + Duration::from_secs(1)).expect("A had media");
    // Received: 11 packets, the first only ending A.1's probation. Sent on A's own stream:
    // B's packet relayed, and the one echo.
    assert_eq!((stats.packets_received, stats.packets_sent), (10, 2));
    assert_eq!(p.bridged_to(B), None);
    assert_eq!(p.active(), 1);
    let _ = p.drain().count();
    p.on_datagram(A, false, &rtp(0xa, 12, b"late"), addr("10.0.0.1:4000"), t0);
    assert_eq!(p.stray, 1);
    assert!(sends(&mut p).is_empty(), "a port without a call sends nothing");
}

#[test]
fn the_plane_runs_paced_sessions_and_holds_them() {
    let t0 = Instant::now();
    let mut p = plane(t0);
    p.assign(A, MediaAction::Tone, 0);
    p.negotiated(A, &agreed("10.0.0.1:4000", Direction::SendRecv), t0);
    // Due now (the wheel rounds up to its 1 ms tick).
    assert!(p.next_deadline().is_some_and(|d| d <= t0 + Duration::from_millis(1)));
    p.on_timer(t0 + Duration::from_millis(100));
    let frames = sends(&mut p).into_iter().filter(|s| !s.1).count();
    assert_eq!(frames, 6);
    // Put on hold by the peer (we may only receive): the tone stops.
    p.negotiated(A, &agreed("10.0.0.1:4000", Direction::RecvOnly), t0 + Duration::from_millis(110));
    p.on_timer(t0 + Duration::from_millis(500));
    assert_eq!(sends(&mut p).into_iter().filter(|s| !s.1).count(), 0);
    // Resumed at a new address.
    p.negotiated(A, &agreed("10.0.0.9:4000", Direction::SendRecv), t0 + Duration::from_millis(600));
    p.on_timer(t0 + Duration::from_millis(600));
    let out = sends(&mut p);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].2, addr("10.0.0.9:4000"));
    assert!(RtpPacket::parse(&out[0].3).unwrap().marker(), "a new talkspurt after resume");
}

#[test]
fn a_bridge_made_before_the_media_is_agreed_joins_it_when_it_is() {
    let t0 = Instant::now();
    let mut p = plane(t0);
    p.assign(A, MediaAction::Echo, 1);
    p.assign(B, MediaAction::None, 2);
    assert!(p.bridge(A, B), "both calls hold their ports: the bridge waits for their media");
    for (port, remote) in [(A, "10.0.0.1:4000"), (B, "10.0.0.2:5000")] {
        p.negotiated(port, &agreed(remote, Direction::SendRecv), t0);
    }
    p.on_datagram(A, false, &rtp(0xa, 1, &[7; 160]), addr("10.0.0.1:4000"), t0);
    let out = sends(&mut p);
    assert_eq!(out.len(), 1, "relayed to B's peer, not echoed to A's: {out:?}");
    assert_eq!((out[0].0, out[0].1, out[0].2), (B, false, addr("10.0.0.2:5000")), "{out:?}");
    p.stop(B, t0);
    assert_eq!(p.bridged_to(A), None, "a call that ends leaves the bridge");
    assert!(!p.bridge(A, B), "B's port holds no call any more");
}
