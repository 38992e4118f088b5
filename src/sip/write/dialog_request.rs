//! Requests inside a dialog (BYE, re-INVITE, ACK for a 2xx, INFO, ...) written from stored
//! dialog state (RFC 3261 12.2.1.1): remote target as Request-URI, route set as Route,
//! local and remote URIs and tags, the dialog's Call-ID and CSeq.

use bytes::{BufMut, BytesMut};

use super::{put_body, put_cseq, put_decimal, put_header};

/// One side of the dialog as written in From or To.
#[derive(Clone, Copy, Debug, Default)]
pub struct Party<'a> {
    /// Display name as it should be written (quoted if needed), or empty.
    pub display: &'a [u8],
    pub uri: &'a [u8],
    pub tag: Option<&'a [u8]>,
}

/// Everything a request inside a dialog needs. Slices borrow from the dialog's own storage.
#[derive(Clone, Copy, Debug, Default)]
pub struct DialogRequest<'a> {
    pub method: &'a [u8],
    pub request_uri: &'a [u8],
    /// Transport token of the Via (`UDP`, `TCP`, ...).
    pub transport: &'a [u8],
    /// Our sent-by, `host[:port]`.
    pub sent_by: &'a [u8],
    /// A branch starting with the magic cookie: new for every request, including the ACK
    /// for a 2xx, which is a transaction of its own (RFC 3261 13.2.2.4).
    pub branch: &'a [u8],
    pub from: Party<'a>,
    pub to: Party<'a>,
    pub call_id: &'a [u8],
    pub cseq: u32,
    /// Route set, in order (each a `name-addr`, e.g. `<sip:p1.example.com;lr>`).
    pub route_set: &'a [&'a [u8]],
    /// Our Contact URI, for target-refresh requests.
    pub contact: Option<&'a [u8]>,
    pub max_forwards: u8,
    /// More parameters for our Via, after `rport` (RFC 7339's `oc` on a new INVITE).
    pub via_params: &'a [u8],
    pub headers: &'a [(&'a [u8], &'a [u8])],
    pub body: Option<(&'a [u8], &'a [u8])>,
}

impl DialogRequest<'_> {
    /// Appends the request.
    pub fn write(&self, out: &mut BytesMut) {
        out.put_slice(self.method);
        out.put_u8(b' ');
        out.put_slice(self.request_uri);
        out.put_slice(b" SIP/2.0\r\nVia: SIP/2.0/");
        out.put_slice(self.transport);
        out.put_u8(b' ');
        out.put_slice(self.sent_by);
        out.put_slice(b";branch=");
        out.put_slice(self.branch);
        out.put_slice(b";rport");
        out.put_slice(self.via_params);
        out.put_slice(b"\r\nMax-Forwards: ");
        put_decimal(out, self.max_forwards.into());
        out.put_slice(b"\r\n");
        for route in self.route_set {
            put_header(out, b"Route", route);
        }
        put_party(out, b"From", &self.from);
        put_party(out, b"To", &self.to);
        put_header(out, b"Call-ID", self.call_id);
        put_cseq(out, self.cseq, self.method);
        if let Some(contact) = self.contact {
            out.put_slice(b"Contact: <");
            out.put_slice(contact);
            out.put_slice(b">\r\n");
        }
        for (name, value) in self.headers {
            put_header(out, name, value);
        }
        put_body(out, self.body);
    }
}

fn put_party(out: &mut BytesMut, name: &[u8], party: &Party<'_>) {
    out.put_slice(name);
    out.put_slice(b": ");
    if !party.display.is_empty() {
        out.put_slice(party.display);
        out.put_u8(b' ');
    }
    out.put_u8(b'<');
    out.put_slice(party.uri);
    out.put_u8(b'>');
    if let Some(tag) = party.tag {
        out.put_slice(b";tag=");
        out.put_slice(tag);
    }
    out.put_slice(b"\r\n");
}
