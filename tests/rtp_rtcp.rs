//! RTCP compound packets (RFC 3550 6): hand-written datagrams of every packet type we read,
//! the validity checks of appendix A.2 with the error each breach gives, what we write for a
//! call's regular report, and property tests that any bytes parse without panicking and any
//! report reads back as written.

use bytes::BytesMut;
use callshard::rtp::rtcp::{
    parse_compound, write_bye, write_compound, write_receiver_report, write_sdes_cname, CompoundReport, ReportBlock,
    RtcpError, RtcpPacket, SenderInfo, WriteError,
};
use proptest::prelude::*;

/// The SSRC of the reporter in the hand-written datagrams.
const REPORTER: [u8; 4] = [0x11, 0x22, 0x33, 0x44];

/// An SR with one report block (RFC 3550 6.4.1), 13 words.
const SR_ONE_BLOCK: [u8; 52] = [
    0x81, 200, 0x00, 0x0c, // V=2, RC=1, SR, length 12
    0x11, 0x22, 0x33, 0x44, // SSRC of sender
    0xe1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, // NTP timestamp
    0x00, 0x00, 0x10, 0x00, // RTP timestamp
    0x00, 0x00, 0x00, 0x0a, // sender's packet count
    0x00, 0x00, 0x06, 0x40, // sender's octet count
    0x55, 0x66, 0x77, 0x88, // SSRC_1
    0x40, 0xff, 0xff, 0xfe, // fraction lost 64/256, cumulative lost -2
    0x00, 0x01, 0x00, 0x05, // extended highest sequence number: cycle 1, seq 5
    0x00, 0x00, 0x00, 0x14, // jitter
    0xab, 0xcd, 0x12, 0x34, // LSR
    0x00, 0x01, 0x00, 0x00, // DLSR: 1 s
];

/// An RR with no report block: what a participant that heard no one sends.
const RR_EMPTY: [u8; 8] = [0x80, 201, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44];

/// An SDES with one chunk, CNAME "alice": 4 + 2 + 5 octets and one null end the chunk on a
/// word boundary.
const SDES_ALICE: [u8; 16] = [0x81, 202, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44, 1, 5, b'a', b'l', b'i', b'c', b'e', 0];

/// A BYE for the reporter, no reason.
const BYE_PLAIN: [u8; 8] = [0x81, 203, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44];

/// A BYE with the reason "timeout": a length octet and 7 octets fill two words exactly.
const BYE_TIMEOUT: [u8; 16] =
    [0x81, 203, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44, 7, b't', b'i', b'm', b'e', b'o', b'u', b't'];

/// An APP packet (RFC 3550 6.7): subtype 0, name "ACME", no data.
const APP: [u8; 12] = [0x80, 204, 0x00, 0x02, 0x11, 0x22, 0x33, 0x44, b'A', b'C', b'M', b'E'];

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn block(i: u32) -> ReportBlock {
    ReportBlock {
        ssrc: 0x1000 + i,
        fraction_lost: i as u8,
        cumulative_lost: i as i32 - 15,
        highest_seq: 0x0002_0000 + i,
        jitter: 3 * i,
        lsr: 0xdead_0000 + i,
        dlsr: 0x100 * i,
    }
}

/// An RR with `n` report blocks, octet by octet.
fn rr_with_blocks(n: u32) -> Vec<u8> {
    let mut out = vec![0x80 | n as u8, 201, 0, (1 + 6 * n) as u8];
    out.extend_from_slice(&REPORTER);
    for i in 0..n {
        let b = block(i);
        let lost = u32::from(b.fraction_lost) << 24 | (b.cumulative_lost as u32 & 0xff_ffff);
        for word in [b.ssrc, lost, b.highest_seq, b.jitter, b.lsr, b.dlsr] {
            out.extend_from_slice(&word.to_be_bytes());
        }
    }
    out
}

fn packets(datagram: &[u8]) -> Vec<RtcpPacket<'_>> {
    parse_compound(datagram).expect("valid compound").packets().collect()
}

#[test]
fn sender_report_with_one_block() {
    let datagram = concat(&[&SR_ONE_BLOCK, &SDES_ALICE]);
    let compound = parse_compound(&datagram).unwrap();
    assert_eq!(compound.ssrc(), 0x1122_3344);
    assert_eq!(compound.cname(), Some(&b"alice"[..]));
    let Some(RtcpPacket::SenderReport(sr)) = compound.packets().next() else { panic!("not an SR") };
    assert_eq!(
        sr.sender_info,
        SenderInfo { ntp: 0xe123_4567_89ab_cdef, rtp_timestamp: 0x1000, packet_count: 10, octet_count: 1600 }
    );
    assert_eq!(sr.blocks.len(), 1);
    let expected = ReportBlock {
        ssrc: 0x5566_7788,
        fraction_lost: 0x40,
        cumulative_lost: -2,
        highest_seq: 0x0001_0005,
        jitter: 20,
        lsr: 0xabcd_1234,
        dlsr: 0x0001_0000,
    };
    assert_eq!(sr.blocks.get(0), Some(expected));
    assert_eq!(sr.blocks.get(1), None);
    assert_eq!(sr.blocks.iter().collect::<Vec<_>>(), [expected]);
    assert!(sr.extension.is_empty());
}

#[test]
fn receiver_reports_with_0_1_and_31_blocks() {
    for n in [0, 1, 31] {
        let rr = if n == 0 { RR_EMPTY.to_vec() } else { rr_with_blocks(n) };
        let datagram = concat(&[&rr, &SDES_ALICE]);
        let parsed = packets(&datagram);
        let [RtcpPacket::ReceiverReport(rr), RtcpPacket::Sdes(_)] = parsed[..] else { panic!("{parsed:?}") };
        assert_eq!(rr.ssrc, 0x1122_3344);
        assert_eq!(rr.blocks.len(), n as usize);
        assert_eq!(rr.blocks.iter().collect::<Vec<_>>(), (0..n).map(block).collect::<Vec<_>>());
    }
}

#[test]
fn source_description_with_two_chunks_and_several_items() {
    // Chunk 1: CNAME "a@b" and NAME "Al" (2+3 + 2+2 = 9 octets, 3 nulls to the boundary);
    // chunk 2: only a CNAME "bob1", whose items end on a boundary so four nulls follow.
    let sdes = [
        0x82, 202, 0x00, 0x08, 0x11, 0x22, 0x33, 0x44, 1, 3, b'a', b'@', b'b', 2, 2, b'A', b'l', 0, 0, 0, //
        0x55, 0x66, 0x77, 0x88, 1, 4, b'b', b'o', b'b', b'1', 0, 0, 0, 0, 0, 0,
    ];
    let datagram = concat(&[&RR_EMPTY, &sdes]);
    let parsed = packets(&datagram);
    let [_, RtcpPacket::Sdes(sdes)] = parsed[..] else { panic!("{parsed:?}") };
    assert_eq!(sdes.len(), 2);
    let chunks: Vec<_> = sdes.chunks().collect();
    assert_eq!(chunks[0].ssrc, 0x1122_3344);
    let items: Vec<_> = chunks[0].items().map(|i| (i.kind, i.value)).collect();
    assert_eq!(items, [(1, &b"a@b"[..]), (2, &b"Al"[..])]);
    assert_eq!(chunks[1].cname(), Some(&b"bob1"[..]));
    assert_eq!(sdes.cname_of(0x5566_7788), Some(&b"bob1"[..]));
    assert_eq!(sdes.cname_of(0x9999_9999), None);
}

#[test]
fn bye_with_and_without_reason() {
    for (bye, reason) in [(&BYE_PLAIN[..], None), (&BYE_TIMEOUT[..], Some("timeout"))] {
        let datagram = concat(&[&RR_EMPTY, &SDES_ALICE, bye]);
        let parsed = packets(&datagram);
        let [_, _, RtcpPacket::Bye(bye)] = parsed[..] else { panic!("{parsed:?}") };
        assert_eq!(bye.ssrcs().collect::<Vec<_>>(), [0x1122_3344]);
        assert_eq!(bye.reason_str(), reason);
    }
}

#[test]
fn app_and_unknown_packet_types_are_skipped() {
    let unknown = [0x80, 210, 0x00, 0x01, 0xaa, 0xbb, 0xcc, 0xdd];
    let datagram = concat(&[&RR_EMPTY, &APP, &SDES_ALICE, &unknown, &BYE_PLAIN]);
    let parsed = packets(&datagram);
    assert!(matches!(parsed[..], [RtcpPacket::ReceiverReport(_), RtcpPacket::Sdes(_), RtcpPacket::Bye(_)]));
}

#[test]
fn padding_on_the_last_packet_is_removed() {
    // BYE padded by one word; the last octet counts the 4 padding octets.
    let bye = [0xa1, 203, 0x00, 0x02, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 4];
    let datagram = concat(&[&RR_EMPTY, &bye]);
    let parsed = packets(&datagram);
    let [_, RtcpPacket::Bye(bye)] = parsed[..] else { panic!("{parsed:?}") };
    assert_eq!((bye.len(), bye.reason()), (1, None));
}

#[test]
fn invalid_compounds_name_the_check_they_fail() {
    let mut bad_version = RR_EMPTY;
    bad_version[0] = 0x40;
    let mut padded_rr = RR_EMPTY;
    padded_rr[0] |= 0x20;
    let padded = |last: u8| concat(&[&RR_EMPTY, &[0xa0, 203, 0, 1, 0, 0, 0, last]]);
    let cases: Vec<(Vec<u8>, RtcpError)> = vec![
        (vec![], RtcpError::Empty),
        (bad_version.to_vec(), RtcpError::BadVersion { offset: 0, version: 1 }),
        (concat(&[&RR_EMPTY, &[0x00, 202, 0, 0]]), RtcpError::BadVersion { offset: 8, version: 0 }),
        (concat(&[&SDES_ALICE, &RR_EMPTY]), RtcpError::FirstNotReport { packet_type: 202 }),
        (concat(&[&BYE_PLAIN]), RtcpError::FirstNotReport { packet_type: 203 }),
        (concat(&[&padded_rr, &SDES_ALICE]), RtcpError::PaddingNotLast { offset: 0 }),
        (concat(&[&RR_EMPTY, &SDES_ALICE[..12]]), RtcpError::LengthOverrun { offset: 8, length: 16, remaining: 12 }),
        (concat(&[&RR_EMPTY, &[0x80, 201]]), RtcpError::Truncated { offset: 8 }),
        (padded(0), RtcpError::BadPadding { offset: 8, count: 0 }),
        (padded(5), RtcpError::BadPadding { offset: 8, count: 5 }),
        (SR_ONE_BLOCK[..28].to_vec(), RtcpError::LengthOverrun { offset: 0, length: 52, remaining: 28 }),
    ];
    for (datagram, expected) in cases {
        assert_eq!(parse_compound(&datagram), Err(expected), "{datagram:02x?}");
    }
}

#[test]
fn packet_bodies_must_fit_their_headers() {
    let bad = |packet, offset, reason| RtcpError::BadPacket { packet, offset, reason };
    // An SR whose length leaves no room for the sender info.
    let short_sr = [0x80, 200, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44];
    // An RR that announces two blocks and carries one.
    let mut rr = rr_with_blocks(1);
    rr[0] = 0x82;
    // An SDES chunk without its null terminator.
    let sdes = [0x81, 202, 0x00, 0x02, 0x11, 0x22, 0x33, 0x44, 1, 2, b'a', b'b'];
    // A BYE for two sources with room for one, and one whose reason runs past its length.
    let bye_count = [0x82, 203, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44];
    let bye_reason = [0x81, 203, 0x00, 0x02, 0x11, 0x22, 0x33, 0x44, 9, b'a', b'b', b'c'];
    let cases: Vec<(Vec<u8>, RtcpError)> = vec![
        (short_sr.to_vec(), bad("SR", 0, "shorter than its sender info")),
        (rr, bad("RR", 0, "report count exceeds the length")),
        (concat(&[&RR_EMPTY, &sdes]), bad("SDES", 8, "a chunk runs past the length or lacks its null terminator")),
        (concat(&[&RR_EMPTY, &bye_count]), bad("BYE", 8, "source count exceeds the length")),
        (concat(&[&RR_EMPTY, &bye_reason]), bad("BYE", 8, "reason runs past the length")),
    ];
    for (datagram, expected) in cases {
        assert_eq!(parse_compound(&datagram), Err(expected), "{datagram:02x?}");
    }
}

#[test]
fn a_receivers_goodbye_is_written_octet_for_octet() {
    let mut out = BytesMut::new();
    let report = CompoundReport { ssrc: 0x1122_3344, cname: b"alice", bye: Some(b"timeout"), ..Default::default() };
    write_compound(&mut out, &report).unwrap();
    assert_eq!(&out[..], concat(&[&RR_EMPTY, &SDES_ALICE, &BYE_TIMEOUT]));
}

#[test]
fn a_sender_report_is_written_octet_for_octet() {
    let (info, block) = match packets(&SR_ONE_BLOCK)[..] {
        [RtcpPacket::SenderReport(sr)] => (sr.sender_info, sr.blocks.get(0).unwrap()),
        ref other => panic!("{other:?}"),
    };
    let mut out = BytesMut::from(&b"kept"[..]);
    let report = CompoundReport {
        ssrc: 0x1122_3344,
        sender_info: Some(info),
        blocks: &[block],
        cname: b"alice",
        bye: Some(b""),
    };
    write_compound(&mut out, &report).unwrap();
    assert_eq!(&out[..], concat(&[b"kept", &SR_ONE_BLOCK, &SDES_ALICE, &BYE_PLAIN]));
}

#[test]
fn more_than_31_blocks_continue_in_further_receiver_reports() {
    let blocks: Vec<_> = (0..70).map(block).collect();
    let mut out = BytesMut::new();
    write_compound(&mut out, &CompoundReport { ssrc: 7, blocks: &blocks, cname: b"x", ..Default::default() }).unwrap();
    let counts: Vec<_> = packets(&out)
        .iter()
        .map(|p| match p {
            RtcpPacket::ReceiverReport(rr) => (rr.ssrc, rr.blocks.len()),
            other => panic!("{other:?}"),
        })
        .take(3)
        .collect();
    assert_eq!(counts, [(7, 31), (7, 31), (7, 8)]);
}

#[test]
fn sdes_pads_every_cname_length_to_a_word_with_at_least_one_null() {
    for len in 0..=255 {
        let cname = vec![b'c'; len];
        let mut out = BytesMut::new();
        write_sdes_cname(&mut out, 1, &cname).unwrap();
        let nulls = out.len() - 10 - len;
        assert!(out.len() % 4 == 0 && (1..=4).contains(&nulls), "{len}: {} octets", out.len());
        assert!(out[10 + len..].iter().all(|&b| b == 0));
        assert_eq!(usize::from(u16::from_be_bytes([out[2], out[3]])), out.len() / 4 - 1);
    }
}

#[test]
fn what_cannot_be_written_is_refused_and_nothing_is_appended() {
    let mut out = BytesMut::new();
    let long = vec![b'x'; 256];
    let report = CompoundReport { cname: &long, ..Default::default() };
    assert_eq!(write_compound(&mut out, &report), Err(WriteError::ItemTooLong { len: 256 }));
    let report = CompoundReport { cname: b"ok", bye: Some(&long), ..Default::default() };
    assert_eq!(write_compound(&mut out, &report), Err(WriteError::ReasonTooLong { len: 256 }));
    assert_eq!(write_bye(&mut out, &[0; 32], None), Err(WriteError::TooMany { count: 32 }));
    let blocks = vec![ReportBlock::default(); 32];
    assert_eq!(write_receiver_report(&mut out, 1, &blocks), Err(WriteError::TooMany { count: 32 }));
    assert!(out.is_empty());
}

#[test]
fn cumulative_loss_outside_24_bits_is_clamped() {
    for (lost, on_wire) in [(0x0100_0000, 0x7f_ffff), (-0x0100_0000, -0x80_0000), (-1, -1)] {
        let blocks = [ReportBlock { cumulative_lost: lost, ..Default::default() }];
        let mut out = BytesMut::new();
        write_receiver_report(&mut out, 1, &blocks).unwrap();
        let Some(RtcpPacket::ReceiverReport(rr)) = parse_compound(&out).unwrap().packets().next() else { panic!() };
        assert_eq!(rr.blocks.get(0).unwrap().cumulative_lost, on_wire);
    }
}

fn any_block() -> impl Strategy<Value = ReportBlock> {
    let fields = (any::<u32>(), any::<u8>(), -0x80_0000..=0x7f_ffff_i32, any::<u32>(), any::<u32>(), any::<u32>());
    (fields, any::<u32>()).prop_map(|((ssrc, fraction_lost, cumulative_lost, highest_seq, jitter, lsr), dlsr)| {
        ReportBlock { ssrc, fraction_lost, cumulative_lost, highest_seq, jitter, lsr, dlsr }
    })
}

fn any_sender_info() -> impl Strategy<Value = SenderInfo> {
    (any::<u64>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(
        |(ntp, rtp_timestamp, packet_count, octet_count)| SenderInfo { ntp, rtp_timestamp, packet_count, octet_count },
    )
}

/// Reads everything a caller could read from a parsed compound.
fn read_all(datagram: &[u8]) {
    let Ok(compound) = parse_compound(datagram) else { return };
    let _ = (compound.ssrc(), compound.cname());
    for packet in compound.packets() {
        match packet {
            RtcpPacket::SenderReport(sr) => sr.blocks.iter().for_each(drop),
            RtcpPacket::ReceiverReport(rr) => rr.blocks.iter().for_each(drop),
            RtcpPacket::Sdes(sdes) => sdes.chunks().flat_map(|c| c.items().collect::<Vec<_>>()).for_each(drop),
            RtcpPacket::Bye(bye) => bye.ssrcs().map(|_| bye.reason_str()).for_each(drop),
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        read_all(&bytes);
    }

    /// Bytes behind a plausible first header reach the per-packet checks more often.
    #[test]
    fn arbitrary_bytes_after_a_report_header_never_panic(
        first in prop_oneof![Just(200u8), Just(201u8)],
        count in 0u8..32,
        words in 0u16..40,
        rest in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut datagram = vec![0x80 | count, first];
        datagram.extend_from_slice(&words.to_be_bytes());
        datagram.extend_from_slice(&rest);
        read_all(&datagram);
    }

    #[test]
    fn a_written_compound_reads_back_as_written(
        ssrc in any::<u32>(),
        sender_info in proptest::option::of(any_sender_info()),
        blocks in proptest::collection::vec(any_block(), 0..70),
        cname in proptest::collection::vec(any::<u8>(), 0..=255),
        bye in proptest::option::of(proptest::collection::vec(any::<u8>(), 1..=255)),
    ) {
        let mut out = BytesMut::new();
        let report = CompoundReport { ssrc, sender_info, blocks: &blocks, cname: &cname, bye: bye.as_deref() };
        write_compound(&mut out, &report).unwrap();
        prop_assert_eq!(out.len() % 4, 0);
        let compound = parse_compound(&out).unwrap();
        prop_assert_eq!(compound.ssrc(), ssrc);
        prop_assert_eq!(compound.cname(), Some(&cname[..]));
        let (mut read_blocks, mut read_info, mut read_bye) = (vec![], None, None);
        for packet in compound.packets() {
            match packet {
                RtcpPacket::SenderReport(sr) => {
                    read_info = Some(sr.sender_info);
                    read_blocks.extend(sr.blocks.iter());
                }
                RtcpPacket::ReceiverReport(rr) => read_blocks.extend(rr.blocks.iter()),
                RtcpPacket::Sdes(_) => {}
                RtcpPacket::Bye(b) => read_bye = Some((b.ssrcs().collect::<Vec<_>>(), b.reason().map(<[u8]>::to_vec))),
            }
        }
        prop_assert_eq!(read_info, sender_info);
        prop_assert_eq!(read_blocks, blocks);
        prop_assert_eq!(read_bye, bye.map(|r| (vec![ssrc], Some(r))));
    }
}
