//! Writing the top Via of a response with the server transport's additions:
//! `received` (RFC 3261 18.2.1), the value of a bare `rport` (RFC 3581 4) and, for a client
//! that asked, the server's overload control word (RFC 7339).

use bytes::{BufMut, BytesMut};

use super::super::header_name::HeaderName;
use super::super::headers::first_item;
use super::super::message::Message;
use super::super::params::Params;
use super::put_decimal;

/// What the transport learned about the request's source, to stamp on the top Via.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ViaStamp<'a> {
    /// Source address as text, added as `;received=` when set.
    pub received: Option<&'a [u8]>,
    /// Source port, written into a bare `;rport` when set.
    pub rport: Option<u16>,
    /// RFC 7339 parameters to append (`;oc=..`), written by the server for a client whose
    /// Via carried `oc`; they replace that client's `oc` and `oc-algo`.
    pub advice: &'a [u8],
}

/// Copies every Via line of `req`, stamping the top Via: the first non-empty element, as
/// [`Message::top_via`] reads it (a line may start with an empty element, `Via: ,SIP/2.0/UDP
/// ...`, or hold none at all, and the stamp must land on the Via the client will match).
pub fn copy_vias_stamped(out: &mut BytesMut, req: &Message, stamp: ViaStamp<'_>) {
    let buf = req.bytes();
    let mut stamped = stamp == ViaStamp::default();
    for h in req.header_lines(HeaderName::Via) {
        let line = &buf[h.name.start as usize..h.value.end as usize];
        // Only the Via to stamp is split into elements; the others are copied whole.
        match (!stamped).then(|| first_item(h.value.of(buf))).flatten() {
            Some(top) => {
                let top_end = (top.as_ptr() as usize - line.as_ptr() as usize) + top.len();
                put_stamped_element(out, &line[..top_end], top, stamp);
                out.put_slice(&line[top_end..]);
                stamped = true;
            }
            None => out.put_slice(line),
        }
        out.put_slice(b"\r\n");
    }
}

/// Writes `prefix` (which ends with the element `top`) with `rport` filled in and
/// `received` appended.
fn put_stamped_element(out: &mut BytesMut, prefix: &[u8], top: &[u8], stamp: ViaStamp<'_>) {
    let params = memchr::memchr(b';', top).map_or(&b""[..], |semi| &top[semi + 1..]);
    if !stamp.advice.is_empty() {
        return put_advised_element(out, prefix, top, params, stamp);
    }
    let bare_rport = Params(params).iter().find(|(n, v)| v.is_none() && n.eq_ignore_ascii_case(b"rport"));
    match (bare_rport, stamp.rport) {
        (Some((name, _)), Some(port)) => {
            let after = name.as_ptr() as usize - prefix.as_ptr() as usize + name.len();
            out.put_slice(&prefix[..after]);
            out.put_u8(b'=');
            put_decimal(out, port.into());
            out.put_slice(&prefix[after..]);
        }
        _ => out.put_slice(prefix),
    }
    put_appended(out, stamp);
}

/// The element written again parameter by parameter, without the client's `oc` and
/// `oc-algo`, which the server's word replaces (RFC 7339 5.2). Only for clients that asked.
fn put_advised_element(out: &mut BytesMut, prefix: &[u8], top: &[u8], params: &[u8], stamp: ViaStamp<'_>) {
    let head = prefix.len() - top.len() + memchr::memchr(b';', top).unwrap_or(top.len());
    out.put_slice(&prefix[..head]);
    for (name, value) in Params(params).iter() {
        if name.eq_ignore_ascii_case(b"oc") || name.eq_ignore_ascii_case(b"oc-algo") {
            continue;
        }
        out.put_u8(b';');
        out.put_slice(name);
        match (value, stamp.rport) {
            (Some(value), _) => {
                out.put_u8(b'=');
                out.put_slice(value);
            }
            (None, Some(port)) if name.eq_ignore_ascii_case(b"rport") => {
                out.put_u8(b'=');
                put_decimal(out, port.into());
            }
            (None, _) => {}
        }
    }
    put_appended(out, stamp);
}

/// What the stamp appends after the element's own parameters: `received`, then the word.
fn put_appended(out: &mut BytesMut, stamp: ViaStamp<'_>) {
    if let Some(received) = stamp.received {
        out.put_slice(b";received=");
        out.put_slice(received);
    }
    out.put_slice(stamp.advice);
}
