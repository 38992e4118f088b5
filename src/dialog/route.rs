//! Requests inside a dialog: Request-URI and Route from the route set (RFC 3261 12.2.1.1,
//! loose and strict routing), and the next hop they are sent to.

use std::net::SocketAddr;

use bytes::{BufMut, BytesMut};

use super::state::Dialog;
use super::strings::{DialogStrings, Field};
use crate::sip::lex::split_outside_quotes;
use crate::sip::write::{DialogRequest, Party};
use crate::sip::{NameAddr, SipUri};

/// The address of the first route, or of the remote target when there is no route set;
/// the peer's source address when neither names an IP address (no DNS here).
pub fn next_hop(strings: &DialogStrings, source: SocketAddr) -> SocketAddr {
    let first_route = split_outside_quotes(strings.get(Field::RouteSet), b',').0;
    let uri = match NameAddr::parse(first_route) {
        Some(route) => route.uri,
        None => strings.get(Field::RemoteTarget),
    };
    address_of(SipUri::parse(uri).ok(), source)
}

/// Where a URI sends to: its IP address and port (5060 by default), or `source` when it
/// names no IP address or is no SIP URI (no DNS here).
pub fn address_of(uri: Option<SipUri<'_>>, source: SocketAddr) -> SocketAddr {
    match uri.and_then(|u| Some((u.host.ip()?, u.port))) {
        Some((ip, port)) => SocketAddr::new(ip, port.unwrap_or(5060)),
        None => source,
    }
}

/// What varies between the requests a dialog sends.
pub struct InDialog<'a> {
    pub method: &'a [u8],
    /// Our Via's transport token (`UDP`, `TCP`).
    pub transport: &'a [u8],
    pub cseq: u32,
    pub branch: &'a [u8],
    pub sent_by: &'a [u8],
    pub contact: Option<&'a [u8]>,
    pub headers: &'a [(&'a [u8], &'a [u8])],
    pub body: Option<(&'a [u8], &'a [u8])>,
}

impl Dialog {
    /// Writes a request in this dialog. With a strict router first in the route set, its URI
    /// becomes the Request-URI and the remote target goes last in Route (12.2.1.1).
    pub fn write_request(&self, req: &InDialog<'_>, out: &mut BytesMut) {
        let routes = self.get(Field::RouteSet);
        let first = split_outside_quotes(routes, b',').0;
        let strict =
            NameAddr::parse(first).and_then(|r| SipUri::parse(r.uri).ok()).is_some_and(|u| !u.is_loose_router());
        let mut strict_routes = BytesMut::new();
        let (request_uri, route_value) = if strict {
            let rest = split_outside_quotes(routes, b',').1.map(crate::sip::lex::trim).unwrap_or_default();
            strict_routes.put_slice(rest);
            if !rest.is_empty() {
                strict_routes.put_slice(b", ");
            }
            strict_routes.put_u8(b'<');
            strict_routes.put_slice(self.get(Field::RemoteTarget));
            strict_routes.put_u8(b'>');
            (NameAddr::parse(first).map_or(&b""[..], |r| r.uri), &strict_routes[..])
        } else {
            (self.get(Field::RemoteTarget), routes)
        };
        let route_set = [route_value];
        DialogRequest {
            method: req.method,
            request_uri,
            transport: req.transport,
            sent_by: req.sent_by,
            branch: req.branch,
            from: Party { display: b"", uri: self.get(Field::LocalUri), tag: Some(self.get(Field::LocalTag)) },
            to: Party { display: b"", uri: self.get(Field::RemoteUri), tag: Some(self.get(Field::RemoteTag)) },
            call_id: self.call_id(),
            cseq: req.cseq,
            route_set: if route_value.is_empty() { &[] } else { &route_set },
            contact: req.contact,
            max_forwards: 70,
            via_params: b"",
            headers: req.headers,
            body: req.body,
        }
        .write(out);
    }
}
