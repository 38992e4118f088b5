//! RTP header parse and write (RFC 3550 5.1): round trips, every optional part, and
//! malformed datagrams refused with the reason, never a panic.

use callshard::rtp::{is_rtcp, RtpError, RtpHeader, RtpPacket, RTP_HEADER_LEN};
use proptest::prelude::*;

fn packet(header: RtpHeader, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    header.write(payload, &mut out);
    out
}

const HEADER: RtpHeader =
    RtpHeader { marker: true, payload_type: 0, sequence: 65_535, timestamp: 0xdead_beef, ssrc: 0x1234_5678 };

#[test]
fn writes_the_fixed_header_in_network_order() {
    let bytes = packet(HEADER, b"abc");
    assert_eq!(&bytes[..RTP_HEADER_LEN], &[0x80, 0x80, 0xff, 0xff, 0xde, 0xad, 0xbe, 0xef, 0x12, 0x34, 0x56, 0x78]);
    let p = RtpPacket::parse(&bytes).unwrap();
    assert!(p.marker());
    assert_eq!((p.payload_type(), p.sequence(), p.timestamp(), p.ssrc()), (0, 65_535, 0xdead_beef, 0x1234_5678));
    assert_eq!(p.payload(), b"abc");
    assert_eq!(p.payload_range(), 12..15);
    assert_eq!(p.csrcs().count(), 0);
    assert_eq!(p.extension(), None);
}

#[test]
fn reads_csrcs_extension_and_padding() {
    // V=2 P=1 X=1 CC=2, M=0 PT=8.
    let mut b = vec![0xb2, 0x08, 0, 7, 0, 0, 0, 160, 0, 0, 0, 9];
    b.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]); // two CSRCs
    b.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // extension: profile, 1 word
    b.extend_from_slice(b"payload");
    b.extend_from_slice(&[0, 0, 3]); // three octets of padding
    let p = RtpPacket::parse(&b).unwrap();
    assert!(!p.marker());
    assert_eq!(p.payload_type(), 8);
    assert_eq!(p.csrcs().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(p.extension(), Some((0xbede, &[1u8, 2, 3, 4][..])));
    assert_eq!(p.payload(), b"payload");
}

#[test]
fn refuses_what_is_not_rtp_with_the_reason() {
    assert_eq!(RtpPacket::parse(&[0x80; 11]).unwrap_err(), RtpError::TooShort);
    let mut b = packet(HEADER, b"x");
    b[0] = 0x40;
    assert_eq!(RtpPacket::parse(&b).unwrap_err(), RtpError::BadVersion(1));
    b[0] = 0x81; // one CSRC announced, 1 byte present
    assert_eq!(RtpPacket::parse(&b).unwrap_err(), RtpError::HeaderOverrun);
    b[0] = 0x90; // extension announced, none present
    assert_eq!(RtpPacket::parse(&b).unwrap_err(), RtpError::HeaderOverrun);
    b[0] = 0xa0; // padding of 'x' = 120 octets
    assert_eq!(RtpPacket::parse(&b).unwrap_err(), RtpError::BadPadding);
    let mut zero = packet(HEADER, &[1, 0]);
    zero[0] = 0xa0;
    assert_eq!(RtpPacket::parse(&zero).unwrap_err(), RtpError::BadPadding);
}

#[test]
fn tells_rtcp_from_rtp_on_a_muxed_port() {
    assert!(is_rtcp(&[0x80, 200, 0, 6]));
    assert!(is_rtcp(&[0x81, 201]));
    assert!(!is_rtcp(&packet(HEADER, b"")));
    assert!(!is_rtcp(&packet(RtpHeader { payload_type: 101, ..HEADER }, b"")));
    assert!(!is_rtcp(&[0x80]));
}

proptest! {
    #[test]
    fn header_round_trips(marker: bool, pt in 0u8..128, seq: u16, ts: u32, ssrc: u32, payload in proptest::collection::vec(any::<u8>(), 0..300)) {
        let h = RtpHeader { marker, payload_type: pt, sequence: seq, timestamp: ts, ssrc };
        let bytes = packet(h, &payload);
        let p = RtpPacket::parse(&bytes).unwrap();
        prop_assert_eq!((p.marker(), p.payload_type(), p.sequence(), p.timestamp(), p.ssrc()), (marker, pt, seq, ts, ssrc));
        prop_assert_eq!(p.payload(), &payload[..]);
    }

    #[test]
    fn arbitrary_bytes_parse_or_fail_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        if let Ok(p) = RtpPacket::parse(&bytes) {
            // Every accessor stays inside the datagram.
            let _ = (p.marker(), p.payload_type(), p.sequence(), p.timestamp(), p.ssrc(), p.extension());
            prop_assert!(p.csrcs().count() <= 15);
            prop_assert!(p.payload().len() <= bytes.len() - RTP_HEADER_LEN);
        }
    }
}
