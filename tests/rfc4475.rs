//! RFC 4475 torture messages, bit-exact from the RFC's Appendix A archive
//! (tests/fixtures/rfc4475). Valid messages must yield the values the RFC describes;
//! invalid ones must be refused with the answer the RFC calls for; the section 3.3 and 3.4
//! messages must expose what the layers above need to give the RFC's answer.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use callshard::sip::write::{write_response, Response};
use callshard::sip::{HeaderName, Host, Message, ParseError, ParseLimits, Parsed};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rfc4475");

fn load(name: &str) -> Bytes {
    Bytes::from(std::fs::read(format!("{DIR}/{name}.dat")).unwrap())
}

fn parsed(name: &str) -> Parsed {
    Message::parse_datagram(load(name), &ParseLimits::default())
}

fn valid(name: &str) -> Message {
    match parsed(name) {
        Parsed::Valid(m) => m,
        other => panic!("{name} should be valid, got {other:?}"),
    }
}

/// `(name, section, expect, values)` rows of the manifest.
fn manifest() -> Vec<(String, String, String, HashMap<String, String>)> {
    let text = std::fs::read_to_string(format!("{DIR}/manifest.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let values = cols[3].split_once("Values: ").map_or("", |(_, v)| v);
            let values = values
                .split(" | ")
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            (cols[0].to_string(), cols[1].to_string(), cols[2].to_string(), values)
        })
        .collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn or_none(v: Option<&[u8]>) -> String {
    v.map_or("(none)".into(), text)
}

/// Checks every value the manifest gives for a message that parses.
fn check_values(name: &str, m: &Message, values: &HashMap<String, String>) {
    let cseq = m.cseq().unwrap();
    let actual: HashMap<&str, String> = HashMap::from([
        ("method", text(m.method_bytes())),
        ("ruri", text(m.request_uri())),
        ("status", m.status().map_or(String::new(), |s| s.to_string())),
        ("call-id", text(m.call_id().unwrap())),
        ("cseq", format!("{} {}", cseq.seq, text(cseq.method_bytes))),
        ("max-forwards", m.max_forwards().unwrap().map_or("(none)".into(), |n| n.to_string())),
        ("via-count", m.vias().count().to_string()),
        ("via-branch", or_none(m.top_via().unwrap().branch())),
        ("to-tag", or_none(m.to().unwrap().tag())),
        ("from-tag", or_none(m.from().unwrap().tag())),
        ("content-length", m.content_length().unwrap().map_or("(none)".into(), |n| n.to_string())),
    ]);
    for (key, expected) in values {
        if key == "body-bytes" {
            // body-bytes counts what follows the empty line; the body is Content-Length of it.
            let expected: usize = expected.parse().unwrap();
            let len = m.content_length().unwrap().unwrap_or(expected);
            assert_eq!(m.body().len(), len, "{name}: body length");
            assert_eq!(m.bytes().len() - (m.body().as_ptr() as usize - m.bytes().as_ptr() as usize), expected);
            continue;
        }
        let got = actual.get(key.as_str()).unwrap_or_else(|| panic!("{name}: unknown key {key}"));
        assert_eq!(got, expected, "{name}: {key}");
    }
}

#[test]
fn every_valid_message_yields_the_rfc_values() {
    let mut checked = 0;
    for (name, _section, expect, values) in manifest() {
        let accept =
            matches!(expect.as_str(), "valid" | "txn" | "200" | "401" | "415" | "420" | "406" | "483" | "drop")
                || name == "unksm2";
        if accept {
            check_values(&name, &valid(&name), &values);
            checked += 1;
        }
    }
    assert_eq!(checked, 25, "messages checked against the manifest");
}

/// The answer each invalid request gets: status code and reason phrase.
const REJECTED: [(&str, u16, &str); 22] = [
    ("badinv01", 400, "Bad Via"),
    ("clerr", 400, "Body Shorter Than Content-Length"),
    ("ncl", 400, "Bad Content-Length"),
    ("scalar02", 400, "Bad CSeq"),
    ("quotbal", 400, "Bad To"),
    ("ltgtruri", 400, "Bad Request-URI"),
    ("lwsruri", 400, "Bad Request-URI"),
    ("lwsstart", 400, "Bad Request-URI"),
    ("trws", 400, "Bad Start Line"),
    ("escruri", 400, "Bad Request-URI"),
    ("baddate", 400, "Bad Date"),
    ("regbadct", 400, "Bad Contact"),
    ("badaspec", 400, "Bad To"),
    ("baddn", 400, "Bad From"),
    ("badvers", 505, "Version Not Supported"),
    ("mismatch01", 400, "CSeq Method Mismatch"),
    ("mismatch02", 400, "CSeq Method Mismatch"),
    ("insuf", 400, "Missing From"),
    ("unkscm", 416, "Unsupported URI Scheme"),
    ("novelsc", 416, "Unsupported URI Scheme"),
    ("multi01", 400, "Conflicting Call-ID"),
    ("mcl01", 400, "Conflicting Content-Length"),
];

#[test]
fn invalid_requests_get_the_rfc_answer_with_a_precise_reason() {
    for (name, code, reason) in REJECTED {
        let Parsed::Reject(request, error) = parsed(name) else { panic!("{name} should be answered") };
        assert_eq!((error.status_code(), error.to_string().as_str()), (code, reason), "{name}");
        // The answer can really be written and it echoes the request's Via lines.
        let mut out = BytesMut::new();
        let reason = error.to_string();
        let resp = Response { reason: reason.as_bytes(), to_tag: Some(b"cs1"), ..Response::new(error.status_code()) };
        write_response(&mut out, &request, &resp);
        let answer = Message::index(out.freeze(), &ParseLimits::default()).unwrap();
        assert_eq!((answer.status(), answer.reason()), (Some(code), reason.as_bytes()), "{name}");
        let vias = |m: &Message| m.header_all(HeaderName::Via).map(<[u8]>::to_vec).collect::<Vec<_>>();
        assert_eq!(vias(&answer), vias(&request), "{name}");
    }
}

#[test]
fn every_section_3_1_2_message_is_refused() {
    let manifest = manifest();
    let invalid: Vec<_> = manifest.iter().filter(|r| r.1.starts_with("3.1.2.")).collect();
    assert_eq!(invalid.len(), 19);
    for (name, ..) in invalid {
        assert!(!matches!(parsed(name), Parsed::Valid(_)), "{name} must not be accepted");
    }
}

#[test]
fn broken_responses_and_non_sip_are_dropped_silently() {
    assert!(matches!(parsed("bigcode"), Parsed::Drop(ParseError::BadStartLine)));
    assert!(matches!(parsed("scalarlg"), Parsed::Drop(ParseError::BadHeader { name: "CSeq", .. })));
    assert!(matches!(parsed("test"), Parsed::Drop(_)));
}

#[test]
fn section_3_3_messages_expose_what_the_answer_needs() {
    // 3.3.5: 420 lists the unsupported Require tags.
    let m = valid("bext01");
    assert_eq!(m.require().collect::<Vec<_>>(), [&b"nothingSupportsThis"[..], b"nothingSupportsThisEither"]);
    assert_eq!(m.proxy_require().count(), 2);
    // 3.3.6: 415 for a body type we cannot read.
    assert!(valid("invut").content_type().unwrap().unwrap().is(b"application", b"unknownformat"));
    // 3.3.15: Accept does not include application/sdp.
    assert_eq!(valid("sdp01").header(HeaderName::Accept), Some(&b"text/nobodyKnowsThis"[..]));
    // 3.3.11: an endpoint serves Max-Forwards 0 normally; a proxy answers 483.
    assert_eq!(valid("zeromf").max_forwards().unwrap(), Some(0));
    // 3.3.12 and 3.3.13: where `unknownparam` belongs depends on the angle brackets.
    let c1 = valid("cparam01");
    let c1 = c1.contacts().next().unwrap().unwrap();
    assert!(c1.params.contains(b"unknownparam") && c1.sip_uri().unwrap().params.as_bytes().is_empty());
    let c2 = valid("cparam02");
    let c2 = c2.contacts().next().unwrap().unwrap();
    assert!(!c2.params.contains(b"unknownparam") && c2.sip_uri().unwrap().params.contains(b"unknownparam"));
    // 3.3.14: the binding keeps its escaped header.
    let r = valid("regescrt");
    assert_eq!(r.contacts().next().unwrap().unwrap().sip_uri().unwrap().headers, b"Route=%3Csip:sip.example.com%3E");
    // 3.3.10: the second Via is the broadcast address a proxy must not forward to.
    let b = valid("bcast");
    assert_eq!(b.vias().nth(1).unwrap().unwrap().host, Host::Ipv4([255, 255, 255, 255].into()));
    // 3.3.4: non-SIP schemes in To, From, Contact parse; a registrar refuses the isbn: AOR.
    let u = valid("unksm2");
    assert!(u.to().unwrap().uri.starts_with(b"isbn:") && u.to().unwrap().sip_uri().is_err());
    assert!(u.from().unwrap().uri.starts_with(b"http:"));
    // 3.3.7: an Authorization with an unknown scheme is kept as written.
    assert!(valid("regaut01").header_named(b"Authorization").unwrap().starts_with(b"NoOneKnowsThisScheme"));
    // 3.2.1: a branch that is only the magic cookie.
    assert_eq!(valid("badbranch").top_via().unwrap().branch(), Some(&b"z9hG4bK"[..]));
}

#[test]
fn section_3_1_1_details() {
    // 3.1.1.1: folding everywhere, escaped quotes in display names.
    let w = valid("wsinv");
    assert_eq!(w.from().unwrap().display, Some(&br#""J Rosenberg \\\"""#[..]));
    assert_eq!(w.header(HeaderName::Subject), Some(&b""[..]));
    // 3.1.1.3: escapes compare equal to what they encode, and stay as written.
    let e = valid("esc01");
    let ruri = callshard::sip::SipUri::parse(e.request_uri()).unwrap();
    assert!(callshard::sip::unescaped_eq(ruri.user.unwrap(), b"sips:user@example.com", false));
    // 3.1.1.5: %-forms are not escapes in a method, and C%6Fntact is not Contact.
    let e2 = valid("esc02");
    assert_eq!(e2.method(), Some(callshard::sip::Method::Other));
    assert_eq!(e2.contacts().count(), 2);
    // 3.1.1.8: bytes past Content-Length are discarded.
    assert!(valid("dblreq").body().is_empty());
    // 3.1.1.10: an unknown transport token is accepted.
    let t = valid("transports");
    let transports: Vec<_> = t.vias().map(|v| text(v.unwrap().transport)).collect();
    assert_eq!(transports, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    // 3.1.1.11: a binary multipart body framed only by Content-Length.
    assert_eq!(valid("mpart01").body().len(), 553);
    // 3.1.1.12 and 3.1.1.13: any reason phrase, including none.
    assert!(valid("unreason").reason().starts_with(b"= 2**3 * 5**2 "));
    assert_eq!(valid("noreason").reason(), b"");
    // 3.4.1: RFC 2543 style: no branch, no tags, body to the end of the datagram.
    let old = valid("inv2543");
    assert!(!old.top_via().unwrap().has_rfc3261_branch());
    assert_eq!(old.body().len(), 105);
}

#[test]
fn deferred_checks_give_the_same_answers() {
    // The transaction-level parse plus the deferred checks refuse exactly what the full parse
    // refuses, with the same answer for every torture message (each has one defect that
    // decides its answer).
    for (name, ..) in manifest() {
        let full = Message::parse(load(&name));
        let split = Message::parse_for_transaction(load(&name)).and_then(|m| m.validate_deferred());
        assert_eq!(full.as_ref().err(), split.as_ref().err(), "{name}");
    }
    for (name, code, reason) in REJECTED {
        let lazy = Message::parse_for_transaction(load(name));
        let e = match lazy {
            Ok(m) => m.validate_deferred().expect_err(name),
            Err(e) => e,
        };
        assert_eq!((e.status_code(), e.to_string().as_str()), (code, reason), "{name}");
    }
}
