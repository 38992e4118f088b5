//! Property tests for the SIP parser.
//!
//! * Robustness: random bytes, bytes biased toward SIP syntax, SIP-shaped fragments and a
//!   valid skeleton with fuzzed values must never make `Message::parse_datagram` (or
//!   `Message::index`) panic, and every accessor on whatever comes back must not panic either.
//!   A `Valid` message must also keep the promises `validate` makes (the mandatory headers
//!   read, `body().len()` equals Content-Length, ...); a `Reject` must be an answerable request.
//! * Mutations of every seed message (tests/corpus/*.sip and tests/fixtures/rfc4475/*.dat):
//!   replaced, inserted and deleted bytes, truncations, duplicated slices, several edits at
//!   once; and, exhaustively, every truncation, every single-byte deletion and every position
//!   replaced by a structural byte.
//! * Round trips: corpus messages re-joined from their index reproduce the input byte for
//!   byte; generated valid messages (random methods, URIs, Vias, name-addrs, compact and
//!   odd-case header names, white space around colons and values, shuffled headers, bodies)
//!   parse back to exactly the values that were written.
//! * Representation invariance: leading keep-alive CRLFs, bare-LF line ends, header folding,
//!   white space around values and trailing datagram bytes past Content-Length do not change
//!   what the accessors read; the size and header-count limits cut exactly at the message's
//!   own size and count.
//! * Stream framing (`framing::frame`): never panics, never claims more than it holds, and
//!   frames every corpus message exactly.
//!
//! Two tests (`uri_equivalence_is_reflexive_with_repeated_names`,
//! `numbers_with_many_leading_zeros_read_their_value`) pin parser bugs found here; they fail
//! until the bugs are fixed.
//!
//! Failure persistence is off (no regression files are written); proptest prints the minimal
//! failing input as text. PROPTEST_CASES overrides every case count (e.g. for a soak run).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use bytes::Bytes;
use callshard::sip::framing::{frame, Frame};
use callshard::sip::{
    HeaderName, Host, Message, Method, NameAddr, ParseError, ParseLimits, Parsed, SipUri, StartLine, Via,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;

// ---------------------------------------------------------------------------------------
// Seeds
// ---------------------------------------------------------------------------------------

/// Every header kind the parser knows, plus `Other`.
const ALL_HEADERS: [HeaderName; 34] = [
    HeaderName::Accept,
    HeaderName::AcceptContact,
    HeaderName::Allow,
    HeaderName::AllowEvents,
    HeaderName::CallId,
    HeaderName::Contact,
    HeaderName::ContentEncoding,
    HeaderName::ContentLength,
    HeaderName::ContentType,
    HeaderName::CSeq,
    HeaderName::Date,
    HeaderName::Event,
    HeaderName::Expires,
    HeaderName::From,
    HeaderName::Identity,
    HeaderName::MaxForwards,
    HeaderName::ProxyRequire,
    HeaderName::RecordRoute,
    HeaderName::ReferTo,
    HeaderName::ReferredBy,
    HeaderName::RejectContact,
    HeaderName::RequestDisposition,
    HeaderName::Require,
    HeaderName::RetryAfter,
    HeaderName::Route,
    HeaderName::Server,
    HeaderName::SessionExpires,
    HeaderName::Subject,
    HeaderName::Supported,
    HeaderName::To,
    HeaderName::Unsupported,
    HeaderName::UserAgent,
    HeaderName::Via,
    HeaderName::Other,
];

/// Fails to compile when a header kind is added, so that `ALL_HEADERS` is kept complete.
#[allow(dead_code)]
fn all_headers_is_exhaustive(h: HeaderName) {
    use HeaderName::*;
    match h {
        Accept | AcceptContact | Allow | AllowEvents | CallId | Contact | ContentEncoding | ContentLength
        | ContentType | CSeq | Date | Event | Expires | From | Identity | MaxForwards | ProxyRequire | RecordRoute
        | ReferTo | ReferredBy | RejectContact | RequestDisposition | Require | RetryAfter | Route | Server
        | SessionExpires | Subject | Supported | To | Unsupported | UserAgent | Via | Other => {}
    }
}

struct Seed {
    name: String,
    bytes: Vec<u8>,
    /// tests/corpus files: valid and written in canonical form.
    canonical: bool,
}

fn read_dir_sorted(dir: &str, ext: &str) -> Vec<(String, Vec<u8>)> {
    let path = format!("{}/{dir}", env!("CARGO_MANIFEST_DIR"));
    let Ok(entries) = std::fs::read_dir(&path) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (format!("{dir}/{name}"), std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// tests/corpus/*.sip then every tests/fixtures/rfc4475/*.dat present when the test runs.
fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let corpus = read_dir_sorted("tests/corpus", "sip");
        assert!(!corpus.is_empty(), "tests/corpus/*.sip is empty");
        let fixtures = read_dir_sorted("tests/fixtures/rfc4475", "dat");
        corpus
            .into_iter()
            .map(|(name, bytes)| Seed { name, bytes, canonical: true })
            .chain(fixtures.into_iter().map(|(name, bytes)| Seed { name, bytes, canonical: false }))
            .collect()
    })
}

fn corpus() -> impl Iterator<Item = &'static Seed> {
    seeds().iter().filter(|s| s.canonical)
}

fn config(cases: u32) -> Config {
    Config { cases, failure_persistence: None, ..Config::default() }
}

fn show(b: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(b))
}

// ---------------------------------------------------------------------------------------
// Exercising every accessor
// ---------------------------------------------------------------------------------------

fn exercise_uri(u: &SipUri<'_>) {
    let _ = (u.scheme, u.user, u.password, u.port, u.headers);
    exercise_host(&u.host);
    let _ = u.transport();
    let _ = u.is_loose_router();
    for (n, v) in u.params.iter() {
        let _ = (n.len(), v.map(<[u8]>::len));
    }
    let _ = u.params.is_well_formed(b"[]/:&+$%");
    // Reflexivity is asserted only without repeated parameter or header names: with them it
    // fails today, see `uri_equivalence_is_reflexive_with_repeated_names`.
    if !has_repeated_names(u) {
        assert!(u.equivalent(u), "a URI is equivalent to itself: {u:?}");
    }
}

fn has_repeated_names(u: &SipUri<'_>) -> bool {
    let mut params: Vec<Vec<u8>> = u.params.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    let mut headers: Vec<Vec<u8>> = u
        .headers
        .split(|&b| b == b'&')
        .map(|h| h.split(|&b| b == b'=').next().unwrap_or(h).to_ascii_lowercase())
        .collect();
    let n = (params.len(), headers.len());
    params.sort();
    params.dedup();
    headers.sort();
    headers.dedup();
    n != (params.len(), headers.len())
}

/// PARSER BUG (uri_compare.rs, `params_equivalent` / `headers_equivalent`): a URI that repeats
/// a parameter or header name is not equivalent to itself, because each of its parameters is
/// compared with the *first* one of that name in the other URI. The ABNF allows repeats
/// (`*( ";" uri-parameter )`), and equivalence must be reflexive whatever the input.
#[test]
fn uri_equivalence_is_reflexive_with_repeated_names() {
    for raw in [&b"sip:a@b;transport=udp;transport=tcp"[..], b"sip:a@b;x=1;x=2", b"sip:a@b?x=1&x=2"] {
        let u = SipUri::parse(raw).unwrap();
        assert!(u.equivalent(&u), "{} is not equivalent to itself", show(raw));
    }
}

fn exercise_host(h: &Host<'_>) {
    let _ = h.ip();
    assert!(h.matches(h), "a host matches itself: {h:?}");
}

fn exercise_via(v: &Via<'_>) {
    let _ = (v.version, v.transport, v.port);
    exercise_host(&v.host);
    let _ = v.branch();
    let _ = v.has_rfc3261_branch();
    let _ = v.received();
    let _ = v.rport();
    let _ = v.maddr();
    let _ = v.params.iter().count();
}

fn exercise_name_addr(n: &NameAddr<'_>) {
    let _ = (n.display, n.uri);
    let _ = n.tag();
    let _ = n.params.iter().count();
    let _ = n.params.value(b"expires");
    let _ = n.params.get(b"q");
    if let Ok(u) = n.sip_uri() {
        exercise_uri(&u);
    }
}

fn exercise_error(e: &ParseError) {
    let _ = e.to_string();
    let _ = e.detail();
    assert!(matches!(e.status_code(), 400 | 416 | 505 | 513), "status code of {e:?}");
}

/// Calls every accessor of `m`; none may panic, whatever the message holds.
fn exercise(m: &Message) {
    let _ = m.start_line();
    let _ = (m.is_request(), m.method(), m.status(), m.can_answer());
    let _ = (m.method_bytes(), m.request_uri(), m.reason(), m.version());
    if let Ok(u) = SipUri::parse(m.request_uri()) {
        exercise_uri(&u);
    }
    let _ = m.bytes().len();

    for (kind, name, value) in m.headers() {
        assert_eq!(HeaderName::classify(name), kind, "kind of {}", show(name));
        let _ = (kind.as_str(), value.len());
        assert!(m.header_named(name).is_some(), "header_named({})", show(name));
    }
    assert_eq!(m.header_fields().len(), m.headers().count());
    for kind in ALL_HEADERS {
        let _ = m.header(kind);
        let _ = m.header_all(kind).count();
        let _ = m.values(kind).count();
    }
    let _ = m.header_named(b"X-Not-There");

    if let Ok(v) = m.top_via() {
        exercise_via(&v);
        assert_eq!(m.top_via_for_routing(), Some(v), "a strict Via also reads leniently");
    }
    if let Some(v) = m.top_via_for_routing() {
        exercise_via(&v);
    }
    for v in m.vias().flatten() {
        exercise_via(&v);
    }
    if let Ok(n) = m.from() {
        exercise_name_addr(&n);
    }
    if let Ok(n) = m.to() {
        exercise_name_addr(&n);
    }
    for n in m.contacts().chain(m.routes()).chain(m.record_routes()).flatten() {
        exercise_name_addr(&n);
    }
    let _ = m.contact_is_wildcard();
    let _ = m.call_id();
    if let Ok(c) = m.cseq() {
        let _ = (c.seq, c.method, c.method_bytes);
    }
    let _ = m.max_forwards();
    let _ = m.content_length();
    let _ = m.expires();
    if let Ok(Some(ct)) = m.content_type() {
        let _ = ct.is(b"application", b"sdp");
        let _ = ct.params.iter().count();
    }
    let _ = m.require().count();
    let _ = m.proxy_require().count();
    let _ = m.supported().count();
    assert_eq!(m.body_bytes(), m.body());
    for e in [
        m.top_via().err(),
        m.from().err(),
        m.to().err(),
        m.call_id().err(),
        m.cseq().err(),
        m.max_forwards().err(),
        m.content_length().err(),
        m.expires().err(),
        m.content_type().err(),
    ]
    .iter()
    .flatten()
    {
        exercise_error(e);
    }
}

/// What `validate` promises about a `Valid` message.
fn check_valid(m: &Message, input: &[u8]) {
    assert_eq!(m.bytes().as_ref(), input);
    assert!(m.version().eq_ignore_ascii_case(b"SIP/2.0"));
    assert!(m.top_via().is_ok());
    assert!(m.from().is_ok());
    assert!(m.to().is_ok());
    assert!(m.call_id().is_ok());
    let cseq = m.cseq().expect("cseq of a valid message");
    assert!(m.max_forwards().is_ok());
    let cl = m.content_length().expect("content-length of a valid message");
    if let Some(n) = cl {
        assert_eq!(m.body().len(), n, "body length vs Content-Length");
    }
    match m.start_line() {
        StartLine::Request { method, .. } => {
            assert_eq!(cseq.method_bytes, m.method_bytes());
            assert_eq!(Method::from_bytes(m.method_bytes()), method);
            assert!(!m.request_uri().is_empty());
            assert_eq!(m.status(), None);
        }
        StartLine::Response { code, .. } => {
            assert!((100..=699).contains(&code));
            assert_eq!(m.method(), None);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Valid,
    Reject,
    Drop,
}

/// Parses `input` as a datagram and checks everything that must hold for the result; also
/// exercises the unvalidated index.
fn check_datagram_with(input: &[u8], limits: &ParseLimits) -> Kind {
    let bytes = Bytes::copy_from_slice(input);
    match Message::parse_datagram(bytes.clone(), limits) {
        Parsed::Valid(m) => {
            exercise(&m);
            check_valid(&m, input);
            Kind::Valid
        }
        Parsed::Reject(m, e) => {
            exercise(&m);
            exercise_error(&e);
            // Only requests other than ACK whose top Via reads (leniently) are answered.
            assert!(m.is_request());
            assert_ne!(m.method(), Some(Method::Ack));
            assert!(m.top_via_for_routing().is_some());
            assert!(m.can_answer());
            Kind::Reject
        }
        Parsed::Drop(e) => {
            exercise_error(&e);
            // The unvalidated index of a dropped message must be just as safe to read.
            if let Ok(m) = Message::index(bytes, limits) {
                exercise(&m);
                assert_eq!(m.bytes().as_ref(), input);
            }
            Kind::Drop
        }
    }
}

fn check_datagram(input: &[u8]) -> Kind {
    check_datagram_with(input, &ParseLimits::default())
}

// ---------------------------------------------------------------------------------------
// Summary: the values a transaction layer reads, owned, to compare two parses
// ---------------------------------------------------------------------------------------

type B = Vec<u8>;

#[derive(Debug, PartialEq, Eq)]
struct ViaSummary {
    transport: B,
    host: String,
    port: Option<u16>,
    branch: Option<B>,
    received: Option<B>,
    rport: Option<Option<u16>>,
}

#[derive(Debug, PartialEq, Eq)]
struct AddrSummary {
    uri: B,
    tag: Option<B>,
    params: Vec<(B, Option<B>)>,
}

#[derive(Debug, PartialEq, Eq)]
struct Summary {
    method: B,
    request_uri: B,
    status: Option<u16>,
    reason: B,
    call_id: B,
    cseq: (u32, B),
    vias: Vec<Option<ViaSummary>>,
    from: AddrSummary,
    to: AddrSummary,
    contacts: Vec<Option<AddrSummary>>,
    routes: Vec<Option<AddrSummary>>,
    record_routes: Vec<Option<AddrSummary>>,
    max_forwards: Option<u8>,
    content_length: Option<usize>,
    expires: Result<Option<u32>, ParseError>,
    content_type: Option<(B, B)>,
    supported: Vec<B>,
    require: Vec<B>,
    body: B,
}

fn host_string(h: &Host<'_>) -> String {
    match h {
        Host::Name(n) => String::from_utf8_lossy(n).to_ascii_lowercase(),
        Host::Ipv4(a) => a.to_string(),
        Host::Ipv6(a) => a.to_string(),
    }
}

fn via_summary(v: Via<'_>) -> ViaSummary {
    ViaSummary {
        transport: v.transport.to_vec(),
        host: host_string(&v.host),
        port: v.port,
        branch: v.branch().map(<[u8]>::to_vec),
        received: v.received().map(<[u8]>::to_vec),
        rport: v.rport(),
    }
}

fn addr_summary(n: NameAddr<'_>) -> AddrSummary {
    AddrSummary {
        uri: n.uri.to_vec(),
        tag: n.tag().map(<[u8]>::to_vec),
        params: n.params.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.map(<[u8]>::to_vec))).collect(),
    }
}

fn summary(m: &Message) -> Summary {
    let owned = |it: &mut dyn Iterator<Item = &[u8]>| it.map(<[u8]>::to_vec).collect();
    let cseq = m.cseq().unwrap();
    Summary {
        method: m.method_bytes().to_vec(),
        request_uri: m.request_uri().to_vec(),
        status: m.status(),
        reason: m.reason().to_vec(),
        call_id: m.call_id().unwrap().to_vec(),
        cseq: (cseq.seq, cseq.method_bytes.to_vec()),
        vias: m.vias().map(|v| v.map(via_summary)).collect(),
        from: addr_summary(m.from().unwrap()),
        to: addr_summary(m.to().unwrap()),
        contacts: m.contacts().map(|n| n.map(addr_summary)).collect(),
        routes: m.routes().map(|n| n.map(addr_summary)).collect(),
        record_routes: m.record_routes().map(|n| n.map(addr_summary)).collect(),
        max_forwards: m.max_forwards().unwrap(),
        content_length: m.content_length().unwrap(),
        expires: m.expires(),
        content_type: m.content_type().unwrap().map(|c| (c.kind.to_ascii_lowercase(), c.subtype.to_ascii_lowercase())),
        supported: owned(&mut m.supported()),
        require: owned(&mut m.require()),
        body: m.body().to_vec(),
    }
}

fn parse_valid(input: &[u8]) -> Message {
    match Message::parse(Bytes::copy_from_slice(input)) {
        Ok(m) => m,
        Err(e) => panic!("expected a valid message, got {e:?} for {}", show(input)),
    }
}

/// Offset of the body: after the first empty line (CRLF CRLF or bare LF LF) that follows
/// the start line, skipping leading keep-alive CRLFs.
fn body_offset(input: &[u8]) -> usize {
    let lead = input.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    let rest = &input[lead..];
    let crlf = rest.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
    let lf = rest.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    lead + [crlf, lf].into_iter().flatten().min().unwrap()
}

// ---------------------------------------------------------------------------------------
// Random and biased input
// ---------------------------------------------------------------------------------------

const SIP_PUNCT: &[u8] = b":;,<>\"@ \r\n\t=/%[]";
const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_+!~*'";

/// A byte that is, about half the time, SIP punctuation, else mostly a letter or digit.
fn biased(r: u16) -> u8 {
    let pick = (r >> 4) as usize;
    match r % 10 {
        0..=4 => SIP_PUNCT[pick % SIP_PUNCT.len()],
        5..=8 => LETTERS[pick % LETTERS.len()],
        _ => pick as u8,
    }
}

fn sip_biased_byte() -> impl Strategy<Value = u8> {
    any::<u16>().prop_map(biased)
}

/// Cheaper than a vector of `sip_biased_byte` (one draw per byte, no union per byte).
fn sip_biased_bytes(len: std::ops::Range<usize>) -> impl Strategy<Value = Input> {
    prop::collection::vec(any::<u16>(), len).prop_map(|v| Input(v.into_iter().map(biased).collect()))
}

/// Pieces of SIP syntax that random concatenation turns into near-messages.
const FRAGMENTS: &[&str] = &[
    "INVITE ",
    "ACK ",
    "BYE ",
    "REGISTER ",
    "OPTIONS ",
    "CANCEL ",
    "NEWMETHOD ",
    "SIP/2.0",
    "SIP/2.0 ",
    "SIP/2.0/UDP ",
    "SIP/2.0/TCP ",
    "sip:",
    "sips:",
    "tel:",
    "alice@",
    "bob@",
    "example.com",
    "192.0.2.1",
    "[2001:db8::1]",
    "[::1",
    ":5060",
    ":",
    ";",
    ",",
    "<",
    ">",
    "\"",
    "\\",
    "@",
    " ",
    "\t",
    "\r\n",
    "\n",
    "\r",
    "\r\n\r\n",
    "\r\n ",
    "200 OK",
    "180 ",
    "100",
    "699",
    "Via: ",
    "v: ",
    "From: ",
    "f: ",
    "To: ",
    "t: ",
    "Call-ID: ",
    "i: ",
    "CSeq: ",
    "1 INVITE",
    "2147483648 ",
    "Max-Forwards: ",
    "70",
    "256",
    "Contact: ",
    "m: ",
    "*",
    "Route: ",
    "Record-Route: ",
    "Content-Length: ",
    "l: ",
    "0",
    "99999999999999999999",
    "Content-Type: ",
    "application/sdp",
    "Expires: ",
    "Require: ",
    "Supported: ",
    "k: ",
    ";branch=z9hG4bK",
    ";tag=",
    ";rport",
    ";received=",
    ";lr",
    ";transport=tcp",
    "%",
    "%4",
    "%41",
    "?",
    "&",
    "=",
    "Alice",
    "\"A, <b>\" ",
    "v=0\r\n",
];

/// 0..8 fragments, with now and then a few random SIP-biased bytes.
fn fragments(n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            6 => prop::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
            1 => prop::collection::vec(sip_biased_byte(), 1..8),
        ],
        n,
    )
    .prop_map(|parts| parts.concat())
}

const START_LINES: &[&str] = &[
    "INVITE sip:bob@example.com SIP/2.0",
    "OPTIONS sip:[2001:db8::1]:5060;transport=tcp SIP/2.0",
    "ACK sip:a@192.0.2.1 SIP/2.0",
    "NEWMETHOD tel:+1234 SIP/2.0",
    "SIP/2.0 200 OK",
    "SIP/2.0 100 ",
];

/// A message made of fragments: a start line (usually plausible), header lines of
/// fragments under known and compact names, the empty line, a body of fragments. Or, now
/// and then, one flat run of fragments.
fn fragment_message() -> impl Strategy<Value = Vec<u8>> {
    let start = prop_oneof![
        4 => prop::sample::select(START_LINES).prop_map(|s| s.as_bytes().to_vec()),
        1 => fragments(1..6),
    ];
    let name = prop_oneof![
        4 => prop::sample::select(
            &["Via", "v", "From", "f", "To", "t", "Call-ID", "i", "CSeq", "Max-Forwards", "Contact", "m",
              "Route", "Record-Route", "Content-Length", "l", "Content-Type", "c", "Expires", "Require",
              "Supported", "Date", "X-Other"][..]
        )
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => fragments(1..3),
    ];
    let structured = (
        start,
        prop::collection::vec((name, prop::sample::select(&[": ", ":", " : ", ":\r\n "][..]), fragments(0..8)), 0..14),
        fragments(0..4),
    )
        .prop_map(|(start, headers, body)| {
            let mut out = start;
            out.extend_from_slice(b"\r\n");
            for (name, colon, value) in headers {
                out.extend_from_slice(&name);
                out.extend_from_slice(colon.as_bytes());
                out.extend_from_slice(&value);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&body);
            out
        });
    prop_oneof![4 => structured, 1 => fragments(0..80)]
}

/// A valid request skeleton in which each value is, with some probability, replaced by
/// random SIP-biased bytes: reaches `Valid` and `Reject` with odd values in every accessor.
fn skeleton_message() -> impl Strategy<Value = Vec<u8>> {
    const LINES: [(&str, &str); 12] = [
        ("", "INVITE sip:bob@biloxi.example.com SIP/2.0"),
        ("Via", "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport"),
        ("Max-Forwards", "70"),
        ("To", "Bob <sip:bob@biloxi.example.com>"),
        ("From", "\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774"),
        ("Call-ID", "a84b4c76e66710@pc33.atlanta.example.com"),
        ("CSeq", "314159 INVITE"),
        ("Contact", "<sip:alice@pc33.atlanta.example.com>, sip:x@[2001:db8::1]:5070;q=0.5"),
        ("Route", "<sip:p1.example.com;lr>"),
        ("Supported", "replaces, timer"),
        ("Content-Type", "application/sdp"),
        ("Content-Length", "4"),
    ];
    let value = |v: &'static str| {
        prop_oneof![
            12 => Just(v.as_bytes().to_vec()),
            1 => prop::collection::vec(sip_biased_byte(), 0..40),
            1 => fragments(1..5),
            1 => (Just(v), any::<Index>(), prop::collection::vec(sip_biased_byte(), 1..4))
                .prop_map(|(v, at, ins)| {
                    let mut b = v.as_bytes().to_vec();
                    let at = at.index(b.len() + 1);
                    b.splice(at..at, ins);
                    b
                }),
        ]
    };
    let lines: Vec<_> = LINES.iter().map(|&(name, v)| (Just(name), value(v))).collect();
    (lines, prop::collection::vec(any::<u8>(), 0..10)).prop_map(|(lines, body)| {
        let mut out = Vec::new();
        for (name, value) in lines {
            if !name.is_empty() {
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b": ");
            }
            out.extend_from_slice(&value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&body);
        out
    })
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn random_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..2000).prop_map(Input)) {
        check_datagram(&input.0);
    }

    #[test]
    fn sip_biased_bytes_never_panic(input in sip_biased_bytes(0..2000)) {
        check_datagram(&input.0);
    }

    #[test]
    fn sip_fragments_never_panic(input in fragment_message().prop_map(Input)) {
        check_datagram(&input.0);
    }

    #[test]
    fn fuzzed_skeleton_never_panics(input in skeleton_message().prop_map(Input)) {
        check_datagram(&input.0);
    }
}

// ---------------------------------------------------------------------------------------
// Mutations of the seed messages
// ---------------------------------------------------------------------------------------

fn seed_at(i: &Index) -> &'static Seed {
    let s = seeds();
    &s[i.index(s.len())]
}

/// A test input whose `Debug` is readable text, so that proptest's minimal failing case can
/// be pasted into a reproducer.
#[derive(Clone)]
struct Input(Vec<u8>);

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b{:?}", String::from_utf8_lossy(&self.0))?;
        if std::str::from_utf8(&self.0).is_err() {
            write!(f, " (not UTF-8: {:?})", self.0)?;
        }
        Ok(())
    }
}

/// One edit applied to a seed.
#[derive(Clone, Copy, Debug)]
enum Edit {
    Replace(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    Truncate(Index),
    Duplicate { from: Index, to: Index, at: Index },
}

impl Edit {
    fn apply(self, input: &mut Vec<u8>) {
        let len = input.len();
        match self {
            Edit::Replace(i, b) if len > 0 => input[i.index(len)] = b,
            Edit::Insert(i, b) => input.insert(i.index(len + 1), b),
            Edit::Delete(i) if len > 0 => {
                input.remove(i.index(len));
            }
            Edit::Truncate(i) => input.truncate(i.index(len + 1)),
            Edit::Duplicate { from, to, at } => {
                let (a, b) = (from.index(len + 1), to.index(len + 1));
                let slice = input[a.min(b)..a.max(b)].to_vec();
                let at = at.index(len + 1);
                input.splice(at..at, slice);
            }
            _ => {}
        }
    }
}

fn mutated(edit: impl Strategy<Value = Edit>, edits: std::ops::Range<usize>) -> impl Strategy<Value = Input> {
    (any::<Index>(), prop::collection::vec(edit, edits)).prop_map(|(seed, edits)| {
        let mut input = seed_at(&seed).bytes.clone();
        for e in edits {
            e.apply(&mut input);
        }
        Input(input)
    })
}

fn any_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), sip_biased_byte()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<Index>(), sip_biased_byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Delete),
    ]
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn replaced_byte_never_panics(
        input in mutated((any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)), 1..2)
    ) {
        check_datagram(&input.0);
    }

    #[test]
    fn replaced_sip_byte_never_panics(
        input in mutated((any::<Index>(), sip_biased_byte()).prop_map(|(i, b)| Edit::Replace(i, b)), 1..2)
    ) {
        check_datagram(&input.0);
    }

    #[test]
    fn inserted_byte_never_panics(
        input in mutated((any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)), 1..2)
    ) {
        check_datagram(&input.0);
    }

    #[test]
    fn deleted_byte_never_panics(input in mutated(any::<Index>().prop_map(Edit::Delete), 1..2)) {
        check_datagram(&input.0);
    }

    #[test]
    fn truncation_never_panics(input in mutated(any::<Index>().prop_map(Edit::Truncate), 1..2)) {
        check_datagram(&input.0);
    }

    #[test]
    fn duplicated_slice_never_panics(
        input in mutated(
            (any::<Index>(), any::<Index>(), any::<Index>())
                .prop_map(|(from, to, at)| Edit::Duplicate { from, to, at }),
            1..2,
        )
    ) {
        check_datagram(&input.0);
    }

    #[test]
    fn several_mutations_never_panic(input in mutated(any_edit(), 1..8)) {
        check_datagram(&input.0);
    }

    /// The size and header-count limits cut exactly at the message's own size and count.
    #[test]
    fn limits_cut_exactly(seed in any::<Index>(), size_delta in -3i64..=3, count_delta in -2i64..=2) {
        let seed = seed_at(&seed);
        let headers = match Message::index(Bytes::copy_from_slice(&seed.bytes), &ParseLimits::default()) {
            Ok(m) => m.headers().count(),
            Err(_) => 0,
        };
        let at = |n: usize, d: i64| (n as i64 + d).max(0) as usize;
        let limits = ParseLimits {
            max_message_size: at(seed.bytes.len(), size_delta),
            max_headers: at(headers, count_delta),
        };
        let got = check_datagram_with(&seed.bytes, &limits);
        if Message::parse(Bytes::copy_from_slice(&seed.bytes)).is_ok() {
            let expect = if seed.bytes.len() > limits.max_message_size {
                Some(ParseError::TooLarge)
            } else if headers > limits.max_headers {
                Some(ParseError::TooManyHeaders)
            } else {
                None
            };
            match (Message::parse_datagram(Bytes::copy_from_slice(&seed.bytes), &limits), expect) {
                (Parsed::Valid(_), None) => {}
                (Parsed::Drop(e), Some(x)) => prop_assert_eq!(e, x),
                (other, x) => prop_assert!(false, "{}: {:?}, expected {:?}", seed.name, other, x),
            }
            prop_assert_eq!(got == Kind::Valid, expect.is_none());
        }
    }
}

/// Prints what was being checked when the check panics (exhaustive loops have no shrinker).
struct OnPanic<F: Fn() -> String>(F);

impl<F: Fn() -> String> Drop for OnPanic<F> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("while checking {}", (self.0)());
        }
    }
}

/// Every prefix of every seed, exhaustively.
#[test]
fn every_truncation_never_panics() {
    for seed in seeds() {
        for n in 0..=seed.bytes.len() {
            let input = &seed.bytes[..n];
            let _g = OnPanic(|| format!("{} truncated to {n}: {:?}", seed.name, Input(input.to_vec())));
            check_datagram(input);
        }
    }
}

/// Every single-byte deletion of every seed, exhaustively.
#[test]
fn every_deletion_never_panics() {
    for seed in seeds() {
        for at in 0..seed.bytes.len() {
            let mut input = seed.bytes.clone();
            input.remove(at);
            let _g = OnPanic(|| format!("{} without byte {at}: {:?}", seed.name, Input(input.clone())));
            check_datagram(&input);
        }
    }
}

/// Every position of every seed replaced by a byte that carries meaning in SIP syntax (the
/// byte rotates with the position, so each position meets several across the seeds).
#[test]
fn every_position_replaced_never_panics() {
    const STRUCTURAL: &[u8] = b":;,<>\"\\@ \r\n\t[]%=/?\x00\xff";
    for (k, seed) in seeds().iter().enumerate() {
        for at in 0..seed.bytes.len() {
            let b = STRUCTURAL[(at + k) % STRUCTURAL.len()];
            let mut input = seed.bytes.clone();
            input[at] = b;
            let _g = OnPanic(|| format!("{} with byte {at} = {b:#04x}: {:?}", seed.name, Input(input.clone())));
            check_datagram(&input);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Round trips on the corpus
// ---------------------------------------------------------------------------------------

/// Rebuilds a canonical message from its index: start line, `name: value` lines, body.
fn rejoin(m: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    match m.start_line() {
        StartLine::Request { .. } => {
            for part in [m.method_bytes(), b" ", m.request_uri(), b" ", m.version()] {
                out.extend_from_slice(part);
            }
        }
        StartLine::Response { code, .. } => {
            out.extend_from_slice(m.version());
            out.extend_from_slice(format!(" {code:03} ").as_bytes());
            out.extend_from_slice(m.reason());
        }
    }
    out.extend_from_slice(b"\r\n");
    for (_, name, value) in m.headers() {
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(m.body());
    out
}

#[test]
fn corpus_round_trips() {
    let mut n = 0;
    for seed in corpus() {
        let input = &seed.bytes;
        let m = parse_valid(input);
        assert_eq!(m.bytes().as_ref(), &input[..], "{}: bytes()", seed.name);
        let body_at = body_offset(input);
        assert_eq!(m.body(), &input[body_at..], "{}: body", seed.name);
        assert_eq!(rejoin(&m), *input, "{}: header section re-joined from the index", seed.name);
        check_valid(&m, input);
        exercise(&m);
        n += 1;
    }
    assert!(n >= 6, "corpus shrank to {n} messages");
}

/// RFC 4475 fixtures the parser accepts keep their bytes, and the body is Content-Length
/// bytes starting right after the empty line (or the rest of the datagram without one).
#[test]
fn accepted_fixtures_keep_bytes_and_body() {
    for seed in seeds().iter().filter(|s| !s.canonical) {
        let Ok(m) = Message::parse(Bytes::copy_from_slice(&seed.bytes)) else {
            continue;
        };
        let input = &seed.bytes;
        assert_eq!(m.bytes().as_ref(), &input[..], "{}", seed.name);
        let rest = &input[body_offset(input)..];
        match m.content_length().unwrap() {
            Some(n) => assert_eq!(m.body(), &rest[..n], "{}: body", seed.name),
            None => assert_eq!(m.body(), rest, "{}: body", seed.name),
        }
        check_valid(&m, input);
    }
}

// ---------------------------------------------------------------------------------------
// Representation invariance on the corpus
// ---------------------------------------------------------------------------------------

fn corpus_seed(i: &Index) -> &'static Seed {
    let c: Vec<_> = corpus().collect();
    c[i.index(c.len())]
}

/// Converts the header section (not the body) to bare-LF line ends.
fn bare_lf_headers(input: &[u8]) -> Vec<u8> {
    let at = body_offset(input);
    let mut out = Vec::new();
    let head = &input[..at];
    let mut i = 0;
    while i < head.len() {
        if head[i..].starts_with(b"\r\n") {
            out.push(b'\n');
            i += 2;
        } else {
            out.push(head[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&input[at..]);
    out
}

proptest! {
    #![proptest_config(config(500))]

    /// Keep-alive CRLFs before the start line are ignored (RFC 3261 7.5).
    #[test]
    fn leading_crlfs_are_ignored(seed in any::<Index>(), n in 1usize..5, lf_only in any::<bool>()) {
        let seed = corpus_seed(&seed);
        let mut input = if lf_only { b"\n".repeat(n) } else { b"\r\n".repeat(n) };
        input.extend_from_slice(&seed.bytes);
        prop_assert_eq!(summary(&parse_valid(&input)), summary(&parse_valid(&seed.bytes)));
    }

    /// Bytes past Content-Length in a datagram are discarded (RFC 3261 18.3).
    #[test]
    fn bytes_past_content_length_are_ignored(
        seed in any::<Index>(),
        extra in prop::collection::vec(any::<u8>(), 1..300)
    ) {
        let seed = corpus_seed(&seed);
        let mut input = seed.bytes.clone();
        input.extend_from_slice(&extra);
        let m = parse_valid(&input);
        check_valid(&m, &input);
        prop_assert_eq!(summary(&m), summary(&parse_valid(&seed.bytes)));
    }

    /// A body shorter than Content-Length is refused, never read past the datagram.
    #[test]
    fn short_body_is_refused(seed in any::<Index>(), cut in 1usize..50) {
        let with_body: Vec<_> = corpus()
            .filter(|s| s.bytes.len() > body_offset(&s.bytes))
            .collect();
        let seed = with_body[seed.index(with_body.len())];
        let body = seed.bytes.len() - body_offset(&seed.bytes);
        let input = &seed.bytes[..seed.bytes.len() - cut.min(body)];
        let err = Message::parse(Bytes::copy_from_slice(input)).unwrap_err();
        prop_assert_eq!(err, ParseError::BodyTruncated);
    }

    /// Folding a header line at one of its spaces (RFC 3261 7.3.1) changes no value read.
    #[test]
    fn folding_at_a_space_changes_nothing(
        seed in any::<Index>(), which in any::<Index>(), tab in any::<bool>()
    ) {
        let seed = corpus_seed(&seed);
        let input = &seed.bytes;
        let head_end = body_offset(input) - 2;
        let first_line = input.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
        // Spaces inside header values, not the one after the colon.
        let spaces: Vec<usize> = (first_line..head_end)
            .filter(|&i| input[i] == b' ' && input[i - 1] != b':')
            .collect();
        prop_assume!(!spaces.is_empty());
        let at = spaces[which.index(spaces.len())];
        let mut folded = input[..at].to_vec();
        folded.extend_from_slice(if tab { b"\r\n\t" } else { b"\r\n " });
        folded.extend_from_slice(&input[at + 1..]);
        prop_assert_eq!(summary(&parse_valid(&folded)), summary(&parse_valid(input)));
    }

    /// Linear white space after the colon and at the end of a header line is not part of
    /// the value.
    #[test]
    fn white_space_around_values_is_trimmed(
        seed in any::<Index>(), which in any::<Index>(),
        before in "[ \t]{0,3}", after in "[ \t]{0,3}"
    ) {
        let seed = corpus_seed(&seed);
        let input = &seed.bytes;
        let head_end = body_offset(input) - 2;
        let colons: Vec<usize> = (0..head_end)
            .filter(|&i| input[i] == b':' && input.get(i + 1) == Some(&b' '))
            .filter(|&i| !input[..i].ends_with(b"sip") && !input[..i].ends_with(b"rtpmap"))
            .collect();
        prop_assume!(!colons.is_empty());
        let colon = colons[which.index(colons.len())];
        let eol = colon + input[colon..].windows(2).position(|w| w == b"\r\n").unwrap();
        let mut spaced = input[..=colon].to_vec();
        spaced.extend_from_slice(before.as_bytes());
        spaced.extend_from_slice(&input[colon + 1..eol]);
        spaced.extend_from_slice(after.as_bytes());
        spaced.extend_from_slice(&input[eol..]);
        prop_assert_eq!(summary(&parse_valid(&spaced)), summary(&parse_valid(input)));
    }
}

/// PARSER BUG (lex.rs, `parse_decimal` refuses more than 20 digits before looking at their
/// value): `1*DIGIT` numbers with many leading zeros are in range but refused, CSeq even with
/// the reason "number above 2^31-1". RFC 4475 3.1.1.1 has leading zeros (0068, 0009); a
/// sender padding to more than 20 digits is odd but valid.
#[test]
fn numbers_with_many_leading_zeros_read_their_value() {
    let zeros = "0".repeat(30);
    let base = corpus().find(|s| s.name.ends_with("register.sip")).expect("register.sip");
    let text = String::from_utf8(base.bytes.clone()).unwrap();
    for (from, to) in [
        ("Max-Forwards: 70", format!("Max-Forwards: {zeros}70")),
        ("CSeq: 1826 REGISTER", format!("CSeq: {zeros}1826 REGISTER")),
        ("Content-Length: 0", format!("Content-Length: {zeros}")),
        ("Expires: 7200", format!("Expires: {zeros}7200")),
    ] {
        assert!(text.contains(from));
        let input = text.replace(from, &to);
        let m = Message::parse(Bytes::from(input)).unwrap_or_else(|e| panic!("{to}: {e:?}"));
        assert_eq!(summary(&m), summary(&parse_valid(&base.bytes)), "{to}");
    }
}

#[test]
fn bare_lf_header_lines_read_the_same() {
    for seed in corpus() {
        let lf = bare_lf_headers(&seed.bytes);
        assert_eq!(summary(&parse_valid(&lf)), summary(&parse_valid(&seed.bytes)), "{}", seed.name);
    }
}

// ---------------------------------------------------------------------------------------
// Generated valid messages parse back to what was written
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum GHost {
    Name(String),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

impl GHost {
    fn render(&self) -> String {
        match self {
            GHost::Name(n) => n.clone(),
            GHost::V4(a) => a.to_string(),
            GHost::V6(a) => format!("[{a}]"),
        }
    }

    fn check(&self, h: &Host<'_>) {
        match (self, h) {
            (GHost::Name(n), Host::Name(got)) => assert_eq!(n.as_bytes(), *got),
            (GHost::V4(a), Host::Ipv4(got)) => assert_eq!(a, got),
            (GHost::V6(a), Host::Ipv6(got)) => assert_eq!(a, got),
            _ => panic!("host {self:?} read as {h:?}"),
        }
    }
}

#[derive(Clone, Debug)]
struct GUri {
    scheme: &'static str,
    user: Option<String>,
    host: GHost,
    port: Option<u16>,
    params: Vec<String>,
}

impl GUri {
    fn render(&self) -> String {
        let mut s = format!("{}:", self.scheme);
        if let Some(u) = &self.user {
            s.push_str(u);
            s.push('@');
        }
        s.push_str(&self.host.render());
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        for p in &self.params {
            s.push(';');
            s.push_str(p);
        }
        s
    }

    fn check(&self, raw: &[u8]) {
        assert_eq!(raw, self.render().as_bytes());
        let u = SipUri::parse(raw).unwrap_or_else(|e| panic!("{e:?} for {}", show(raw)));
        assert_eq!(u.user, self.user.as_deref().map(str::as_bytes), "{}", show(raw));
        self.host.check(&u.host);
        assert_eq!(u.port, self.port, "{}", show(raw));
        let params: Vec<String> = u
            .params
            .iter()
            .map(|(n, v)| match v {
                Some(v) => format!("{}={}", String::from_utf8_lossy(n), String::from_utf8_lossy(v)),
                None => String::from_utf8_lossy(n).into_owned(),
            })
            .collect();
        assert_eq!(params, self.params, "{}", show(raw));
    }
}

#[derive(Clone, Debug)]
struct GAddr {
    display: Option<String>,
    uri: GUri,
    brackets: bool,
    tag: Option<String>,
    params: Vec<String>,
}

impl GAddr {
    fn render(&self) -> String {
        let mut s = String::new();
        if self.brackets {
            if let Some(d) = &self.display {
                s.push_str(d);
                s.push(' ');
            }
            s.push('<');
            s.push_str(&self.uri.render());
            s.push('>');
        } else {
            s.push_str(&self.uri.render());
        }
        if let Some(t) = &self.tag {
            s.push_str(";tag=");
            s.push_str(t);
        }
        for p in &self.params {
            s.push(';');
            s.push_str(p);
        }
        s
    }

    fn check(&self, n: &NameAddr<'_>) {
        let want_display = self.display.as_deref().filter(|_| self.brackets);
        assert_eq!(n.display, want_display.map(str::as_bytes));
        self.uri.check(n.uri);
        assert_eq!(n.tag(), self.tag.as_deref().map(str::as_bytes));
        let others = n.params.iter().filter(|(k, _)| !k.eq_ignore_ascii_case(b"tag")).count();
        assert_eq!(others, self.params.len());
    }
}

#[derive(Clone, Debug)]
struct GVia {
    transport: &'static str,
    host: GHost,
    port: Option<u16>,
    branch: String,
    rport: bool,
    received: Option<Ipv4Addr>,
    spaced: bool,
}

impl GVia {
    fn render(&self) -> String {
        let proto = if self.spaced { "SIP / 2.0 / " } else { "SIP/2.0/" };
        let mut s = format!("{proto}{} {}", self.transport, self.host.render());
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        let sep = if self.spaced { " ; " } else { ";" };
        s.push_str(&format!("{sep}branch={}", self.branch));
        if self.rport {
            s.push_str(sep);
            s.push_str("rport");
        }
        if let Some(r) = self.received {
            s.push_str(&format!("{sep}received={r}"));
        }
        s
    }

    fn check(&self, v: &Via<'_>) {
        assert_eq!(v.transport, self.transport.as_bytes());
        self.host.check(&v.host);
        assert_eq!(v.port, self.port);
        assert_eq!(v.branch(), Some(self.branch.as_bytes()));
        assert_eq!(v.has_rfc3261_branch(), self.branch.starts_with("z9hG4bK"));
        assert_eq!(v.rport(), self.rport.then_some(None));
        let received = self.received.map(|r| r.to_string());
        assert_eq!(v.received(), received.as_deref().map(str::as_bytes));
    }
}

#[derive(Clone, Debug)]
enum GStart {
    Request { method: String, uri: GUri },
    Response { code: u16, reason: String },
}

#[derive(Clone)]
struct GMessage {
    start: GStart,
    vias: Vec<GVia>,
    /// How the Vias are laid out: one line each, or comma-joined on one line.
    via_joined: bool,
    from: GAddr,
    to: GAddr,
    call_id: String,
    cseq: (u32, String),
    max_forwards: Option<u8>,
    contacts: Vec<GAddr>,
    routes: Vec<GUri>,
    supported: Vec<String>,
    expires: Option<u32>,
    extra: Vec<(String, String)>,
    body: Vec<u8>,
    content_length: bool,
    /// Per header: 0 canonical name, 1 compact form if any, 2 odd case.
    name_style: Vec<(u8, u64)>,
    /// `None`: canonical `name: value` lines. Otherwise, per line, an index into `WS` for the
    /// white space around the colon and after the value.
    spacing: Option<Vec<(u8, u8, u8)>>,
    order: Vec<usize>,
}

const METHODS: &[&str] = &[
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "OPTIONS",
    "REGISTER",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "PUBLISH",
    "INFO",
    "REFER",
    "MESSAGE",
    "UPDATE",
];

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9.!%*_+`'~-]{1,16}"
}

fn host_strategy() -> impl Strategy<Value = GHost> {
    prop_oneof![
        4 => prop::collection::vec("[a-z][a-z0-9-]{0,6}[a-z0-9]|[a-z]", 1..4)
            .prop_map(|l| GHost::Name(l.join("."))),
        2 => any::<[u8; 4]>().prop_map(|a| GHost::V4(a.into())),
        2 => any::<[u16; 8]>().prop_map(|a| GHost::V6(a.into())),
        1 => prop::sample::select(&["::1", "2001:db8::9", "fe80::1:2"][..])
            .prop_map(|a| GHost::V6(a.parse().unwrap())),
    ]
}

fn uri_strategy() -> impl Strategy<Value = GUri> {
    (
        prop::sample::select(&["sip", "sips", "SIP"][..]),
        prop::option::of("[a-zA-Z0-9_.!~*'()&=+$-]{1,12}(%[0-9A-Fa-f]{2})?"),
        host_strategy(),
        prop::option::of(any::<u16>()),
        prop::collection::vec(
            prop::sample::select(
                &["lr", "transport=udp", "transport=TCP", "user=phone", "maddr=192.0.2.1", "x-y=z"][..],
            )
            .prop_map(String::from),
            0..3,
        ),
    )
        .prop_map(|(scheme, user, host, port, params)| GUri { scheme, user, host, port, params })
}

fn display_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec("[A-Za-z][A-Za-z0-9.!%*_+`'~-]{0,8}", 1..4).prop_map(|w| w.join(" ")),
        "([a-zA-Z0-9 ,;:<>@=/?é]|\\\\\"|\\\\\\\\){0,20}".prop_map(|s| format!("\"{s}\"")),
    ]
}

fn addr_strategy(tag: bool) -> impl Strategy<Value = GAddr> {
    (
        prop::option::of(display_strategy()),
        uri_strategy(),
        any::<bool>(),
        if tag { prop::option::of(token()).boxed() } else { Just(None).boxed() },
        prop::collection::vec(
            prop::sample::select(&["expires=3600", "q=0.5", "x", "y=\"a;b,c\""][..]).prop_map(String::from),
            0..2,
        ),
    )
        .prop_map(|(display, uri, brackets, tag, params)| {
            // An addr-spec without brackets cannot carry URI parameters (they would read as
            // header parameters) nor a display name.
            let brackets = brackets || !uri.params.is_empty() || display.is_some();
            GAddr { display, uri, brackets, tag, params }
        })
}

fn via_strategy() -> impl Strategy<Value = GVia> {
    (
        prop::sample::select(&["UDP", "TCP", "TLS", "SCTP", "WS", "WSS", "x-new"][..]),
        host_strategy(),
        prop::option::of(any::<u16>()),
        prop_oneof![4 => token().prop_map(|t| format!("z9hG4bK{t}")), 1 => token()],
        any::<bool>(),
        prop::option::of(any::<[u8; 4]>().prop_map(Ipv4Addr::from)),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(transport, host, port, branch, rport, received, spaced)| GVia {
            transport,
            host,
            port,
            branch,
            rport,
            received,
            spaced,
        })
}

fn message_strategy() -> impl Strategy<Value = GMessage> {
    let start = prop_oneof![
        (
            prop_oneof![
                8 => prop::sample::select(METHODS).prop_map(String::from),
                1 => "[A-Z][A-Za-z0-9.!%*_+`'~-]{0,10}",
            ],
            uri_strategy()
        )
            .prop_map(|(method, uri)| GStart::Request { method, uri }),
        (100u16..700, "[a-zA-Z0-9 ,;:<>@=/é-]{0,20}").prop_map(|(code, reason)| GStart::Response { code, reason }),
    ];
    let headers = (
        prop::collection::vec(via_strategy(), 1..4),
        any::<bool>(),
        addr_strategy(true),
        addr_strategy(true),
        "[a-zA-Z0-9.!%*_+`'~()<>:\\\\\"/\\[\\]?{}-]{1,20}(@[a-zA-Z0-9.-]{1,12})?",
        (0u32..=0x7fff_ffff, prop::sample::select(METHODS).prop_map(String::from)),
        prop::option::of(any::<u8>()),
    );
    let more = (
        prop::collection::vec(addr_strategy(false), 0..3),
        prop::collection::vec(uri_strategy(), 0..3),
        prop::collection::vec(token(), 0..3),
        prop::option::of(any::<u32>()),
        prop::collection::vec(
            ("X-[A-Za-z0-9-]{1,10}|Subject|User-Agent|Accept|P-Asserted-Identity", "[ -~]{0,30}"),
            0..3,
        ),
        prop::collection::vec(any::<u8>(), 0..300),
        prop::bool::weighted(0.8),
        prop::collection::vec((0u8..3, any::<u64>()), 32),
        prop::option::weighted(0.3, prop::collection::vec((0u8..5, 0u8..5, 0u8..5), 32)),
    );
    (start, headers, more)
        .prop_map(|(start, h, m)| {
            let (vias, via_joined, from, to, call_id, cseq, max_forwards) = h;
            let (contacts, routes, supported, expires, extra, body, content_length, name_style, spacing) = m;
            let cseq = match &start {
                GStart::Request { method, .. } => (cseq.0, method.clone()),
                GStart::Response { .. } => cseq,
            };
            // Extra headers: trimmed values, one line per name.
            let mut extra: Vec<(String, String)> = extra.into_iter().map(|(n, v)| (n, v.trim().to_string())).collect();
            extra.sort_by_key(|(n, _)| n.to_ascii_lowercase());
            extra.dedup_by_key(|(n, _)| n.to_ascii_lowercase());
            GMessage {
                start,
                vias,
                via_joined,
                from,
                to,
                call_id,
                cseq,
                max_forwards,
                contacts,
                routes,
                supported,
                expires,
                extra,
                body,
                content_length,
                name_style,
                spacing,
                order: Vec::new(),
            }
        })
        .prop_flat_map(|g| {
            let n = g.header_lines().len();
            (Just(g), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        })
        .prop_map(|(mut g, mut order)| {
            // Header lines of the same name keep their relative order (RFC 3261 7.3.1): the
            // top Via and the first Route are what they were generated as.
            let lines = g.header_lines();
            for name in ["Via", "Route"] {
                let slots: Vec<usize> = (0..order.len()).filter(|&p| lines[order[p]].0 == name).collect();
                let mut members: Vec<usize> = slots.iter().map(|&p| order[p]).collect();
                members.sort_unstable();
                for (p, m) in slots.into_iter().zip(members) {
                    order[p] = m;
                }
            }
            g.order = order;
            g
        })
}

impl std::fmt::Debug for GMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Input(self.render()).fmt(f)
    }
}

impl GMessage {
    /// `(canonical name, value)` of each header line, in canonical order.
    fn header_lines(&self) -> Vec<(String, String)> {
        let mut lines: Vec<(String, String)> = Vec::new();
        if self.via_joined {
            let joined: Vec<_> = self.vias.iter().map(GVia::render).collect();
            lines.push(("Via".into(), joined.join(", ")));
        } else {
            for v in &self.vias {
                lines.push(("Via".into(), v.render()));
            }
        }
        lines.push(("From".into(), self.from.render()));
        lines.push(("To".into(), self.to.render()));
        lines.push(("Call-ID".into(), self.call_id.clone()));
        lines.push(("CSeq".into(), format!("{} {}", self.cseq.0, self.cseq.1)));
        if let Some(mf) = self.max_forwards {
            lines.push(("Max-Forwards".into(), mf.to_string()));
        }
        if !self.contacts.is_empty() {
            let c: Vec<_> = self.contacts.iter().map(GAddr::render).collect();
            lines.push(("Contact".into(), c.join(", ")));
        }
        for r in &self.routes {
            lines.push(("Route".into(), format!("<{}>", r.render())));
        }
        if !self.supported.is_empty() {
            lines.push(("Supported".into(), self.supported.join(", ")));
        }
        if let Some(e) = self.expires {
            lines.push(("Expires".into(), e.to_string()));
        }
        for (n, v) in &self.extra {
            lines.push((n.clone(), v.clone()));
        }
        if !self.body.is_empty() {
            lines.push(("Content-Type".into(), "application/octet-stream".into()));
        }
        if self.content_length {
            lines.push(("Content-Length".into(), self.body.len().to_string()));
        }
        lines
    }

    fn spelled(&self, i: usize, canonical: &str) -> String {
        let (style, bits) = self.name_style[i % self.name_style.len()];
        let compact = match HeaderName::classify(canonical.as_bytes()) {
            HeaderName::Via => Some("v"),
            HeaderName::From => Some("f"),
            HeaderName::To => Some("t"),
            HeaderName::CallId => Some("i"),
            HeaderName::Contact => Some("m"),
            HeaderName::ContentLength => Some("l"),
            HeaderName::ContentType => Some("c"),
            HeaderName::Supported => Some("k"),
            _ => None,
        };
        let base = match (style, compact) {
            (1, Some(c)) => c.to_string(),
            _ => canonical.to_string(),
        };
        if style == 0 {
            return base;
        }
        base.chars()
            .enumerate()
            .map(|(k, c)| if bits >> (k % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect()
    }

    fn render(&self) -> Vec<u8> {
        let mut out = match &self.start {
            GStart::Request { method, uri } => format!("{method} {} SIP/2.0\r\n", uri.render()),
            GStart::Response { code, reason } => format!("SIP/2.0 {code} {reason}\r\n"),
        }
        .into_bytes();
        let lines = self.header_lines();
        for &i in &self.order {
            let (name, value) = &lines[i];
            out.extend_from_slice(self.spelled(i, name).as_bytes());
            match &self.spacing {
                None => {
                    out.extend_from_slice(b": ");
                    out.extend_from_slice(value.as_bytes());
                }
                Some(ws) => {
                    // HCOLON = *( SP / HTAB ) ":" SWS, and trailing white space (RFC 3261 25.1).
                    const WS: [&str; 5] = ["", " ", "  ", "\t", " \t "];
                    let (a, b, c) = ws[i % ws.len()];
                    out.extend_from_slice(WS[a as usize].as_bytes());
                    out.push(b':');
                    out.extend_from_slice(WS[b as usize].as_bytes());
                    out.extend_from_slice(value.as_bytes());
                    out.extend_from_slice(WS[c as usize].as_bytes());
                }
            }
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    fn check(&self, input: &[u8]) {
        let m = parse_valid(input);
        check_valid(&m, input);
        exercise(&m);
        match &self.start {
            GStart::Request { method, uri } => {
                assert_eq!(m.method_bytes(), method.as_bytes());
                assert_eq!(m.method(), Some(Method::from_bytes(method.as_bytes())));
                uri.check(m.request_uri());
                assert_eq!(m.status(), None);
            }
            GStart::Response { code, reason } => {
                assert_eq!(m.status(), Some(*code));
                assert_eq!(m.reason(), reason.as_bytes());
            }
        }
        assert_eq!(m.version(), b"SIP/2.0");
        assert_eq!(m.call_id().unwrap(), self.call_id.as_bytes());
        let cseq = m.cseq().unwrap();
        assert_eq!(cseq.seq, self.cseq.0);
        assert_eq!(cseq.method_bytes, self.cseq.1.as_bytes());
        self.vias[0].check(&m.top_via().unwrap());
        let vias: Vec<_> = m.vias().collect();
        assert_eq!(vias.len(), self.vias.len());
        for (g, v) in self.vias.iter().zip(vias) {
            g.check(&v.expect("every Via reads"));
        }
        self.from.check(&m.from().unwrap());
        self.to.check(&m.to().unwrap());
        let contacts: Vec<_> = m.contacts().collect();
        assert_eq!(contacts.len(), self.contacts.len());
        for (g, c) in self.contacts.iter().zip(contacts) {
            g.check(&c.expect("every Contact reads"));
        }
        assert!(!m.contact_is_wildcard());
        let routes: Vec<_> = m.routes().collect();
        assert_eq!(routes.len(), self.routes.len());
        for (g, r) in self.routes.iter().zip(routes) {
            g.check(r.expect("every Route reads").uri);
        }
        assert_eq!(m.record_routes().count(), 0);
        assert_eq!(m.max_forwards().unwrap(), self.max_forwards);
        assert_eq!(m.expires().unwrap(), self.expires);
        let supported: Vec<_> = m.supported().collect();
        let want: Vec<_> = self.supported.iter().map(String::as_bytes).collect();
        assert_eq!(supported, want);
        assert_eq!(m.body(), &self.body[..]);
        assert_eq!(m.content_length().unwrap(), self.content_length.then_some(self.body.len()));
        assert_eq!(m.content_type().unwrap().is_some(), !self.body.is_empty(), "Content-Type");
        for (n, v) in &self.extra {
            if HeaderName::classify(n.as_bytes()) == HeaderName::Other {
                assert_eq!(m.header_named(n.as_bytes()), Some(v.as_bytes()), "{n}");
            }
        }
        // The index re-joined gives back the message byte for byte.
        if self.spacing.is_none() {
            assert_eq!(rejoin(&m), input);
        }
        let lines = self.header_lines();
        let names: Vec<_> = m.headers().map(|(_, n, _)| n.to_vec()).collect();
        let want: Vec<_> = self.order.iter().map(|&i| self.spelled(i, &lines[i].0).into_bytes()).collect();
        assert_eq!(names, want);
        let values: Vec<_> = m.headers().map(|(_, _, v)| v.to_vec()).collect();
        let want: Vec<_> = self.order.iter().map(|&i| lines[i].1.clone().into_bytes()).collect();
        assert_eq!(values, want, "header values, without the white space around them");
    }
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn generated_messages_parse_back(g in message_strategy()) {
        let input = g.render();
        g.check(&input);
    }

    /// Mutations of generated valid messages never panic.
    #[test]
    fn mutated_generated_messages_never_panic(
        g in message_strategy(),
        edits in prop::collection::vec((any::<Index>(), sip_biased_byte(), 0u8..3), 1..4)
    ) {
        let mut input = g.render();
        for (at, b, op) in edits {
            match op {
                0 => {
                    let at = at.index(input.len());
                    input[at] = b;
                }
                1 => {
                    let at = at.index(input.len() + 1);
                    input.insert(at, b);
                }
                _ => {
                    input.remove(at.index(input.len()));
                }
            }
        }
        check_datagram(&input);
    }
}

// ---------------------------------------------------------------------------------------
// Stream framing
// ---------------------------------------------------------------------------------------

/// What `frame` must promise for any buffer: never panic, never claim more than it holds.
fn check_frame(buf: &[u8]) {
    let limits = ParseLimits::default();
    match frame(buf, &limits) {
        Ok(Frame::KeepAlive(n)) => {
            assert!(n > 0 && n <= buf.len());
            assert!(buf[..n].iter().all(|&b| b == b'\r' || b == b'\n'));
        }
        Ok(Frame::Complete(n)) => {
            assert!(n <= buf.len() && n <= limits.max_message_size);
            check_datagram(&buf[..n]);
        }
        Ok(Frame::NeedMore) => assert!(buf.len() <= limits.max_message_size),
        Err(e) => exercise_error(&e),
    }
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn framing_mutated_streams_never_panics(input in mutated(any_edit(), 1..6)) {
        check_frame(&input.0);
    }

    #[test]
    fn framing_random_bytes_never_panics(input in sip_biased_bytes(0..600)) {
        check_frame(&input.0);
    }
}

/// Every corpus message (all carry Content-Length) frames as itself: every strict prefix
/// needs more, the whole is complete, and a second message behind it is not swallowed.
#[test]
fn framing_corpus_prefixes_and_pipelines() {
    let limits = ParseLimits::default();
    for seed in corpus() {
        let msg = &seed.bytes;
        for n in 0..msg.len() {
            assert_eq!(frame(&msg[..n], &limits), Ok(Frame::NeedMore), "{} cut at {n}", seed.name);
        }
        assert_eq!(frame(msg, &limits), Ok(Frame::Complete(msg.len())), "{}", seed.name);
        let mut two = msg.clone();
        two.extend_from_slice(msg);
        assert_eq!(frame(&two, &limits), Ok(Frame::Complete(msg.len())), "{}", seed.name);
        let mut keep_alive = b"\r\n\r\n".to_vec();
        keep_alive.extend_from_slice(msg);
        assert_eq!(frame(&keep_alive, &limits), Ok(Frame::KeepAlive(4)), "{}", seed.name);
    }
}
