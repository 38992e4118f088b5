//! Where a response goes and what the server transport adds to the top Via
//! (RFC 3261 18.2.1 and 18.2.2, RFC 3581).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};

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
        let mut cursor = std::io::Cursor::new(&mut self.buf[..]);
        self.len = match write!(cursor, "{ip}") {
            Ok(()) => cursor.position() as usize,
            Err(_) => 0,
        };
        &self.buf[..self.len]
    }
}

/// The stamp for a request received from `source`: `received` when the sent-by host is not
/// the source address or the client asked for `rport`, and the `rport` value when asked.
pub fn stamp_for<'t>(req: &Message, source: SocketAddr, text: &'t mut IpText) -> ViaStamp<'t> {
    let Some(via) = req.top_via_for_routing() else { return ViaStamp::default() };
    let wants_rport = via.rport() == Some(None);
    let add_received = wants_rport || via.host.ip() != Some(source.ip());
    ViaStamp {
        received: add_received.then(move || text.write(source.ip())),
        rport: wants_rport.then_some(source.port()),
    }
}

/// RFC 3261 18.2.2 for datagrams: the source address, at the source port when the client
/// asked for `rport` (RFC 3581), else at the sent-by port (5060 by default).
pub fn response_destination(req: &Message, source: SocketAddr) -> SocketAddr {
    match req.top_via_for_routing() {
        Some(via) if via.rport().is_none() => SocketAddr::new(source.ip(), via.port.unwrap_or(5060)),
        _ => source,
    }
}
