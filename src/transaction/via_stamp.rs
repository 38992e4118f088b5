//! Where a response goes and what the server transport adds to the top Via
//! (RFC 3261 18.2.1 and 18.2.2, RFC 3581).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};

use crate::sip::overload_control::asks_for_control;
use crate::sip::write::ViaStamp;
use crate::sip::Message;

/// A stack buffer for an address as text, so stamping never allocates.
pub struct IpText {
    buf: [u8; 48],
    len: usize,
}

impl Default for IpText {
    fn default() -> Self {
        IpText { buf: [0; 48], len: 0 }
    }
}

impl IpText {
    fn write(&mut self, ip: IpAddr) -> &[u8] {
        self.len = match ip {
            // Every response of a transaction is stamped: IPv4 by hand, without `fmt`.
            IpAddr::V4(v4) => {
                let mut len = 0;
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        self.buf[len] = b'.';
                        len += 1;
                    }
                    len += put_octet(&mut self.buf[len..], octet);
                }
                len
            }
            IpAddr::V6(_) => {
                let mut cursor = std::io::Cursor::new(&mut self.buf[..]);
                match write!(cursor, "{ip}") {
                    Ok(()) => cursor.position() as usize,
                    Err(_) => 0,
                }
            }
        };
        &self.buf[..self.len]
    }
}

/// Writes `n` in decimal at the start of `out` (which has room for three digits).
fn put_octet(out: &mut [u8], n: u8) -> usize {
    let digits = [n / 100, n / 10 % 10, n % 10];
    let skip = if n >= 100 {
        0
    } else if n >= 10 {
        1
    } else {
        2
    };
    for (o, d) in out.iter_mut().zip(&digits[skip..]) {
        *o = b'0' + d;
    }
    3 - skip
}

/// Which parameters the server transport adds to a request's top Via: decided once when its
/// transaction starts, since every response it sends carries the same stamp (reading the
/// Via's parameters for each response was two percent of a call).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StampRule {
    /// `received`: the sent-by host is not the source address, or the client asked for `rport`.
    pub received: bool,
    /// `rport` with the source port: the client asked for it (RFC 3581).
    pub rport: bool,
}

impl StampRule {
    /// The stamp for a request received from `source`, with `advice` (RFC 7339 parameters,
    /// from [`advice_for`]).
    pub fn stamp<'t>(self, source: SocketAddr, text: &'t mut IpText, advice: &'t [u8]) -> ViaStamp<'t> {
        ViaStamp {
            received: self.received.then(move || text.write(source.ip())),
            rport: self.rport.then_some(source.port()),
            advice,
        }
    }
}

/// The server's overload word `advice` (RFC 7339 Via parameters) if `req`'s top Via asked for
/// it with `oc`, else nothing. The Via's parameters are read only while there is a word to
/// say, so a shard that is not overloaded pays nothing for it.
pub fn advice_for<'a>(req: &Message, advice: &'a [u8]) -> &'a [u8] {
    match advice.is_empty() {
        true => advice,
        false => match req.top_via_for_routing() {
            Some(via) if asks_for_control(&via.params) => advice,
            _ => b"",
        },
    }
}

/// The stamp for a request received from `source`: `received` when the sent-by host is not
/// the source address or the client asked for `rport`, the `rport` value when asked, and
/// `advice` when the client asked for overload control.
pub fn stamp_for<'t>(req: &Message, source: SocketAddr, text: &'t mut IpText, advice: &'t [u8]) -> ViaStamp<'t> {
    routing(req, source, 0).1.stamp(source, text, advice_for(req, advice))
}

/// RFC 3261 18.2.2: over a stream connection (`local` names one), the source itself: the
/// response goes back on the connection the request came on, whatever the Via says. For
/// datagrams, the source address, at the source port when the client asked for `rport`
/// (RFC 3581), else at the sent-by port (5060 by default).
pub fn response_destination(req: &Message, source: SocketAddr, local: super::Local) -> SocketAddr {
    routing(req, source, local).0
}

/// Where a request's responses go ([`response_destination`]) and how their top Via is
/// stamped ([`StampRule`]), from one reading of the top Via.
pub fn routing(req: &Message, source: SocketAddr, local: super::Local) -> (SocketAddr, StampRule) {
    let Some(via) = req.top_via_for_routing() else { return (source, StampRule::default()) };
    let rport = via.rport();
    let wants_rport = rport == Some(None);
    let rule = StampRule { received: wants_rport || via.host.ip() != Some(source.ip()), rport: wants_rport };
    if crate::transport::StreamLocal::decode(local).is_some() {
        return (source, rule);
    }
    match rport {
        None => (SocketAddr::new(source.ip(), via.port.unwrap_or(5060)), rule),
        _ => (source, rule),
    }
}

#[cfg(test)]
mod tests {
    use super::IpText;

    #[test]
    fn addresses_as_text() {
        for ip in ["127.0.0.1", "0.0.0.0", "255.255.255.255", "10.20.3.100", "::1", "fe80::1:2"] {
            assert_eq!(IpText::default().write(ip.parse().unwrap()), ip.as_bytes());
        }
    }
}
