//! Message-level tests on the shared corpus: what the parser extracts from typical traffic.

use bytes::Bytes;
use callshard::sip::{HeaderName, Host, Message, Method, ParseError, ParseLimits, Parsed};

fn corpus(name: &str) -> Bytes {
    Bytes::from(std::fs::read(format!("{}/tests/corpus/{name}.sip", env!("CARGO_MANIFEST_DIR"))).unwrap())
}

#[test]
fn typical_invite_with_sdp() {
    let m = Message::parse(corpus("invite_sdp")).unwrap();
    assert_eq!(m.method(), Some(Method::Invite));
    assert_eq!(m.request_uri(), b"sip:bob@biloxi.example.com");
    assert_eq!(m.call_id().unwrap(), b"a84b4c76e66710@pc33.atlanta.example.com");
    let cseq = m.cseq().unwrap();
    assert_eq!((cseq.seq, cseq.method), (314159, Method::Invite));
    let via = m.top_via().unwrap();
    assert_eq!(via.branch(), Some(&b"z9hG4bK776asdhds"[..]));
    assert_eq!(via.host, Host::Name(b"pc33.atlanta.example.com"));
    assert_eq!(m.from().unwrap().tag(), Some(&b"1928301774"[..]));
    assert_eq!(m.to().unwrap().tag(), None);
    assert_eq!(m.max_forwards().unwrap(), Some(70));
    assert!(m.content_type().unwrap().unwrap().is(b"application", b"sdp"));
    assert_eq!(m.body().len(), m.content_length().unwrap().unwrap());
    assert!(m.body().starts_with(b"v=0\r\n"));
    assert_eq!(m.values(HeaderName::Allow).count(), 9);
    assert_eq!(m.supported().collect::<Vec<_>>(), [&b"replaces"[..], b"timer"]);
}

#[test]
fn response_with_three_vias_and_record_route() {
    let m = Message::parse(corpus("ok_200")).unwrap();
    assert_eq!((m.status(), m.reason()), (Some(200), &b"OK"[..]));
    let hosts: Vec<_> = m.vias().map(|v| v.unwrap().received().unwrap()).collect();
    assert_eq!(hosts, [&b"192.0.2.3"[..], b"192.0.2.2", b"192.0.2.1"]);
    let rr: Vec<_> = m.record_routes().map(|r| r.unwrap().uri).collect();
    assert_eq!(rr, [&b"sip:p2.biloxi.example.com;lr"[..], b"sip:p1.atlanta.example.com;lr"]);
}

#[test]
fn compact_forms_read_like_full_names() {
    let m = Message::parse(corpus("options_compact")).unwrap();
    assert_eq!(m.call_id().unwrap(), b"a84b4c76e66710");
    assert_eq!(m.to().unwrap().uri, b"sip:carol@chicago.example.com");
    assert_eq!(m.contacts().next().unwrap().unwrap().uri, b"sip:alice@pc33.atlanta.example.com");
    assert_eq!(m.content_length().unwrap(), Some(0));
    assert_eq!(m.header_named(b"accept"), Some(&b"application/sdp"[..]));
}

#[test]
fn bytes_past_content_length_are_ignored_and_short_bodies_rejected() {
    let mut raw = corpus("invite_sdp").to_vec();
    raw.extend_from_slice(b"garbage after the body");
    let m = Message::parse(Bytes::from(raw.clone())).unwrap();
    assert!(m.body().ends_with(b"a=sendrecv\r\n"));
    raw.truncate(raw.len() - 40);
    match Message::parse_datagram(Bytes::from(raw), &ParseLimits::default()) {
        Parsed::Reject(m, e) => {
            assert_eq!(e, ParseError::BodyTruncated);
            assert_eq!(m.call_id().unwrap(), b"a84b4c76e66710@pc33.atlanta.example.com");
        }
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[test]
fn answerable_defects_and_droppable_ones() {
    let bad_cseq = corpus("bye").to_vec();
    let bad_cseq = String::from_utf8(bad_cseq).unwrap().replace("CSeq: 231 BYE", "CSeq: 99999999999 BYE");
    match Message::parse_datagram(Bytes::from(bad_cseq), &ParseLimits::default()) {
        Parsed::Reject(_, e) => assert_eq!(e.to_string(), "Bad CSeq"),
        other => panic!("expected a 400, got {other:?}"),
    }
    let no_via = String::from_utf8(corpus("bye").to_vec()).unwrap().replace("Via:", "X-Via:");
    assert!(matches!(
        Message::parse_datagram(Bytes::from(no_via), &ParseLimits::default()),
        Parsed::Drop(ParseError::MissingHeader("Via"))
    ));
    let small = ParseLimits { max_message_size: 100, ..ParseLimits::default() };
    assert!(matches!(Message::parse_datagram(corpus("bye"), &small), Parsed::Drop(ParseError::TooLarge)));
}

/// The server's lazy validation: a BYE's Request-URI and Contact are never read, so a defect
/// there passes; the same defect in an INVITE or OPTIONS is refused, as `parse_datagram`
/// refuses it for every method. Transaction-level defects are refused for every method.
#[test]
fn lazy_validation_checks_what_is_read() {
    let index = |text: String| Message::index(Bytes::from(text), &ParseLimits::default()).unwrap();
    let bye = String::from_utf8(corpus("bye").to_vec()).unwrap();
    let bad_uri = bye.replace("BYE sip:alice@pc33.atlanta.example.com", "BYE sip:alice@[::1");
    assert!(matches!(
        Message::parse_datagram(Bytes::from(bad_uri.clone()), &ParseLimits::default()),
        Parsed::Reject(..)
    ));
    assert!(matches!(index(bad_uri.clone()).into_parsed_lazily(), Parsed::Valid(_)));
    let bad_contact = bye.replace("Max-Forwards: 70", "Max-Forwards: 70\r\nContact: <sip:@@>");
    assert!(matches!(
        Message::parse_datagram(Bytes::from(bad_contact.clone()), &ParseLimits::default()),
        Parsed::Reject(..)
    ));
    assert!(matches!(index(bad_contact).into_parsed_lazily(), Parsed::Valid(_)));

    let options = bad_uri.replace("BYE", "OPTIONS");
    match index(options).into_parsed_lazily() {
        Parsed::Reject(_, e) => assert_eq!(e.status_code(), 400, "{e}"),
        other => panic!("an OPTIONS with a broken Request-URI passed: {other:?}"),
    }
    let bad_cseq = bye.replace("CSeq: 231 BYE", "CSeq: 231 INVITE");
    assert!(matches!(index(bad_cseq).into_parsed_lazily(), Parsed::Reject(_, ParseError::CSeqMethodMismatch)));
}
