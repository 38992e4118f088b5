//! Writing what the call layer sends: responses through server transactions (with our tag,
//! Contact and SDP), stateless answers to malformed requests, and requests inside a dialog.

use super::own_address::{is_stream, own};
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;

use super::endpoint::Endpoint;
use crate::dialog::InDialog;
use crate::sip::write::{write_response, Response};
use crate::sip::{Message, ParseError};
use crate::timer::Handle;
use crate::transaction::{response_destination, stamp_for, ClientTxId, IpText, Local, ServerTxId};

/// Extra header lines, (name, value).
pub(super) type Headers<'a> = &'a [(&'a [u8], &'a [u8])];
/// A body: (content type, bytes).
pub(super) type Body<'a> = (&'a [u8], &'a [u8]);

/// What a response adds besides the code.
#[derive(Default)]
pub struct Reply<'a> {
    /// Reason phrase; empty for the RFC's.
    pub reason: &'a [u8],
    /// Our To tag: the call's handle, encoded.
    pub call: Option<Handle>,
    pub contact: bool,
    pub record_route: bool,
    pub headers: &'a [(&'a [u8], &'a [u8])],
    /// Write the call's current SDP description as the body.
    pub sdp: bool,
}

impl Endpoint {
    /// Answers through a server transaction; returns the bytes sent (kept to retransmit a 2xx).
    pub(super) fn reply(&mut self, tx: ServerTxId, code: u16, r: Reply<'_>, now: Instant) -> Option<Bytes> {
        let tag = r.call.map(|h| self.our_tag(h));
        // The body is written into a scratch buffer the endpoint keeps, not a fresh one.
        self.body.clear();
        if r.sdp {
            let call = r.call.and_then(|h| self.calls.get(h))?;
            call.sdp.write_local(&mut self.body);
        }
        let sdp = &self.body;
        let mut headers: smallvec::SmallVec<[(&[u8], &[u8]); 6]> = r.headers.iter().copied().collect();
        if r.contact {
            let local = self.tx.response_target(tx).map_or(0, |(_, l)| l);
            headers.push((b"Contact", &own(&self.addresses, local).contact_header));
        }
        let resp = Response {
            reason: r.reason,
            to_tag: tag.as_ref().map(|t| &t[..]),
            record_route: r.record_route,
            headers: &headers,
            body: (!sdp.is_empty()).then_some((&b"application/sdp"[..], &sdp[..])),
            ..Response::new(code)
        };
        self.tx.respond(tx, &resp, now, &mut self.tx_out).ok()
    }

    /// A random handle that names no call, for the To tag of an answer that creates no
    /// dialog (OPTIONS, 405, 481, a malformed request).
    pub(super) fn stray_tag(&mut self) -> Handle {
        Handle::from_u64(self.ids.next_u64())
    }

    /// A malformed request whose Via is readable gets a stateless answer naming its defect.
    pub(super) fn reject_malformed(&mut self, msg: &Message, (from, local): (SocketAddr, Local), error: ParseError) {
        let mut text = IpText::default();
        let reason = error.to_string();
        let stray = self.stray_tag();
        let tag = self.tags.encode(stray, self.ids.next_u32());
        let resp = Response {
            reason: reason.as_bytes(),
            to_tag: Some(&tag),
            via: stamp_for(msg, from, &mut text, b""),
            ..Response::new(error.status_code())
        };
        write_response(&mut self.buf, msg, &resp);
        let data = self.buf.split().freeze();
        self.out.push(super::events::Output::Transmit { to: response_destination(msg, from, local), local, data });
        self.stats.malformed_answered += 1;
        super::log::malformed(from, error.status_code(), &reason);
    }

    /// Sends a request in the call's dialog through a new client transaction (`sdp`: with
    /// our current description as its body).
    pub(super) fn send_in_dialog(
        &mut self,
        h: Handle,
        method: &[u8],
        cseq: Option<u32>,
        sdp: bool,
        now: Instant,
    ) -> Option<ClientTxId> {
        let mut body = bytes::BytesMut::new();
        if sdp {
            self.calls.get(h)?.sdp.write_local(&mut body);
        }
        let body = (!body.is_empty()).then_some((&b"application/sdp"[..], &body[..]));
        self.send_in_dialog_with(h, method, cseq, (&[], body), now)
    }

    /// [`Endpoint::send_in_dialog`] with extra headers and any body (content type, bytes).
    pub(super) fn send_in_dialog_with(
        &mut self,
        h: Handle,
        method: &[u8],
        cseq: Option<u32>,
        (headers, body): (Headers<'_>, Option<Body<'_>>),
        now: Instant,
    ) -> Option<ClientTxId> {
        let branch = self.ids.branch();
        let call = self.calls.get_mut(h)?;
        let dialog = call.dialog.as_mut()?;
        let cseq = cseq.unwrap_or_else(|| dialog.next_cseq());
        let dialog = call.dialog.as_ref()?;
        let (local, me) = (call.local, own(&self.addresses, call.local));
        dialog.write_request(
            &InDialog {
                method,
                cseq,
                branch: &branch,
                transport: me.transport,
                sent_by: &me.sent_by,
                // A target refresh carries our Contact (RFC 3261 12.2.1.1); so does a REFER,
                // which starts a subscription whose NOTIFYs come back to us.
                contact: (method == b"INVITE" || method == b"REFER").then_some(&me.contact[..]),
                headers,
                body,
            },
            &mut self.buf,
        );
        // On a connection, the peer it came from: what arrives there is theirs (RFC 5923's
        // reuse; the dialog's remote target may name their listening port instead).
        let to = if is_stream(local) { call.peer } else { dialog.next_hop };
        if method == b"ACK" {
            // Sent once and forgotten (a 2xx retransmission gets a new one): nothing reads it.
            self.out.push(super::events::Output::Transmit { to, local, data: self.buf.split().freeze() });
            return None;
        }
        // Our own writing: only what the transaction reads is checked.
        let request = Message::parse_for_transaction(self.buf.split().freeze()).ok()?;
        let tx = self.tx.send_request(request, (to, local), now, &mut self.tx_out).ok()?;
        self.tx.set_client_owner(tx, h.to_u64());
        Some(tx)
    }
}

/// `n` in decimal, for header values built at run time (Retry-After).
pub fn decimal(mut n: u64) -> smallvec::SmallVec<[u8; 20]> {
    let mut v = smallvec::SmallVec::new();
    loop {
        v.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    v.reverse();
    v
}
