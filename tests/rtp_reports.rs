//! A call's RTCP between two ends on a virtual clock: the SR one side sends comes back in the
//! other's report block as LSR/DLSR, giving the round-trip time (RFC 3550 6.4.1), and the loss
//! one side measures is what the other learns.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use callshard::rtp::reports::{Reports, WallClock};
use callshard::rtp::rtcp::{parse_compound, RtcpPacket};
use callshard::rtp::{ReceiveStream, SendStream};

const MS: Duration = Duration::from_millis(1);

fn wall(at: Instant) -> WallClock {
    WallClock { at, unix: Duration::from_secs(1_800_000_000) }
}

#[test]
fn round_trip_and_loss_come_back_in_the_peers_report() {
    let t0 = Instant::now();
    let (mut a, mut b) = (Reports::new(wall(t0), t0, 0), Reports::new(wall(t0), t0, u32::MAX));
    let first = a.next_due();
    assert!(first > t0 && first <= t0 + Duration::from_millis(3100), "first report within 1.23 x 2.5 s");

    // A sends 100 packets over 2 s; B receives all but 5 of them.
    let mut a_send = SendStream::new(0xaaaa, 1000, 0);
    let mut b_recv = ReceiveStream::new(0xaaaa, 1000, 8000, t0);
    for i in 0..100u32 {
        let h = a_send.next(0, i == 0, 160, 160);
        if i % 20 != 7 {
            b_recv.on_packet(h.sequence, h.timestamp, 160, t0 + 20 * MS * i + 10 * MS);
        }
    }

    // A's SR leaves at 2 s and takes 10 ms; B answers 490 ms later; that takes 20 ms.
    let mut wire = BytesMut::new();
    let sent = t0 + 2000 * MS;
    a.write(sent, &a_send, None, b"a@callshard", None, 7, &mut wire);
    assert!(a.next_due() > sent);
    let sr = parse_compound(&wire).unwrap();
    assert!(
        matches!(sr.packets().next(), Some(RtcpPacket::SenderReport(s)) if s.sender_info.packet_count == 100 && s.sender_info.octet_count == 16_000)
    );
    b.on_compound(&sr, 0xbbbb, sent + 10 * MS);

    let b_send = SendStream::new(0xbbbb, 1, 1);
    let mut back = BytesMut::new();
    b.write(sent + 500 * MS, &b_send, Some(&mut b_recv), b"b@callshard", None, 7, &mut back);
    let rr = parse_compound(&back).unwrap();
    let Some(RtcpPacket::ReceiverReport(report)) = rr.packets().next() else { panic!("B sent nothing: an RR") };
    let block = report.blocks.get(0).unwrap();
    // Packet 0 ended B's probation uncounted; packets 7, 27, 47, 67 and 87 were lost.
    assert_eq!((block.ssrc, block.cumulative_lost, block.highest_seq), (0xaaaa, 5, 1099));
    a.on_compound(&rr, 0xaaaa, sent + 520 * MS);

    let rtt = a.peer.round_trip.expect("round-trip time from LSR/DLSR");
    assert!(rtt.abs_diff(30 * MS) < Duration::from_micros(100), "rtt {rtt:?}");
    assert_eq!(a.peer.cumulative_lost, 5);
    assert_eq!((a.reports_sent, a.reports_received, b.reports_received), (1, 1, 1));
}

#[test]
fn a_bye_ends_the_last_report_and_a_silent_end_sends_an_rr() {
    let t0 = Instant::now();
    let mut r = Reports::new(wall(t0), t0, 1);
    let send = SendStream::new(5, 0, 0);
    let mut out = BytesMut::new();
    r.write(t0 + 6000 * MS, &send, None, b"x", Some(b"hangup"), 3, &mut out);
    let c = parse_compound(&out).unwrap();
    let kinds: Vec<_> = c
        .packets()
        .map(|p| match p {
            RtcpPacket::SenderReport(_) => "SR",
            RtcpPacket::ReceiverReport(_) => "RR",
            RtcpPacket::Sdes(_) => "SDES",
            RtcpPacket::Bye(b) => {
                assert_eq!(b.reason(), Some(&b"hangup"[..]));
                "BYE"
            }
        })
        .collect();
    assert_eq!(kinds, ["RR", "SDES", "BYE"]);
    assert_eq!(c.cname(), Some(&b"x"[..]));
    // The wall clock: the SR time of a later instant is later by as much.
    let w = wall(t0);
    assert_eq!(w.ntp(t0 + Duration::from_secs(1)) - w.ntp(t0), 1 << 32);
}
