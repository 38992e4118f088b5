//! Responses to a request, copying its Via, From, To, Call-ID and CSeq lines byte for byte
//! (RFC 3261 8.2.6.2) so that nothing is re-encoded on the way out.

use bytes::{BufMut, BytesMut};

use super::super::header_name::HeaderName;
use super::super::message::Message;
use super::via::{copy_vias_stamped, ViaStamp};
use super::{copy_headers, put_body, put_decimal, put_header};

/// What a response adds to the request's echoed headers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Response<'a> {
    pub code: u16,
    /// Reason phrase; empty picks the RFC 3261 default for the code.
    pub reason: &'a [u8],
    /// Our To tag, added when the request's To has none and the code is not 100 (8.2.6.2).
    pub to_tag: Option<&'a [u8]>,
    /// The transport's `received`/`rport` stamp for the top Via (18.2.1, RFC 3581).
    pub via: ViaStamp<'a>,
    /// Copy Record-Route, as a dialog-creating response must (12.1.1).
    pub record_route: bool,
    /// Further headers, written in order after the echoed ones.
    pub headers: &'a [(&'a [u8], &'a [u8])],
    /// `(Content-Type, body)`.
    pub body: Option<(&'a [u8], &'a [u8])>,
}

impl Response<'_> {
    /// A response with just a code (reason from the RFC).
    pub fn new(code: u16) -> Response<'static> {
        Response { code, ..Response::default() }
    }
}

/// Appends the response to `req` described by `resp`.
pub fn write_response(out: &mut BytesMut, req: &Message, resp: &Response<'_>) {
    out.put_slice(b"SIP/2.0 ");
    put_decimal(out, resp.code.into());
    out.put_u8(b' ');
    out.put_slice(if resp.reason.is_empty() { reason_phrase(resp.code) } else { resp.reason });
    out.put_slice(b"\r\n");
    copy_vias_stamped(out, req, resp.via);
    if resp.record_route {
        copy_headers(out, req, HeaderName::RecordRoute);
    }
    copy_headers(out, req, HeaderName::From);
    copy_to(out, req, resp);
    copy_headers(out, req, HeaderName::CallId);
    copy_headers(out, req, HeaderName::CSeq);
    for (name, value) in resp.headers {
        put_header(out, name, value);
    }
    put_body(out, resp.body);
}

/// The To line, with our tag appended when the request's To has none. A To the reader
/// accepts with a trailing `;` (`To: sip:b@example.com;`) gets `tag=` after it, not `;tag=`:
/// an empty parameter would make our response unreadable.
fn copy_to(out: &mut BytesMut, req: &Message, resp: &Response<'_>) {
    let Some(field) = req.header_lines(HeaderName::To).next() else {
        return;
    };
    let buf = req.bytes();
    out.put_slice(&buf[field.name.start as usize..field.value.end as usize]);
    let has_tag = req.to().is_ok_and(|to| to.tag().is_some());
    if let (false, Some(tag), false) = (has_tag, resp.to_tag, resp.code == 100) {
        let open = field.value.of(buf).trim_ascii_end().ends_with(b";");
        out.put_slice(if open { b"tag=" } else { b";tag=" });
        out.put_slice(tag);
    }
    out.put_slice(b"\r\n");
}

/// The RFC 3261 section 21 reason phrase for a code, or a class default.
pub fn reason_phrase(code: u16) -> &'static [u8] {
    match code {
        100 => b"Trying",
        180 => b"Ringing",
        181 => b"Call Is Being Forwarded",
        182 => b"Queued",
        183 => b"Session Progress",
        200 => b"OK",
        202 => b"Accepted",
        300 => b"Multiple Choices",
        301 => b"Moved Permanently",
        302 => b"Moved Temporarily",
        400 => b"Bad Request",
        401 => b"Unauthorized",
        403 => b"Forbidden",
        404 => b"Not Found",
        405 => b"Method Not Allowed",
        406 => b"Not Acceptable",
        408 => b"Request Timeout",
        413 => b"Request Entity Too Large",
        415 => b"Unsupported Media Type",
        416 => b"Unsupported URI Scheme",
        420 => b"Bad Extension",
        480 => b"Temporarily Unavailable",
        481 => b"Call/Transaction Does Not Exist",
        482 => b"Loop Detected",
        483 => b"Too Many Hops",
        486 => b"Busy Here",
        487 => b"Request Terminated",
        488 => b"Not Acceptable Here",
        491 => b"Request Pending",
        500 => b"Server Internal Error",
        501 => b"Not Implemented",
        503 => b"Service Unavailable",
        504 => b"Server Time-out",
        505 => b"Version Not Supported",
        513 => b"Message Too Large",
        600 => b"Busy Everywhere",
        603 => b"Decline",
        604 => b"Does Not Exist Anywhere",
        606 => b"Not Acceptable",
        _ => match code / 100 {
            1 => b"Session Progress",
            2 => b"OK",
            3 => b"Redirection",
            4 => b"Client Error",
            5 => b"Server Error",
            _ => b"Global Failure",
        },
    }
}
