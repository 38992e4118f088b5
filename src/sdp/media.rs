//! Media descriptions: an `m=` line and the lines up to the next one (RFC 4566 5.14).

use crate::sip::lex::parse_decimal;

use super::attr::{Attribute, Attributes, RtcpAddress, Rtpmap};
use super::connection::Connection;
use super::direction::Direction;
use super::error::SdpError;
use super::lines::fields;

/// One media section. The `m=` fields and the few attributes negotiation needs on every
/// stream are read once at parse time; the rest stays in `section` for [`attributes`].
///
/// [`attributes`]: MediaDescription::attributes
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaDescription<'a> {
    /// `audio`, `video`, `image`, `application`, ...
    pub media: &'a [u8],
    /// Port 0 marks a rejected or disabled stream (RFC 3264 6, 8.2).
    pub port: u16,
    /// The `/<number of ports>` suffix of hierarchical encodings.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/AVPF`, `RTP/SAVP`, `udptl`, ...
    pub proto: &'a [u8],
    formats: &'a [u8],
    /// This section's first `c=`, if any; see `SessionDescription::connection_of`.
    pub connection: Option<Connection<'a>>,
    /// This section's direction attribute, if any; see `SessionDescription::direction_of`.
    pub direction: Option<Direction>,
    pub ptime: Option<u32>,
    pub maxptime: Option<u32>,
    /// `a=rtcp-mux` (RFC 5761 5.1.1): the writer takes RTCP on the RTP port.
    pub rtcp_mux: bool,
    /// `a=rtcp` (RFC 3605): the writer's RTCP port, when not the RTP port + 1.
    pub rtcp: Option<RtcpAddress>,
    pub(crate) section: &'a [u8],
}

impl<'a> MediaDescription<'a> {
    /// Reads the value of an `m=` line; the section's other lines are added by the parser.
    pub(crate) fn parse_m_line(value: &'a [u8]) -> Result<MediaDescription<'a>, SdpError> {
        let mut f = fields(value);
        let (Some(media), Some(port_field), Some(proto)) = (f.next(), f.next(), f.next()) else {
            return Err(SdpError::bad('m', "expected media, port, proto and formats"));
        };
        let (port, count) = match memchr::memchr(b'/', port_field) {
            Some(slash) => (&port_field[..slash], Some(&port_field[slash + 1..])),
            None => (port_field, None),
        };
        let port = parse_decimal(port, 65_535).ok_or(SdpError::bad('m', "port is not a number"))? as u16;
        let port_count = match count {
            Some(c) => Some(parse_decimal(c, 65_535).ok_or(SdpError::bad('m', "port count is not a number"))? as u16),
            None => None,
        };
        let formats = f.next().map_or(&b""[..], |first| {
            // The rest of the line from the first format on: a sub-slice of `value`.
            let at = first.as_ptr() as usize - value.as_ptr() as usize;
            value.get(at..).unwrap_or_default()
        });
        // RFC 4566 5.14 requires a format; a disabled stream without one is tolerated.
        if formats.is_empty() && port != 0 {
            return Err(SdpError::bad('m', "no formats"));
        }
        let (connection, direction, ptime, maxptime) = (None, None, None, None);
        Ok(MediaDescription {
            media,
            port,
            port_count,
            proto,
            formats,
            connection,
            direction,
            ptime,
            maxptime,
            rtcp_mux: false,
            rtcp: None,
            section: b"",
        })
    }

    /// Takes in one line of this section (after the `m=` line).
    pub(crate) fn add_line(&mut self, kind: u8, value: &'a [u8]) -> Result<(), SdpError> {
        match kind {
            b'c' if self.connection.is_none() => self.connection = Some(Connection::parse(value)?),
            b'a' => match Attribute::parse(value) {
                Attribute::Direction(d) => self.direction = self.direction.or(Some(d)),
                Attribute::Ptime(ms) => self.ptime = self.ptime.or(Some(ms)),
                Attribute::MaxPtime(ms) => self.maxptime = self.maxptime.or(Some(ms)),
                Attribute::RtcpMux => self.rtcp_mux = true,
                Attribute::Rtcp(r) => self.rtcp = self.rtcp.or(Some(r)),
                _ => {}
            },
            _ => {}
        }
        Ok(())
    }

    /// The format list as written (RTP payload type numbers for RTP profiles).
    pub fn formats(&self) -> impl Iterator<Item = &'a [u8]> {
        fields(self.formats)
    }

    /// The formats that read as RTP payload types (0 to 127), in order.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + 'a {
        fields(self.formats).filter_map(|f| parse_decimal(f, 127).map(|pt| pt as u8))
    }

    /// Every attribute of this section, in order.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes::new(self.section)
    }

    /// The first readable `a=rtpmap` for this payload type.
    pub fn rtpmap(&self, payload_type: u8) -> Option<Rtpmap<'a>> {
        self.attributes().find_map(|a| match a {
            Attribute::Rtpmap(r) if r.payload_type == payload_type => Some(r),
            _ => None,
        })
    }

    /// The parameters of the first `a=fmtp` for this format.
    pub fn fmtp(&self, format: &[u8]) -> Option<&'a [u8]> {
        self.attributes().find_map(|a| match a {
            Attribute::Fmtp { format: f, params } if f == format => Some(params),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m_line_fields() {
        let m = MediaDescription::parse_m_line(b"audio 49170/2 RTP/AVP 0 8  101").unwrap();
        assert_eq!((m.media, m.port, m.port_count, m.proto), (&b"audio"[..], 49170, Some(2), &b"RTP/AVP"[..]));
        assert_eq!(m.formats().collect::<Vec<_>>(), vec![&b"0"[..], b"8", b"101"]);
        assert_eq!(m.payload_types().collect::<Vec<_>>(), vec![0, 8, 101]);
        let m = MediaDescription::parse_m_line(b"image 0 udptl t38").unwrap();
        assert_eq!((m.port, m.formats().next(), m.payload_types().next()), (0, Some(&b"t38"[..]), None));
        assert!(MediaDescription::parse_m_line(b"video 0 RTP/AVP").is_ok());
    }

    #[test]
    fn malformed_m_lines_name_the_fault() {
        for (value, reason) in [
            (&b"audio x RTP/AVP 0"[..], "port is not a number"),
            (b"audio 65536 RTP/AVP 0", "port is not a number"),
            (b"audio 6000/ RTP/AVP 0", "port count is not a number"),
            (b"audio 6000 RTP/AVP", "no formats"),
            (b"audio 6000", "expected media, port, proto and formats"),
        ] {
            assert_eq!(MediaDescription::parse_m_line(value), Err(SdpError::BadLine { line: 'm', reason }));
        }
    }

    #[test]
    fn section_lines_first_value_wins() {
        let mut m = MediaDescription::parse_m_line(b"audio 6000 RTP/AVP 0").unwrap();
        for (kind, value) in
            [(b'a', &b"ptime:30"[..]), (b'a', b"ptime:40"), (b'a', b"inactive"), (b'c', b"IN IP4 10.0.0.1")]
        {
            m.add_line(kind, value).unwrap();
        }
        assert_eq!((m.ptime, m.direction, m.rtcp_mux, m.rtcp), (Some(30), Some(Direction::Inactive), false, None));
        for value in [&b"rtcp:7001"[..], b"rtcp:7003", b"rtcp-mux"] {
            m.add_line(b'a', value).unwrap();
        }
        assert_eq!((m.rtcp_mux, m.rtcp), (true, Some(RtcpAddress { port: 7001, ip: None })));
        assert_eq!(m.connection.and_then(|c| c.ip), Some([10, 0, 0, 1].into()));
        assert!(m.add_line(b'x', b"anything").is_ok());
    }
}
