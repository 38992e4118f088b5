//! Writers: every message written here must parse back with the values it was built from.

use bytes::{Bytes, BytesMut};
use callshard::sip::write::{
    write_ack_for_non_2xx, write_cancel, write_response, DialogRequest, Party, Response, ViaStamp,
};
use callshard::sip::{HeaderName, Message, Method};

fn corpus(name: &str) -> Message {
    let raw = std::fs::read(format!("{}/tests/corpus/{name}.sip", env!("CARGO_MANIFEST_DIR"))).unwrap();
    Message::parse(Bytes::from(raw)).unwrap()
}

fn parse(out: &BytesMut) -> Message {
    Message::parse(Bytes::copy_from_slice(out)).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)))
}

fn header_lines(m: &Message, kind: HeaderName) -> Vec<Vec<u8>> {
    m.header_all(kind).map(<[u8]>::to_vec).collect()
}

#[test]
fn response_echoes_request_headers_byte_for_byte() {
    let req = corpus("invite_sdp");
    let mut out = BytesMut::new();
    let resp = Response { to_tag: Some(b"as83kd9"), ..Response::new(180) };
    write_response(&mut out, &req, &resp);
    let m = parse(&out);
    assert_eq!((m.status(), m.reason()), (Some(180), &b"Ringing"[..]));
    for kind in [HeaderName::Via, HeaderName::From, HeaderName::CallId, HeaderName::CSeq] {
        assert_eq!(header_lines(&m, kind), header_lines(&req, kind), "{kind:?}");
    }
    assert_eq!(m.to().unwrap().tag(), Some(&b"as83kd9"[..]));
    assert_eq!(m.to().unwrap().uri, req.to().unwrap().uri);
    assert_eq!(m.content_length().unwrap(), Some(0));
}

#[test]
fn trying_gets_no_tag_and_existing_tags_are_kept() {
    let req = corpus("invite_sdp");
    let mut out = BytesMut::new();
    write_response(&mut out, &req, &Response { to_tag: Some(b"x"), ..Response::new(100) });
    assert_eq!(parse(&out).to().unwrap().tag(), None);

    let bye = corpus("bye");
    out.clear();
    write_response(&mut out, &bye, &Response { to_tag: Some(b"other"), ..Response::new(200) });
    assert_eq!(parse(&out).to().unwrap().tag(), Some(&b"1928301774"[..]));
}

#[test]
fn top_via_is_stamped_with_received_and_rport() {
    let req = corpus("invite_sdp");
    let mut out = BytesMut::new();
    let stamp = ViaStamp { received: Some(b"192.0.2.77"), rport: Some(40123), advice: b"" };
    write_response(&mut out, &req, &Response { via: stamp, reason: b"Custom Reason", ..Response::new(486) });
    let m = parse(&out);
    assert_eq!(m.reason(), b"Custom Reason");
    let via = m.top_via().unwrap();
    assert_eq!(via.received(), Some(&b"192.0.2.77"[..]));
    assert_eq!(via.rport(), Some(Some(40123)));
    assert_eq!(via.branch(), req.top_via().unwrap().branch());
}

#[test]
fn body_and_extra_headers() {
    let req = corpus("invite_sdp");
    let mut out = BytesMut::new();
    let sdp = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\n";
    let headers: &[(&[u8], &[u8])] =
        &[(b"Contact", b"<sip:callshard@127.0.0.1:5060>"), (b"Allow", b"INVITE, ACK, BYE")];
    let resp = Response {
        to_tag: Some(b"t1"),
        record_route: true,
        headers,
        body: Some((b"application/sdp", sdp)),
        ..Response::new(200)
    };
    write_response(&mut out, &req, &resp);
    let m = parse(&out);
    assert_eq!(m.body(), sdp);
    assert_eq!(m.contacts().next().unwrap().unwrap().uri, b"sip:callshard@127.0.0.1:5060");
    assert!(m.content_type().unwrap().unwrap().is(b"application", b"sdp"));
}

#[test]
fn cancel_and_ack_match_the_invite_transaction() {
    let invite = corpus("invite_sdp");
    let mut out = BytesMut::new();
    assert!(write_cancel(&mut out, &invite));
    let cancel = parse(&out);
    assert_eq!(cancel.method(), Some(Method::Cancel));
    assert_eq!(cancel.request_uri(), invite.request_uri());
    assert_eq!(cancel.top_via().unwrap(), invite.top_via().unwrap());
    assert_eq!(cancel.cseq().unwrap().seq, invite.cseq().unwrap().seq);
    assert_eq!(cancel.cseq().unwrap().method, Method::Cancel);
    assert_eq!(cancel.from().unwrap(), invite.from().unwrap());

    let mut busy = BytesMut::new();
    write_response(&mut busy, &invite, &Response { to_tag: Some(b"uas-tag"), ..Response::new(486) });
    let busy = parse(&busy);
    out.clear();
    assert!(write_ack_for_non_2xx(&mut out, &invite, &busy));
    let ack = parse(&out);
    assert_eq!(ack.method(), Some(Method::Ack));
    assert_eq!(ack.top_via().unwrap().branch(), invite.top_via().unwrap().branch());
    assert_eq!(ack.to().unwrap().tag(), Some(&b"uas-tag"[..]));
    assert_eq!(ack.cseq().unwrap().seq, 314159);
}

#[test]
fn dialog_request_from_stored_state() {
    let routes: [&[u8]; 2] = [b"<sip:p1.example.com;lr>", b"<sip:p2.example.com;lr>"];
    let req = DialogRequest {
        method: b"BYE",
        request_uri: b"sip:bob@192.0.2.4:5060",
        transport: b"UDP",
        sent_by: b"127.0.0.1:5060",
        branch: b"z9hG4bKdlg42",
        from: Party { display: b"", uri: b"sip:alice@atlanta.example.com", tag: Some(b"ftag") },
        to: Party { display: b"\"Bob\"", uri: b"sip:bob@biloxi.example.com", tag: Some(b"ttag") },
        call_id: b"call-42@127.0.0.1",
        cseq: 2,
        route_set: &routes,
        max_forwards: 70,
        ..DialogRequest::default()
    };
    let mut out = BytesMut::new();
    req.write(&mut out);
    let m = parse(&out);
    assert_eq!(m.method(), Some(Method::Bye));
    assert_eq!(m.top_via().unwrap().branch(), Some(&b"z9hG4bKdlg42"[..]));
    assert_eq!(
        m.routes().map(|r| r.unwrap().uri).collect::<Vec<_>>(),
        [&b"sip:p1.example.com;lr"[..], b"sip:p2.example.com;lr"]
    );
    assert_eq!((m.from().unwrap().tag(), m.to().unwrap().tag()), (Some(&b"ftag"[..]), Some(&b"ttag"[..])));
    assert_eq!(m.to().unwrap().display, Some(&b"\"Bob\""[..]));
    assert_eq!(m.cseq().unwrap().seq, 2);
    assert_eq!(m.call_id().unwrap(), b"call-42@127.0.0.1");
}
