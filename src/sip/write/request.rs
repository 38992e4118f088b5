//! Requests built from another request's bytes: CANCEL (RFC 3261 9.1) and the ACK for a
//! non-2xx final response (17.1.1.3). Both must match the INVITE's transaction, so they
//! reuse its top Via (same branch), Request-URI, Call-ID, From, CSeq number and Route.

use bytes::{BufMut, BytesMut};

use super::super::header_name::HeaderName;
use super::super::message::Message;
use super::{copy_headers, put_body, put_cseq, put_header};

/// Appends a CANCEL for `invite`. Returns `false` (writing nothing) when `invite` lacks the
/// headers a CANCEL must copy.
pub fn write_cancel(out: &mut BytesMut, invite: &Message) -> bool {
    write_invite_sibling(out, invite, b"CANCEL", None)
}

/// Appends the ACK for a non-2xx final `response` to `invite`: To comes from the response,
/// so it carries the UAS's tag.
pub fn write_ack_for_non_2xx(out: &mut BytesMut, invite: &Message, response: &Message) -> bool {
    write_invite_sibling(out, invite, b"ACK", Some(response))
}

fn write_invite_sibling(out: &mut BytesMut, invite: &Message, method: &[u8], to_from: Option<&Message>) -> bool {
    let (Some(via), Ok(cseq)) = (invite.values(HeaderName::Via).next(), invite.cseq()) else {
        return false;
    };
    let to_source = to_from.unwrap_or(invite);
    if to_source.header(HeaderName::To).is_none() || invite.header(HeaderName::From).is_none() {
        return false;
    }
    out.put_slice(method);
    out.put_u8(b' ');
    out.put_slice(invite.request_uri());
    out.put_slice(b" SIP/2.0\r\n");
    put_header(out, b"Via", via);
    copy_headers(out, invite, HeaderName::Route);
    out.put_slice(b"Max-Forwards: 70\r\n");
    copy_headers(out, invite, HeaderName::From);
    copy_headers(out, to_source, HeaderName::To);
    copy_headers(out, invite, HeaderName::CallId);
    put_cseq(out, cseq.seq, method);
    put_body(out, None);
    true
}
