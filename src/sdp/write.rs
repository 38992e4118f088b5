//! Writes our descriptions (RFC 4566 5 line order) into a reusable `BytesMut`, without
//! going through `fmt`.

use std::net::{IpAddr, Ipv6Addr};

use bytes::{BufMut, BytesMut};

use crate::sip::write::put_decimal;

use super::codec::TELEPHONE_EVENT;
use super::local::{AudioStream, LocalDescription, LocalMedia, LocalOrigin};

/// Writes a whole body: `v=`, `o=`, `s=`, a session-level `c=`, `t=0 0`, then each `m=` line
/// with its attributes. Rejected streams are bare `m=<media> 0 <proto> <format>` lines.
pub fn write(out: &mut BytesMut, origin: &LocalOrigin, desc: &LocalDescription) {
    out.put_slice(b"v=0\r\no=");
    // RFC 4566 5.2: the username has no spaces, and is "-" when there is none.
    let name = &origin.username[..];
    out.put_slice(if !name.is_empty() && name.iter().all(u8::is_ascii_graphic) { name } else { b"-" });
    out.put_u8(b' ');
    put_decimal(out, origin.session_id);
    out.put_u8(b' ');
    put_decimal(out, origin.version);
    put_address(out, b" ", desc.address);
    // RFC 4566 5.3: s= must not be empty; "-" is the customary placeholder.
    out.put_slice(b"s=-\r\n");
    put_address(out, b"c=", desc.address);
    out.put_slice(b"t=0 0\r\n");
    for m in &desc.media {
        match m {
            LocalMedia::Audio(a) => put_audio(out, a),
            LocalMedia::Rejected { media, proto, format } => {
                for part in [&b"m="[..], media, b" 0 ", proto, b" ", format, b"\r\n"] {
                    out.put_slice(part);
                }
            }
        }
    }
}

/// `IN IP4 <addr>\r\n` (or IP6) after `prefix`.
fn put_address(out: &mut BytesMut, prefix: &[u8], address: IpAddr) {
    out.put_slice(prefix);
    out.put_slice(if address.is_ipv4() { b"IN IP4 " } else { b"IN IP6 " });
    put_ip(out, address);
    out.put_slice(b"\r\n");
}

fn put_audio(out: &mut BytesMut, a: &AudioStream) {
    out.put_slice(b"m=audio ");
    put_decimal(out, a.port.into());
    out.put_u8(b' ');
    out.put_slice(a.profile.as_bytes());
    for pt in a.codecs.iter().map(|&(_, pt)| pt).chain(a.telephone_event) {
        out.put_u8(b' ');
        put_decimal(out, pt.into());
    }
    out.put_slice(b"\r\n");
    // rtpmap even for static payload types: RFC 4566 6 recommends it, and it spares the
    // peer a table lookup.
    for &(codec, pt) in &a.codecs {
        put_rtpmap(out, pt, codec.encoding_name(), codec.clock_rate());
    }
    if let Some(pt) = a.telephone_event {
        put_rtpmap(out, pt, TELEPHONE_EVENT, 8000);
        // RFC 4733 7.1.1: events 0-15 are the DTMF digits, 16 is flash.
        out.put_slice(b"a=fmtp:");
        put_decimal(out, pt.into());
        out.put_slice(b" 0-16\r\n");
    }
    if let Some(ms) = a.ptime {
        out.put_slice(b"a=ptime:");
        put_decimal(out, ms.into());
        out.put_slice(b"\r\n");
    }
    if a.rtcp_mux {
        out.put_slice(b"a=rtcp-mux\r\n");
    }
    out.put_slice(b"a=");
    out.put_slice(a.direction.as_bytes());
    out.put_slice(b"\r\n");
}

fn put_rtpmap(out: &mut BytesMut, pt: u8, name: &[u8], clock: u32) {
    out.put_slice(b"a=rtpmap:");
    put_decimal(out, pt.into());
    out.put_u8(b' ');
    out.put_slice(name);
    out.put_u8(b'/');
    put_decimal(out, clock.into());
    out.put_slice(b"\r\n");
}

/// Writes an address: dotted quad, or the RFC 5952 canonical IPv6 text (lower-case hex,
/// the longest run of two or more zero groups, the first one on a tie, as `::`).
pub fn put_ip(out: &mut BytesMut, address: IpAddr) {
    match address {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.put_u8(b'.');
                }
                put_decimal(out, octet.into());
            }
        }
        IpAddr::V6(v6) => put_ipv6(out, v6),
    }
}

fn put_ipv6(out: &mut BytesMut, address: Ipv6Addr) {
    let groups = address.segments();
    let (mut zeros, mut run) = ((8, 0), 0);
    for (i, &g) in groups.iter().enumerate() {
        run = if g == 0 { run + 1 } else { 0 };
        if run >= 2 && run > zeros.1 {
            zeros = (i + 1 - run, run);
        }
    }
    let (skip_from, skip_to) = (zeros.0, zeros.0 + zeros.1);
    for (i, &g) in groups.iter().enumerate() {
        if i == skip_from {
            out.put_slice(b"::");
        }
        if (skip_from..skip_to).contains(&i) {
            continue;
        }
        if i > 0 && i != skip_to {
            out.put_u8(b':');
        }
        let digits = (16 - g.leading_zeros()).div_ceil(4).max(1);
        for shift in (0..digits).rev() {
            out.put_u8(b"0123456789abcdef"[usize::from((g >> (shift * 4)) as u8 & 0xf)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_text_is_canonical() {
        for text in ["::", "::1", "1::", "2001:db8::1", "2001:db8:0:1:1:1:1:1", "2001:0:0:1::1", "fe80::abcd:12:0:0:1"]
        {
            let mut out = BytesMut::new();
            put_ip(&mut out, text.parse().unwrap());
            assert_eq!(std::str::from_utf8(&out).unwrap(), text);
        }
        let mut out = BytesMut::new();
        put_ip(&mut out, IpAddr::from([10, 0, 255, 1]));
        assert_eq!(&out[..], b"10.0.255.1");
    }
}
