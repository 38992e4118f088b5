//! One call's media on a virtual clock: echo under our own stream with symmetric RTP, tone
//! and silence paced at the packet time, hold and resume, telephone events, RTCP reports and
//! BYE, the media timeout, and what the statistics say.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use callshard::rtp::dtmf::{DtmfSender, TelephoneEvent};
use callshard::rtp::g711::Law;
use callshard::rtp::reports::WallClock;
use callshard::rtp::rtcp::{parse_compound, write_compound, CompoundReport, RtcpPacket};
use callshard::rtp::{MediaAction, MediaOut, MediaOutput, MediaParams, MediaSession, RtpHeader, RtpPacket};

const MS: Duration = Duration::from_millis(1);
const CNAME: &[u8] = b"callshard@test";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn params(mux: bool) -> MediaParams {
    MediaParams {
        law: Law::Mu,
        g711: true,
        ptime_ms: 20,
        telephone_event: Some(101),
        remote_rtp: Some(addr("10.0.0.1:4000")),
        remote_rtcp: None,
        rtcp_mux: mux,
    }
}

fn session(action: MediaAction, mux: bool, t0: Instant) -> MediaSession {
    let wall = WallClock { at: t0, unix: Duration::from_secs(1_800_000_000) };
    MediaSession::new(action, params(mux), wall, t0, 42, Some(Duration::from_secs(60)))
}

fn rtp(seq: u16, ts: u32, pt: u8, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    RtpHeader { marker, payload_type: pt, sequence: seq, timestamp: ts, ssrc: 0xfeed }.write(payload, &mut v);
    v
}

fn rtp_out(out: &MediaOut) -> Vec<(SocketAddr, Vec<u8>)> {
    out.items
        .iter()
        .filter_map(|o| if let MediaOutput::Rtp { to, data } = o { Some((*to, data.to_vec())) } else { None })
        .collect()
}

#[test]
fn echo_sends_the_payload_back_as_our_own_stream_to_where_it_came_from() {
    let t0 = Instant::now();
    let mut m = session(MediaAction::Echo, false, t0);
    let peer = addr("192.0.2.7:5004");
    let mut out = MediaOut::default();
    for i in 0..50u16 {
        let payload: Vec<u8> = (0..160).map(|b| (b as u16 * 3 + i) as u8).collect();
        m.on_rtp_port(
            &rtp(60_000 + i, 1_000 + 160 * u32::from(i), 0, i == 0, &payload),
            peer,
            t0 + 20 * MS * u32::from(i),
            &mut out,
        );
    }
    let sent = rtp_out(&out);
    assert_eq!(sent.len(), 50);
    let first = RtpPacket::parse(&sent[0].1).unwrap();
    assert!(first.marker());
    for (i, (to, bytes)) in sent.iter().enumerate() {
        assert_eq!(*to, peer, "symmetric RTP: back to the source, not the SDP address");
        let p = RtpPacket::parse(bytes).unwrap();
        let expected: Vec<u8> = (0..160).map(|b| (b as u16 * 3 + i as u16) as u8).collect();
        assert_eq!(p.payload(), &expected[..], "payload untouched");
        assert_ne!(p.ssrc(), 0xfeed);
        assert_eq!(p.ssrc(), first.ssrc());
        assert_eq!(p.sequence(), first.sequence().wrapping_add(i as u16));
        assert_eq!(p.timestamp(), first.timestamp().wrapping_add(160 * i as u32));
        assert_eq!(p.marker(), i == 0, "packet {i}: {:?}", &bytes[..12]);
    }
    let s = m.stats();
    assert_eq!((s.packets_received, s.packets_sent, s.lost, s.bytes_sent), (49, 50, 0, 8000));
    assert!(s.mos.is_some_and(|m| m > 4.3), "clean call: {:?}", s.mos);
}

#[test]
fn hold_stops_echo_and_resume_marks_the_first_packet() {
    let t0 = Instant::now();
    let mut m = session(MediaAction::Echo, false, t0);
    let peer = addr("192.0.2.7:5004");
    let mut out = MediaOut::default();
    m.on_rtp_port(&rtp(1, 0, 0, true, &[0xff; 160]), peer, t0, &mut out);
    m.hold(true, t0 + 20 * MS);
    m.on_rtp_port(&rtp(2, 160, 0, false, &[0xff; 160]), peer, t0 + 40 * MS, &mut out);
    assert_eq!(rtp_out(&out).len(), 1, "nothing sent while held");
    m.hold(false, t0 + 60 * MS);
    m.on_rtp_port(&rtp(3, 320, 0, false, &[0xff; 160]), peer, t0 + 80 * MS, &mut out);
    let sent = rtp_out(&out);
    assert_eq!(sent.len(), 2);
    assert!(RtpPacket::parse(&sent[1].1).unwrap().marker(), "a new talkspurt after resume");
}

#[test]
fn tone_is_paced_by_the_timer_with_continuous_timestamps() {
    let t0 = Instant::now();
    let mut m = session(MediaAction::Tone, false, t0);
    let mut out = MediaOut::default();
    assert_eq!(m.next_deadline(), Some(t0));
    m.on_timer(t0, CNAME, &mut out);
    m.on_timer(t0 + 100 * MS, CNAME, &mut out);
    assert_eq!(m.next_deadline(), Some(t0 + 120 * MS));
    let sent = rtp_out(&out);
    assert_eq!(sent.len(), 6, "frames due at 0, 20, ..., 100 ms");
    let ps: Vec<_> = sent.iter().map(|(_, b)| RtpPacket::parse(b).unwrap()).collect();
    for (i, p) in ps.iter().enumerate() {
        assert_eq!(sent[i].0, addr("10.0.0.1:4000"), "the SDP address until the peer is heard");
        assert_eq!(p.timestamp(), ps[0].timestamp().wrapping_add(160 * i as u32));
        assert_eq!((p.payload_type(), p.payload().len()), (0, 160));
        assert!(p.payload().iter().any(|&b| b != 0xff), "a tone, not silence");
    }
    // A stall of a second: one packet, its timestamp a second of samples later.
    out.items.clear();
    m.on_timer(t0 + 1100 * MS, CNAME, &mut out);
    let late = rtp_out(&out);
    assert_eq!(late.len(), 1);
    assert_eq!(RtpPacket::parse(&late[0].1).unwrap().timestamp(), ps[5].timestamp().wrapping_add(8000));
    // Held: the tone stops.
    out.items.clear();
    m.hold(true, t0 + 1110 * MS);
    m.on_timer(t0 + 1500 * MS, CNAME, &mut out);
    assert!(rtp_out(&out).is_empty());
}

#[test]
fn silence_sends_the_laws_silence_byte() {
    let t0 = Instant::now();
    let mut m = session(MediaAction::Silence, false, t0);
    let mut out = MediaOut::default();
    m.on_timer(t0, CNAME, &mut out);
    let sent = rtp_out(&out);
    assert_eq!(RtpPacket::parse(&sent[0].1).unwrap().payload(), &[0xff; 160][..]);
}

#[test]
fn telephone_events_become_one_digit_each() {
    let t0 = Instant::now();
    let mut m = session(MediaAction::None, false, t0);
    let mut out = MediaOut::default();
    let peer = addr("192.0.2.7:5004");
    for (n, p) in DtmfSender::digit('7', 100, 20, 8000).unwrap().enumerate() {
        let at = t0 + 20 * MS * p.send_offset / 160;
        m.on_rtp_port(&rtp(10 + n as u16, 5000 + p.timestamp_offset, 101, p.marker, &p.payload()), peer, at, &mut out);
    }
    let digits: Vec<_> =
        out.items.iter().filter_map(|o| if let MediaOutput::Digit(d) = o { Some(*d) } else { None }).collect();
    assert_eq!(digits.len(), 1, "{digits:?}");
    assert_eq!(digits[0].digit(), Some('7'));
    assert!(digits[0].ended && digits[0].duration_ms >= 100);
    assert!(rtp_out(&out).is_empty(), "action none sends nothing");
    assert_eq!(m.next_deadline(), None, "and needs no timer");
    m.close(t0 + Duration::from_secs(1), CNAME, &mut out);
    assert!(!out.items.iter().any(|o| matches!(o, MediaOutput::Rtcp { .. })), "not even an RTCP BYE");
    assert_eq!(m.stats().digits, 1);
}

#[test]
fn reports_go_to_the_rtcp_port_and_the_call_ends_with_a_bye() {
    let t0 = Instant::now();
    let mut m = session(MediaAction::Echo, false, t0);
    let mut out = MediaOut::default();
    let due = m.next_deadline().unwrap();
    assert!(due > t0 && due < t0 + Duration::from_secs(4));
    m.on_timer(due, CNAME, &mut out);
    let rtcp: Vec<_> = out
        .items
        .iter()
        .filter_map(|o| if let MediaOutput::Rtcp { to, data } = o { Some((*to, data.clone())) } else { None })
        .collect();
    assert_eq!(rtcp.len(), 1);
    assert_eq!(rtcp[0].0, addr("10.0.0.1:4001"), "RTCP on port + 1 without rtcp-mux");
    assert_eq!(parse_compound(&rtcp[0].1).unwrap().cname(), Some(CNAME));
    out.items.clear();
    m.close(due + 10 * MS, CNAME, &mut out);
    let Some(MediaOutput::Rtcp { data, .. }) = out.items.last() else { panic!("no closing report") };
    assert!(parse_compound(data).unwrap().packets().any(|p| matches!(p, RtcpPacket::Bye(_))));
}

#[test]
fn with_rtcp_mux_reports_share_the_rtp_port_both_ways() {
    let t0 = Instant::now();
    let mut m = session(MediaAction::Echo, true, t0);
    let mut out = MediaOut::default();
    let mut rr = BytesMut::new();
    write_compound(&mut rr, &CompoundReport { ssrc: 0xfeed, cname: b"peer", ..Default::default() }).unwrap();
    m.on_rtp_port(&rr, addr("192.0.2.7:5004"), t0, &mut out);
    assert!(out.items.is_empty(), "RTCP is not echoed");
    assert_eq!(m.stats().malformed, 0);
    let due = m.next_deadline().unwrap();
    m.on_timer(due, CNAME, &mut out);
    assert!(matches!(out.items[0], MediaOutput::Rtcp { to, .. } if to == addr("192.0.2.7:5004")));
}

#[test]
fn silence_for_the_timeout_ends_the_call_once_but_not_while_held() {
    let t0 = Instant::now();
    let mut m = session(MediaAction::Echo, false, t0);
    let mut out = MediaOut::default();
    m.on_rtp_port(b"not rtp at all", addr("192.0.2.7:5004"), t0, &mut out);
    assert_eq!(m.stats().malformed, 1);
    m.hold(true, t0);
    m.on_timer(t0 + Duration::from_secs(90), CNAME, &mut out);
    assert!(!out.items.contains(&MediaOutput::Timeout));
    m.hold(false, t0 + Duration::from_secs(90));
    m.on_timer(t0 + Duration::from_secs(149), CNAME, &mut out);
    assert!(!out.items.contains(&MediaOutput::Timeout));
    m.on_timer(t0 + Duration::from_secs(150), CNAME, &mut out);
    m.on_timer(t0 + Duration::from_secs(200), CNAME, &mut out);
    assert_eq!(out.items.iter().filter(|o| **o == MediaOutput::Timeout).count(), 1);
}

#[test]
fn a_key_press_replaces_audio_frames_and_keeps_the_media_clock() {
    let t0 = Instant::now();
    let mut m = session(MediaAction::Tone, false, t0);
    let mut out = MediaOut::default();
    m.on_timer(t0 + 40 * MS, CNAME, &mut out); // frames at 0, 20, 40 ms
    assert!(m.send_digit('5', 100, t0 + 45 * MS));
    assert!(!m.send_digit('x', 100, t0 + 45 * MS), "not a key");
    let mut t = t0 + 45 * MS;
    while t < t0 + 400 * MS {
        t += 5 * MS;
        m.on_timer(t, CNAME, &mut out);
    }
    let packets: Vec<Vec<u8>> = rtp_out(&out).into_iter().map(|(_, d)| d).collect();
    let parsed: Vec<RtpPacket> = packets.iter().map(|d| RtpPacket::parse(d).unwrap()).collect();
    let first_ts = parsed[0].timestamp();
    let events: Vec<&RtpPacket> = parsed.iter().filter(|p| p.payload_type() == 101).collect();
    // Updates every 20 ms, then the end (at 100 ms) three times.
    assert_eq!(events.len(), 4 + 3);
    let ends: Vec<bool> = events.iter().map(|p| TelephoneEvent::parse(p.payload()).unwrap().end).collect();
    assert_eq!(ends, [false, false, false, false, true, true, true]);
    assert!(events[0].marker() && events.iter().skip(1).all(|p| !p.marker()));
    let event_ts = events[0].timestamp();
    assert!(events.iter().all(|p| p.timestamp() == event_ts), "one timestamp for the whole event");
    assert_eq!(event_ts, first_ts.wrapping_add(3 * 160), "the event replaces the frame due at 60 ms");
    // Audio: only on the media clock, none while the event lasts, a talkspurt after it.
    let (first_event, last_event) = (
        parsed.iter().position(|p| p.payload_type() == 101).unwrap(),
        parsed.iter().rposition(|p| p.payload_type() == 101).unwrap(),
    );
    assert!(parsed[first_event..=last_event].iter().all(|p| p.payload_type() == 101));
    for p in parsed.iter().filter(|p| p.payload_type() == 0) {
        assert_eq!(p.timestamp().wrapping_sub(first_ts) % 160, 0);
    }
    let resumed = &parsed[last_event + 1];
    assert!(resumed.marker() && resumed.timestamp().wrapping_sub(event_ts) >= 800, "after the 100 ms event");
    let sequences: Vec<u16> = parsed.iter().map(|p| p.sequence()).collect();
    assert!(sequences.windows(2).all(|w| w[1] == w[0].wrapping_add(1)), "one sequence for audio and events");

    // Another end hears exactly one '5' of about 100 ms.
    let mut far = session(MediaAction::None, false, t0);
    let mut heard = MediaOut::default();
    for (n, d) in packets.iter().enumerate() {
        far.on_rtp_port(d, addr("10.0.0.1:4000"), t0 + 10 * MS * n as u32, &mut heard);
    }
    let digits: Vec<_> =
        heard.items.iter().filter_map(|o| if let MediaOutput::Digit(d) = o { Some(*d) } else { None }).collect();
    assert_eq!(digits.len(), 1, "{digits:?}");
    assert_eq!(digits[0].digit(), Some('5'));
    assert!((100..=120).contains(&digits[0].duration_ms), "{:?}", digits[0]);
}

#[test]
fn a_call_that_heard_nothing_has_no_quality_estimate() {
    let t0 = Instant::now();
    let s = session(MediaAction::Tone, false, t0);
    let stats = s.stats();
    assert_eq!((stats.packets_received, stats.mos), (0, None), "{stats:?}");
}
