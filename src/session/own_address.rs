//! How the endpoint names itself on each of its sockets (Via sent-by, Contact), and which
//! socket a new request leaves from.

use std::net::SocketAddr;

use super::endpoint::Endpoint;
use crate::transaction::Local;

/// How we name ourselves on one socket.
pub(super) struct OwnAddress {
    /// `host:port`, the sent-by of our Via.
    pub sent_by: Vec<u8>,
    /// The address alone, written as Call-IDs we make end (`...@host`).
    pub host: Vec<u8>,
    /// `sip:user@host:port`, our Contact URI.
    pub contact: Vec<u8>,
    /// `<sip:user@host:port>`, the value of the Contact header of our responses.
    pub contact_header: Vec<u8>,
}

impl OwnAddress {
    pub(super) fn new(user: &[u8], addr: SocketAddr) -> OwnAddress {
        let sent_by = addr.to_string().into_bytes();
        let contact = [&b"sip:"[..], user, b"@", &sent_by].concat();
        let contact_header = [&b"<"[..], &contact, b">"].concat();
        let host = addr.ip().to_string().into_bytes();
        OwnAddress { sent_by, host, contact, contact_header }
    }
}

impl Endpoint {
    /// The socket a request to `peer` leaves from: the first of the peer's address family.
    pub(super) fn local_for(&self, peer: SocketAddr) -> Local {
        self.cfg.locals.iter().position(|a| a.is_ipv4() == peer.is_ipv4()).unwrap_or(0) as Local
    }
}
