//! How the endpoint names itself on each of its sockets (Via sent-by, Contact), and which
//! socket a new request leaves from.

use std::net::SocketAddr;

use super::endpoint::Endpoint;
use crate::transaction::Local;
use crate::transport::{listener_of, StreamLocal, Transport};

/// How we name ourselves on one socket.
pub(super) struct OwnAddress {
    /// The socket's transport, as our Via names it (`UDP`, `TCP`).
    pub transport: &'static [u8],
    /// `host:port`, the sent-by of our Via.
    pub sent_by: Vec<u8>,
    /// The address alone, written as Call-IDs we make end (`...@host`).
    pub host: Vec<u8>,
    /// `sip:user@host:port`, our Contact URI (with `;transport=tcp` on TCP, RFC 3261 19.1.1,
    /// so that requests the peer sends us come back over TCP).
    pub contact: Vec<u8>,
    /// `<sip:user@host:port>`, the value of the Contact header of our responses.
    pub contact_header: Vec<u8>,
}

impl OwnAddress {
    pub(super) fn new(user: &[u8], addr: SocketAddr, transport: Transport) -> OwnAddress {
        let sent_by = addr.to_string().into_bytes();
        let param: &[u8] = match transport {
            Transport::Udp => b"",
            Transport::Tcp => b";transport=tcp",
            Transport::Tls => b";transport=tls",
        };
        let contact = [&b"sip:"[..], user, b"@", &sent_by, param].concat();
        let contact_header = [&b"<"[..], &contact, b">"].concat();
        let host = addr.ip().to_string().into_bytes();
        OwnAddress { transport: transport.via(), sent_by, host, contact, contact_header }
    }
}

/// How we name ourselves on socket `local`: a stream connection is named by the listen
/// address that accepted it. The first socket's address for a `local` we do not know.
pub(super) fn own(addresses: &[OwnAddress], local: Local) -> &OwnAddress {
    let i = listener_of(local) as usize;
    &addresses[if i < addresses.len() { i } else { 0 }]
}

/// Whether `local` is a stream connection: what we send there goes on that connection,
/// which only reaches the peer it came from (RFC 3261 18.2.2).
pub(super) fn is_stream(local: Local) -> bool {
    StreamLocal::decode(local).is_some()
}

impl Endpoint {
    /// The socket a request to `peer` leaves from: the first UDP socket of the peer's address
    /// family (we open no connections: a call we place goes over UDP).
    pub(super) fn local_for(&self, peer: SocketAddr) -> Local {
        let udp = |i: usize| self.addresses.get(i).is_some_and(|a| a.transport == Transport::Udp.via());
        let mut same_family = self.cfg.locals.iter().enumerate().filter(|(_, a)| a.is_ipv4() == peer.is_ipv4());
        same_family.find(|&(i, _)| udp(i)).map_or(0, |(i, _)| i) as Local
    }
}
