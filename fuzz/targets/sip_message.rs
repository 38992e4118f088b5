//! Fuzz target `sip_message`: one datagram through the SIP parser as a server meets it
//! (index, validate, the lazy transaction-first validation), every typed accessor on what
//! comes back, stream framing, and the writers a server runs on a request: the response,
//! the CANCEL and the ACK for a non-2xx. Shared by the AFL binary (`fuzz/src/bin`) and the
//! corpus replay test (`tests/fuzz_corpus.rs`), so what the fuzzer explored stays a test.
//!
//! Invariants checked besides "no panic": a `Valid` message reads every mandatory header and
//! its body is Content-Length long; the lazy validation accepts what the full one accepts; a
//! valid message re-joined from its index parses to the same values; and whatever we write
//! in answer to a valid request parses as a valid message naming the same transaction.

use bytes::{Bytes, BytesMut};
use callshard::sip::framing::{frame, Frame};
use callshard::sip::write::{write_ack_for_non_2xx, write_cancel, write_response, Response, ViaStamp};
use callshard::sip::{
    CSeq, HeaderName, Host, Message, Method, NameAddr, ParseError, ParseLimits, Parsed, SipUri, StartLine, Via,
};

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let limits = ParseLimits::default();
    if let Ok(Frame::Complete(n) | Frame::KeepAlive(n)) = frame(data, &limits) {
        assert!(n <= data.len(), "framing claims {n} of {} bytes", data.len());
    }
    sub_parsers(data);
    let bytes = Bytes::copy_from_slice(data);
    let lazy = Message::index(bytes.clone(), &limits).map(Message::into_parsed_lazily);
    match Message::parse_datagram(bytes.clone(), &limits) {
        Parsed::Valid(m) => {
            assert!(matches!(lazy, Ok(Parsed::Valid(_))), "lazy validation refused a valid message");
            exercise(&m);
            check_valid(&m);
            rejoined(&m);
            answer(&m);
        }
        Parsed::Reject(m, e) => {
            assert!(m.can_answer(), "a Reject must be answerable");
            exercise(&m);
            exercise_error(&e);
            let mut out = BytesMut::new();
            write_response(&mut out, &m, &Response { reason: e.detail().as_bytes(), ..Response::new(e.status_code()) });
            let _ = Message::parse(out.freeze());
        }
        Parsed::Drop(e) => exercise_error(&e),
    }
    if let Ok(Parsed::Valid(m) | Parsed::Reject(m, _)) = lazy {
        exercise(&m);
    }
}

/// The sub-parsers on the raw bytes, as they would meet one header value.
fn sub_parsers(data: &[u8]) {
    if let Some(v) = Via::parse(data).or_else(|| Via::parse_lenient(data)) {
        exercise_via(&v);
    }
    if let Some(n) = NameAddr::parse(data) {
        exercise_name_addr(&n);
    }
    if let Ok(u) = SipUri::parse(data) {
        exercise_uri(&u);
    }
    if let Ok(c) = CSeq::parse(data) {
        assert_eq!(Method::from_bytes(c.method_bytes), c.method);
    }
}

fn exercise_uri(u: &SipUri<'_>) {
    let _ = (u.scheme, u.user, u.password, u.port, u.headers);
    exercise_host(&u.host);
    let _ = (u.transport(), u.is_loose_router());
    let _ = u.params.iter().count();
    let _ = u.params.is_well_formed(b"[]/:&+$%");
    let _ = u.equivalent(u);
}

fn exercise_host(h: &Host<'_>) {
    let _ = h.ip();
    assert!(h.matches(h), "a host matches itself: {h:?}");
}

fn exercise_via(v: &Via<'_>) {
    let _ = (v.version, v.transport, v.port, v.sent_by);
    exercise_host(&v.host);
    let _ = (v.branch(), v.has_rfc3261_branch(), v.received(), v.rport(), v.maddr());
    let _ = v.params.iter().count();
}

fn exercise_name_addr(n: &NameAddr<'_>) {
    let _ = (n.display, n.uri, n.tag());
    let _ = (n.params.iter().count(), n.params.value(b"expires"), n.params.get(b"q"));
    if let Ok(u) = n.sip_uri() {
        exercise_uri(&u);
    }
}

fn exercise_error(e: &ParseError) {
    let _ = (e.to_string(), e.detail());
    assert!(matches!(e.status_code(), 400 | 416 | 505 | 513), "status code of {e:?}");
}

/// Every accessor of `m`; none may panic, whatever the message holds.
fn exercise(m: &Message) {
    let _ = (m.start_line(), m.is_request(), m.method(), m.status(), m.can_answer());
    let _ = (m.method_bytes(), m.request_uri(), m.reason(), m.version());
    if let Ok(u) = SipUri::parse(m.request_uri()) {
        exercise_uri(&u);
    }
    for (kind, name, _) in m.headers() {
        assert_eq!(HeaderName::classify(name), kind);
        assert!(m.header_named(name).is_some());
        let _ = (m.header(kind), m.header_all(kind).count(), m.values(kind).count());
    }
    if let Ok(v) = m.top_via() {
        exercise_via(&v);
        assert_eq!(m.top_via_for_routing(), Some(v), "a strict Via also reads leniently");
    }
    for v in m.vias().flatten() {
        exercise_via(&v);
    }
    for n in [m.from(), m.to()].into_iter().flatten() {
        exercise_name_addr(&n);
    }
    for n in m.contacts().chain(m.routes()).chain(m.record_routes()).flatten() {
        exercise_name_addr(&n);
    }
    let _ = (m.contact_is_wildcard(), m.call_id(), m.cseq(), m.max_forwards(), m.content_length(), m.expires());
    if let Ok(Some(ct)) = m.content_type() {
        let _ = (ct.is(b"application", b"sdp"), ct.params.iter().count());
    }
    let _ = (m.require().count(), m.proxy_require().count(), m.supported().count());
    assert_eq!(m.body_bytes(), m.body());
    let _ = m.validate_deferred();
}

/// What `validate` promises about a `Valid` message.
fn check_valid(m: &Message) {
    assert!(m.top_via().is_ok() && m.from().is_ok() && m.to().is_ok() && m.call_id().is_ok());
    assert!(m.max_forwards().is_ok());
    let cseq = m.cseq().expect("CSeq of a valid message");
    if let Some(n) = m.content_length().expect("Content-Length of a valid message") {
        assert_eq!(m.body().len(), n, "body length vs Content-Length");
    }
    match m.start_line() {
        StartLine::Request { .. } => assert_eq!(cseq.method_bytes, m.method_bytes()),
        StartLine::Response { code, .. } => assert!((100..=699).contains(&code)),
    }
}

/// The message written again from its index: start line, each header as `name: value`, body.
fn rejoined(m: &Message) {
    let mut out = Vec::with_capacity(m.bytes().len() + 64);
    match m.start_line() {
        StartLine::Request { .. } => {
            for part in [m.method_bytes(), b" ", m.request_uri(), b" ", m.version()] {
                out.extend_from_slice(part);
            }
        }
        StartLine::Response { .. } => {
            out.extend_from_slice(m.version());
            out.extend_from_slice(format!(" {} ", m.status().unwrap_or(0)).as_bytes());
            out.extend_from_slice(m.reason());
        }
    }
    out.extend_from_slice(b"\r\n");
    for (_, name, value) in m.headers() {
        for part in [name, b": ", value, b"\r\n"] {
            out.extend_from_slice(part);
        }
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(m.body());
    let again = match Message::parse(Bytes::from(out)) {
        Ok(again) => again,
        Err(e) => panic!("a valid message re-joined from its index does not parse: {e:?}"),
    };
    assert_eq!(again.call_id().ok(), m.call_id().ok());
    assert_eq!(again.cseq().ok().map(|c| c.seq), m.cseq().ok().map(|c| c.seq));
    assert_eq!(again.body(), m.body());
    assert_eq!(again.status(), m.status());
}

/// What a server writes in answer to a valid request must parse and name its transaction.
fn answer(m: &Message) {
    if !m.is_request() || m.method() == Some(Method::Ack) {
        return;
    }
    let mut out = BytesMut::new();
    let headers: &[(&[u8], &[u8])] = &[(b"Contact", b"<sip:fuzz@127.0.0.1:5060>")];
    let resp = Response {
        to_tag: Some(b"a6c85cf"),
        via: ViaStamp { received: Some(b"192.0.2.1"), rport: Some(5061), advice: b"" },
        record_route: true,
        headers,
        body: Some((b"application/sdp", b"v=0\r\n")),
        ..Response::new(200)
    };
    write_response(&mut out, m, &resp);
    let written = match Message::parse(out.split().freeze()) {
        Ok(r) => r,
        Err(e) => panic!("our 200 to a valid request does not parse: {e:?}"),
    };
    assert_eq!(written.call_id().ok(), m.call_id().ok());
    assert_eq!(written.top_via().ok().and_then(|v| v.branch()), m.top_via().ok().and_then(|v| v.branch()));
    if m.method() == Some(Method::Invite) {
        if write_cancel(&mut out, m) {
            assert!(Message::parse(out.split().freeze()).is_ok(), "our CANCEL does not parse");
        }
        let mut refusal = BytesMut::new();
        write_response(&mut refusal, m, &Response { to_tag: Some(b"x"), ..Response::new(486) });
        if let Ok(r) = Message::parse(refusal.freeze()) {
            if write_ack_for_non_2xx(&mut out, m, &r) {
                assert!(Message::parse(out.split().freeze()).is_ok(), "our ACK does not parse");
            }
        }
    }
}
