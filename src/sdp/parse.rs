//! `SessionDescription`: an SDP body (RFC 4566 5) read in place, without copying it.

use smallvec::SmallVec;

use crate::sip::lex::parse_decimal;

use super::attr::{Attribute, Attributes};
use super::connection::Connection;
use super::direction::Direction;
use super::error::SdpError;
use super::lines::{fields, split_line, RawLines};
use super::media::MediaDescription;

/// Most `m=` lines read from one body. A call uses one or two; the bound keeps a hostile
/// body from costing more than a few kilobytes of media list.
pub const MAX_MEDIA: usize = 16;

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 4566 5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin<'a> {
    pub username: &'a [u8],
    /// Numeric by the grammar; NTP-style values fit 64 bits (RFC 4566 5.2).
    pub session_id: u64,
    /// Goes up by one each time the description changes (RFC 3264 8).
    pub version: u64,
    pub nettype: &'a [u8],
    pub addrtype: &'a [u8],
    pub address: &'a [u8],
}

impl<'a> Origin<'a> {
    pub fn parse(value: &'a [u8]) -> Result<Origin<'a>, SdpError> {
        let mut f = fields(value);
        let (Some(username), Some(id), Some(version), Some(nettype), Some(addrtype), Some(address), None) =
            (f.next(), f.next(), f.next(), f.next(), f.next(), f.next(), f.next())
        else {
            return Err(SdpError::bad('o', "expected six fields"));
        };
        let number = |s, reason| parse_decimal(s, u64::MAX).ok_or(SdpError::bad('o', reason));
        let session_id = number(id, "session id is not a number")?;
        let version = number(version, "session version is not a number")?;
        Ok(Origin { username, session_id, version, nettype, addrtype, address })
    }
}

/// `t=<start-time> <stop-time>` in NTP seconds; `0 0` (unbounded) in every SIP call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    pub start: u64,
    pub stop: u64,
}

impl Timing {
    fn parse(value: &[u8]) -> Option<Timing> {
        let mut f = fields(value);
        let (start, stop) = (parse_decimal(f.next()?, u64::MAX)?, parse_decimal(f.next()?, u64::MAX)?);
        f.next().is_none().then_some(Timing { start, stop })
    }
}

/// A parsed SDP body, borrowing from it.
///
/// `s=` and `t=` are mandatory in RFC 4566 but carry nothing offer/answer uses, so their
/// absence is tolerated (`name` is empty, `timing` is `None`, as for an unreadable `t=`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionDescription<'a> {
    pub origin: Origin<'a>,
    /// `s=`, as written.
    pub name: &'a [u8],
    /// The session-level `c=`, the default for every media section without one.
    pub connection: Option<Connection<'a>>,
    pub timing: Option<Timing>,
    /// The session-level direction attribute, the default for every media section without one.
    pub direction: Option<Direction>,
    /// The media sections in order: answers correspond to offers by position (RFC 3264 6).
    pub media: SmallVec<[MediaDescription<'a>; 2]>,
    session: &'a [u8],
}

impl<'a> SessionDescription<'a> {
    /// Parses a body. Unknown line types are ignored (RFC 4566 5); a line that is not
    /// `<type>=<value>`, or a malformed `v=`, `o=`, `m=` or `c=`, is an error.
    pub fn parse(body: &'a [u8]) -> Result<SessionDescription<'a>, SdpError> {
        let mut lines = RawLines::new(body);
        match lines.next().and_then(|(_, line)| split_line(line)) {
            Some((b'v', v)) if v.trim_ascii() == b"0" => {}
            Some((b'v', _)) => return Err(SdpError::bad('v', "version is not 0")),
            _ => return Err(SdpError::MissingLine { line: 'v' }),
        }
        let (mut origin, mut name, mut connection, mut timing, mut direction) = (None, &b""[..], None, None, None);
        let mut media: SmallVec<[MediaDescription<'a>; 2]> = SmallVec::new();
        let (mut session_end, mut section_start) = (body.len(), body.len());
        for (start, line) in lines {
            let (kind, value) = split_line(line).ok_or_else(|| not_type_value(line))?;
            if kind == b'm' {
                if media.len() == MAX_MEDIA {
                    return Err(SdpError::TooManyMedia);
                }
                match media.last_mut() {
                    Some(last) => last.section = body.get(section_start..start).unwrap_or_default(),
                    None => session_end = start,
                }
                media.push(MediaDescription::parse_m_line(value)?);
                section_start = start + line.len();
            } else if let Some(m) = media.last_mut() {
                m.add_line(kind, value)?;
            } else {
                match kind {
                    b'o' if origin.is_none() => origin = Some(Origin::parse(value)?),
                    b's' => name = value,
                    b'c' if connection.is_none() => connection = Some(Connection::parse(value)?),
                    b't' if timing.is_none() => timing = Timing::parse(value),
                    b'a' => {
                        if let Attribute::Direction(d) = Attribute::parse(value) {
                            direction = direction.or(Some(d));
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(last) = media.last_mut() {
            last.section = body.get(section_start..).unwrap_or_default();
        }
        let origin = origin.ok_or(SdpError::MissingLine { line: 'o' })?;
        // RFC 4566 5.7: every stream needs a c=, its own or the session's.
        if connection.is_none() && media.iter().any(|m| m.port != 0 && m.connection.is_none()) {
            return Err(SdpError::MissingLine { line: 'c' });
        }
        let session = body.get(..session_end).unwrap_or_default();
        Ok(SessionDescription { origin, name, connection, timing, direction, media, session })
    }

    /// The session-level attributes (those before the first `m=`), in order.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes::new(self.session)
    }

    /// The connection a stream uses: its own `c=`, else the session's (RFC 4566 5.7).
    pub fn connection_of(&self, media: &MediaDescription<'a>) -> Option<Connection<'a>> {
        media.connection.or(self.connection)
    }

    /// A stream's direction: its own attribute, else the session's, else `sendrecv`
    /// (RFC 4566 6, RFC 3264 5.1).
    pub fn direction_of(&self, media: &MediaDescription<'a>) -> Direction {
        media.direction.or(self.direction).unwrap_or_default()
    }
}

/// The error for a line that is not `<type>=<value>`, named by its first byte when printable.
fn not_type_value(line: &[u8]) -> SdpError {
    let line = line.first().copied().filter(u8::is_ascii_graphic).map_or('?', char::from);
    SdpError::BadLine { line, reason: "not a <type>=<value> line" }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=call\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=sendonly\r\n\
        m=audio 4000 RTP/AVP 0\r\na=ptime:30\r\nm=video 0 RTP/AVP 31\r\nc=IN IP4 192.0.2.2\r\na=recvonly\r\n";

    #[test]
    fn sections_and_effective_values() {
        let sdp = SessionDescription::parse(BODY).unwrap();
        assert_eq!((sdp.origin.session_id, sdp.origin.version, sdp.name), (1, 2, &b"call"[..]));
        assert_eq!(sdp.timing, Some(Timing { start: 0, stop: 0 }));
        assert_eq!(sdp.attributes().count(), 1);
        let [audio, video] = &sdp.media[..] else { panic!("two media expected") };
        assert_eq!((audio.ptime, sdp.direction_of(audio)), (Some(30), Direction::SendOnly));
        assert_eq!(audio.attributes().count(), 1);
        assert_eq!(sdp.connection_of(audio).and_then(|c| c.ip), Some([192, 0, 2, 1].into()));
        assert_eq!(sdp.connection_of(video).and_then(|c| c.ip), Some([192, 0, 2, 2].into()));
        assert_eq!(sdp.direction_of(video), Direction::RecvOnly);
        assert_eq!(video.attributes().count(), 1);
    }

    #[test]
    fn origin_errors() {
        assert_eq!(Origin::parse(b"- 1 2 IN IP4").unwrap_err().detail(), "expected six fields");
        assert_eq!(Origin::parse(b"- x 2 IN IP4 h").unwrap_err().detail(), "session id is not a number");
        assert_eq!(Origin::parse(b"- 1 -2 IN IP4 h").unwrap_err().detail(), "session version is not a number");
        assert_eq!(Origin::parse(b"- 18446744073709551615 0 IN IP4 h").unwrap().session_id, u64::MAX);
    }

    #[test]
    fn structure_errors() {
        assert_eq!(SessionDescription::parse(b""), Err(SdpError::MissingLine { line: 'v' }));
        assert_eq!(SessionDescription::parse(b"v=1\r\n").unwrap_err().detail(), "version is not 0");
        assert_eq!(SessionDescription::parse(b"v=0\r\ns=-\r\n"), Err(SdpError::MissingLine { line: 'o' }));
        let no_c = b"v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\n";
        assert_eq!(SessionDescription::parse(no_c), Err(SdpError::MissingLine { line: 'c' }));
        let junk = b"v=0\no=- 1 1 IN IP4 h\n\x01junk\n";
        assert_eq!(
            SessionDescription::parse(junk).unwrap_err(),
            SdpError::BadLine { line: '?', reason: "not a <type>=<value> line" }
        );
        let mut many = b"v=0\no=- 1 1 IN IP4 h\nc=IN IP4 1.1.1.1\n".to_vec();
        many.extend(b"m=audio 0 RTP/AVP 0\n".repeat(MAX_MEDIA + 1));
        assert_eq!(SessionDescription::parse(&many), Err(SdpError::TooManyMedia));
    }
}
