//! Differential test against rsip 0.4: over every tests/corpus/*.sip message and the inline
//! messages below (every method, responses 100..699, compact headers, several Via lines,
//! IPv6 Vias with ports, quoted and unquoted display names, tags, bodies of several lengths
//! including binary ones, header names in odd case), both parsers must read the same
//! method, Request-URI, status code, Call-ID, CSeq number and method, top Via branch, From
//! tag, To tag and body length.
//!
//! Only representation is normalised: a Request-URI is compared part by part (scheme and
//! host case-insensitively, user, password, port, and parameters with names and transport
//! values case-insensitively) instead of as rsip's re-formatted string, and rsip's method
//! names are compared in their canonical upper case.
//!
//! rsip 0.4 does not know the compact header forms of RFC 3261 7.3.3 (`v`, `f`, `t`, `i`,
//! `m`, `l`, ...): it keeps them as `Header::Other`. Those values are handed to rsip's own
//! typed parsers under their full names, so compact messages are still compared.
//!
//! Messages valid per RFC 3261 that rsip cannot read, or reads wrongly, are marked with
//! `RsipFails("why")`: callshard must still parse them (and read the values written in the
//! case), and the test checks that rsip really does fail or disagree on them, so that an
//! exclusion does not outlive its reason.

use std::net::IpAddr;

use bytes::Bytes;
use callshard::sip::{Host, Message, Scheme, SipUri, UriError};
use rsip::headers::{ToTypedHeader, UntypedHeader};
use rsip::prelude::HeadersExt;

/// A Request-URI, normalised for comparison; a URI of another scheme is kept as written.
#[derive(Debug, PartialEq, Eq)]
enum RequestUri {
    Sip(UriView),
    Other(String),
}

#[derive(Debug, PartialEq, Eq)]
struct UriView {
    scheme: String,
    user: Option<String>,
    password: Option<String>,
    host: HostView,
    port: Option<u16>,
    params: Vec<(String, Option<String>)>,
}

#[derive(Debug, PartialEq, Eq)]
enum HostView {
    Name(String),
    Ip(IpAddr),
}

/// What both parsers must agree on.
#[derive(Debug, PartialEq, Eq)]
struct View {
    method: Option<String>,
    request_uri: Option<RequestUri>,
    status: Option<u16>,
    call_id: String,
    cseq: (u32, String),
    top_branch: Option<String>,
    from_tag: Option<String>,
    to_tag: Option<String>,
    body_len: usize,
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("UTF-8")
}

fn param(name: &str, value: Option<&str>) -> (String, Option<String>) {
    let name = name.to_ascii_lowercase();
    let value = value.map(|v| if name == "transport" { v.to_ascii_lowercase() } else { v.to_string() });
    (name, value)
}

// ---------------------------------------------------------------------------------------
// callshard
// ---------------------------------------------------------------------------------------

fn callshard_uri(raw: &[u8]) -> RequestUri {
    let u = match SipUri::parse(raw) {
        Ok(u) => u,
        Err(UriError::UnknownScheme) => return RequestUri::Other(text(raw)),
        Err(e) => panic!("callshard: {e:?} for {}", text(raw)),
    };
    RequestUri::Sip(UriView {
        scheme: match u.scheme {
            Scheme::Sip => "sip".into(),
            Scheme::Sips => "sips".into(),
        },
        user: u.user.map(text),
        password: u.password.map(text),
        host: match u.host {
            Host::Name(n) => HostView::Name(text(n).to_ascii_lowercase()),
            Host::Ipv4(a) => HostView::Ip(a.into()),
            Host::Ipv6(a) => HostView::Ip(a.into()),
        },
        port: u.port,
        params: u.params.iter().map(|(n, v)| param(&text(n), v.map(text).as_deref())).collect(),
    })
}

fn callshard_view(bytes: &[u8]) -> View {
    let m = Message::parse(Bytes::copy_from_slice(bytes))
        .unwrap_or_else(|e| panic!("callshard refuses a valid message: {e:?}\n{}", String::from_utf8_lossy(bytes)));
    let cseq = m.cseq().unwrap();
    View {
        method: m.is_request().then(|| text(m.method_bytes())),
        request_uri: m.is_request().then(|| callshard_uri(m.request_uri())),
        status: m.status(),
        call_id: text(m.call_id().unwrap()),
        cseq: (cseq.seq, text(cseq.method_bytes)),
        top_branch: m.top_via().unwrap().branch().map(text),
        from_tag: m.from().unwrap().tag().map(text),
        to_tag: m.to().unwrap().tag().map(text),
        body_len: m.body().len(),
    }
}

// ---------------------------------------------------------------------------------------
// rsip
// ---------------------------------------------------------------------------------------

type RsipResult<T> = Result<T, String>;

fn err<E: std::fmt::Debug>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e:?}")
}

fn rsip_uri(u: &rsip::Uri) -> RsipResult<RequestUri> {
    let scheme = match &u.scheme {
        Some(rsip::Scheme::Sip) => "sip".to_string(),
        Some(rsip::Scheme::Sips) => "sips".to_string(),
        Some(rsip::Scheme::Other(_)) => return Ok(RequestUri::Other(u.to_string())),
        None => return Err("no scheme".into()),
    };
    let params = u
        .params
        .iter()
        .map(|p| {
            let s = p.to_string();
            let s = s.strip_prefix(';').unwrap_or(&s);
            match s.split_once('=') {
                Some((n, v)) => param(n, Some(v)),
                None => param(s, None),
            }
        })
        .collect();
    Ok(RequestUri::Sip(UriView {
        scheme,
        user: u.auth.as_ref().map(|a| a.user.clone()),
        password: u.auth.as_ref().and_then(|a| a.password.clone()),
        host: match &u.host_with_port.host {
            rsip::Host::Domain(d) => HostView::Name(d.to_string().to_ascii_lowercase()),
            rsip::Host::IpAddr(a) => HostView::Ip(*a),
        },
        port: u.host_with_port.port.as_ref().map(|p| *p.value()),
        params,
    }))
}

/// The value of the first header named `full`, or (rsip keeps compact forms as `Other`)
/// of the first one under its compact name.
fn rsip_header<'a>(
    msg: &'a rsip::SipMessage,
    known: impl Fn(&'a rsip::Header) -> Option<&'a str>,
    compact: &str,
) -> Option<String> {
    use rsip::message::HasHeaders;
    msg.headers().iter().find_map(|h| match h {
        rsip::Header::Other(name, value) if name.eq_ignore_ascii_case(compact) => Some(value.clone()),
        h => known(h).map(str::to_string),
    })
}

fn rsip_view(bytes: &[u8]) -> RsipResult<View> {
    let msg = rsip::SipMessage::try_from(bytes).map_err(err("message"))?;
    let (method, request_uri, status) = match &msg {
        rsip::SipMessage::Request(r) => (Some(r.method.to_string()), Some(rsip_uri(&r.uri)?), None),
        rsip::SipMessage::Response(r) => (None, None, Some(r.status_code.code())),
    };
    let call_id = rsip_header(
        &msg,
        |h| match h {
            rsip::Header::CallId(v) => Some(v.value()),
            _ => None,
        },
        "i",
    )
    .ok_or("no Call-ID")?;
    let cseq = msg.cseq_header().map_err(err("CSeq"))?.typed().map_err(err("CSeq typed"))?;
    let via = rsip_header(
        &msg,
        |h| match h {
            rsip::Header::Via(v) => Some(v.value()),
            _ => None,
        },
        "v",
    )
    .ok_or("no Via")?;
    let via = rsip::headers::Via::new(via).typed().map_err(err("Via typed"))?;
    let from = rsip_header(
        &msg,
        |h| match h {
            rsip::Header::From(v) => Some(v.value()),
            _ => None,
        },
        "f",
    )
    .ok_or("no From")?;
    let from = rsip::headers::From::new(from).typed().map_err(err("From typed"))?;
    let to = rsip_header(
        &msg,
        |h| match h {
            rsip::Header::To(v) => Some(v.value()),
            _ => None,
        },
        "t",
    )
    .ok_or("no To")?;
    let to = rsip::headers::To::new(to).typed().map_err(err("To typed"))?;
    Ok(View {
        method,
        request_uri,
        status,
        call_id,
        cseq: (cseq.seq, cseq.method.to_string()),
        top_branch: via.branch().map(|b| b.value().to_string()),
        from_tag: from.tag().map(|t| t.value().to_string()),
        to_tag: to.tag().map(|t| t.value().to_string()),
        body_len: msg.body().len(),
    })
}

// ---------------------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Both parsers read the same values.
    Agree,
    /// Valid per RFC 3261, but rsip 0.4 fails or reads it wrongly (the reason says how).
    RsipFails(&'static str),
}

struct Case {
    name: String,
    bytes: Vec<u8>,
    expect: Expect,
    /// Values the message was written with, checked against callshard (for the inline cases).
    want: Option<Want>,
}

/// The written values of an inline case: `(method or status, Call-ID, CSeq, top branch,
/// From tag, To tag, body length)`.
#[derive(Debug)]
struct Want {
    start: String,
    call_id: &'static str,
    cseq: (u32, &'static str),
    branch: Option<&'static str>,
    from_tag: Option<&'static str>,
    to_tag: Option<&'static str>,
}

/// Joins header lines with CRLF, then the empty line and the body; `{CL}` in a line is
/// replaced by the body length.
fn message(lines: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line.replace("{CL}", &body.len().to_string()).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

const SDP: &str = "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n\
t=0 0\r\nm=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

/// A request with the usual headers; `extra` lines go before Content-Length.
/// `ids` is `(top Via branch, From tag, To tag)`.
fn request(
    method: &'static str,
    ruri: &str,
    ids: (&'static str, &'static str, Option<&'static str>),
    seq: u32,
    extra: &[&str],
    body: &[u8],
) -> (Vec<u8>, Want) {
    let (branch, from_tag, to_tag) = ids;
    let call_id = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6@192.0.2.4";
    let start = format!("{method} {ruri} SIP/2.0");
    let via = format!("Via: SIP/2.0/UDP pc33.atlanta.example.com;branch={branch}");
    let from = format!("From: \"Alice\" <sip:alice@atlanta.example.com>;tag={from_tag}");
    let to = match to_tag {
        Some(t) => format!("To: Bob <sip:bob@biloxi.example.com>;tag={t}"),
        None => "To: Bob <sip:bob@biloxi.example.com>".to_string(),
    };
    let cseq = format!("CSeq: {seq} {method}");
    let call = format!("Call-ID: {call_id}");
    let mut lines: Vec<&str> = vec![&start, &via, "Max-Forwards: 70", &from, &to, &call, &cseq];
    lines.extend_from_slice(extra);
    lines.push("Content-Length: {CL}");
    let want = Want {
        start: method.to_string(),
        call_id,
        cseq: (seq, method),
        branch: Some(branch),
        from_tag: Some(from_tag),
        to_tag,
    };
    (message(&lines, body), want)
}

/// A response to an INVITE; `extra` lines go before Content-Length.
fn response(code: u16, reason: &str, to_tag: Option<&'static str>, extra: &[&str], body: &[u8]) -> (Vec<u8>, Want) {
    let start = format!("SIP/2.0 {code} {reason}");
    let to = match to_tag {
        Some(t) => format!("To: Bob <sip:bob@biloxi.example.com>;tag={t}"),
        None => "To: Bob <sip:bob@biloxi.example.com>".to_string(),
    };
    let mut lines: Vec<&str> = vec![
        &start,
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1",
        &to,
        "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774",
        "Call-ID: a84b4c76e66710@pc33.atlanta.example.com",
        "CSeq: 314159 INVITE",
    ];
    lines.extend_from_slice(extra);
    lines.push("Content-Length: {CL}");
    let want = Want {
        start: code.to_string(),
        call_id: "a84b4c76e66710@pc33.atlanta.example.com",
        cseq: (314159, "INVITE"),
        branch: Some("z9hG4bK776asdhds"),
        from_tag: Some("1928301774"),
        to_tag,
    };
    (message(&lines, body), want)
}

fn inline_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name: &str, (bytes, want): (Vec<u8>, Want), expect: Expect| {
        cases.push(Case { name: format!("inline/{name}"), bytes, expect, want: Some(want) });
    };
    use Expect::*;

    // Requests of every method rsip and callshard both know.
    add(
        "invite_sdp",
        request(
            "INVITE",
            "sip:bob@biloxi.example.com",
            ("z9hG4bK74bf9", "9fxced76sl", None),
            1,
            &["Contact: <sip:alice@pc33.atlanta.example.com>", "Content-Type: application/sdp"],
            SDP.as_bytes(),
        ),
        Agree,
    );
    add(
        "ack_in_dialog_with_routes",
        request(
            "ACK",
            "sip:bob@192.0.2.4:5062;transport=udp",
            ("z9hG4bKnashds8", "9fxced76sl", Some("8321234356")),
            1,
            &["Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>", "Route: <sip:p3.example.com;lr>"],
            b"",
        ),
        Agree,
    );
    add(
        "bye",
        request(
            "BYE",
            "sip:alice@pc33.atlanta.example.com",
            ("z9hG4bKnashds10", "a6c85cf", Some("1928301774")),
            231,
            &[],
            b"",
        ),
        Agree,
    );
    add(
        "cancel",
        request("CANCEL", "sips:bob@biloxi.example.com:5061", ("z9hG4bK74bf9", "9fxced76sl", None), 1, &[], b""),
        Agree,
    );
    add(
        "options_accept",
        request(
            "OPTIONS",
            "sip:carol@chicago.example.com",
            ("z9hG4bKhjhs8ass877", "1928301774", None),
            63104,
            &["Accept: application/sdp"],
            b"",
        ),
        Agree,
    );
    add(
        "register_expires",
        request(
            "REGISTER",
            "sip:registrar.biloxi.example.com",
            ("z9hG4bKnashds7", "456248", None),
            1826,
            &["Contact: <sip:bob@192.0.2.4>;expires=7200;q=0.7", "Expires: 7200"],
            b"",
        ),
        Agree,
    );
    add(
        "prack",
        request(
            "PRACK",
            "sip:bob@192.0.2.4",
            ("z9hG4bKprack1", "9fxced76sl", Some("314159")),
            2,
            &["RAck: 1 1 INVITE"],
            b"",
        ),
        Agree,
    );
    add(
        "subscribe",
        request(
            "SUBSCRIBE",
            "sip:presentity@example.com",
            ("z9hG4bKsub1", "xfg9", None),
            17,
            &["Event: presence", "Expires: 600", "Accept: application/pidf+xml"],
            b"",
        ),
        Agree,
    );
    add(
        "notify_short_body",
        request(
            "NOTIFY",
            "sip:watcher@192.0.2.8",
            ("z9hG4bKnot1", "ffd2", Some("xfg9")),
            18,
            &["Event: presence", "Subscription-State: active;expires=599", "Content-Type: text/plain"],
            b"open",
        ),
        Agree,
    );
    add(
        "publish_one_byte_body",
        request(
            "PUBLISH",
            "sip:presentity@example.com",
            ("z9hG4bKpub1", "1234", None),
            3,
            &["Event: presence", "Content-Type: text/plain"],
            b"x",
        ),
        Agree,
    );
    add(
        "info_dtmf",
        request(
            "INFO",
            "sip:bob@192.0.2.4",
            ("z9hG4bKinfo1", "9fxced76sl", Some("314159")),
            5,
            &["Content-Type: application/dtmf-relay"],
            b"Signal=5\r\nDuration=160\r\n",
        ),
        Agree,
    );
    add(
        "refer",
        request(
            "REFER",
            "sip:bob@192.0.2.4",
            ("z9hG4bKref1", "9fxced76sl", Some("314159")),
            6,
            &[
                "Refer-To: <sip:carol@chicago.example.com?Replaces=abc%40x>",
                "Referred-By: <sip:alice@atlanta.example.com>",
            ],
            b"",
        ),
        Agree,
    );
    let long = "The quick brown fox jumps over the lazy dog. ".repeat(8);
    add(
        "message_long_body",
        request(
            "MESSAGE",
            "sip:user2@domain.com",
            ("z9hG4bK776sgdkse", "49583", None),
            1,
            &["Content-Type: text/plain"],
            long.as_bytes(),
        ),
        Agree,
    );
    add(
        "update_binary_body",
        request(
            "UPDATE",
            "sip:bob@192.0.2.4",
            ("z9hG4bKupd1", "9fxced76sl", Some("314159")),
            7,
            &["Content-Type: application/octet-stream"],
            &[0, 1, 2, 0xff, 0xfe, b'\r', b'\n', b'\r', b'\n', 0x80, 0x7f],
        ),
        Agree,
    );

    // Request-URIs with user, password, port, parameters and an address.
    add(
        "ruri_password_port_params",
        request(
            "OPTIONS",
            "sip:alice:secret@atlanta.example.com:5070;transport=TCP;lr",
            ("z9hG4bKpw1", "77", None),
            9,
            &[],
            b"",
        ),
        Agree,
    );
    add(
        "ruri_ipv4_user_phone",
        request("INVITE", "sip:+12125551212@192.0.2.77:5060;user=phone", ("z9hG4bKip4", "88", None), 10, &[], b""),
        Agree,
    );

    // Header names in odd case, display names quoted and unquoted, addr-spec forms.
    add(
        "odd_case_names",
        (
            message(
                &[
                    "INVITE sip:bob@biloxi.example.com SIP/2.0",
                    "vIA: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74b43",
                    "MAX-FORWARDS: 70",
                    "fRoM: Alice Smith <sip:alice@atlanta.example.com>;tag=9fxced76sl",
                    "tO: \"Bob \\\"the builder\\\", Jr\" <sip:bob@biloxi.example.com>",
                    "CALL-id: 3848276298220188511@atlanta.example.com",
                    "cseq: 1 INVITE",
                    "CONTENT-length: {CL}",
                ],
                b"",
            ),
            Want {
                start: "INVITE".into(),
                call_id: "3848276298220188511@atlanta.example.com",
                cseq: (1, "INVITE"),
                branch: Some("z9hG4bK74b43"),
                from_tag: Some("9fxced76sl"),
                to_tag: None,
            },
        ),
        Agree,
    );
    add(
        "addr_spec_from_to",
        (
            message(
                &[
                    "OPTIONS sip:bob@biloxi.example.com SIP/2.0",
                    "Via: SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bKaddr",
                    "From: sip:alice@atlanta.example.com;tag=abc123",
                    "To: sip:bob@biloxi.example.com",
                    "Call-ID: addr-spec-1",
                    "CSeq: 42 OPTIONS",
                    "Content-Length: {CL}",
                ],
                b"",
            ),
            Want {
                start: "OPTIONS".into(),
                call_id: "addr-spec-1",
                cseq: (42, "OPTIONS"),
                branch: Some("z9hG4bKaddr"),
                from_tag: Some("abc123"),
                to_tag: None,
            },
        ),
        Agree,
    );

    // Compact forms, and several Vias on one line and over several lines.
    add(
        "compact_all",
        (
            message(
                &[
                    "MESSAGE sip:bob@biloxi.example.com SIP/2.0",
                    "v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKcompact1",
                    "V: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKcompact0",
                    "Max-Forwards: 69",
                    "f: <sip:alice@atlanta.example.com>;tag=cmp1",
                    "t: <sip:bob@biloxi.example.com>",
                    "i: compact-call-id@pc33",
                    "CSeq: 9 MESSAGE",
                    "c: text/plain",
                    "l: {CL}",
                ],
                b"Hello Bob",
            ),
            Want {
                start: "MESSAGE".into(),
                call_id: "compact-call-id@pc33",
                cseq: (9, "MESSAGE"),
                branch: Some("z9hG4bKcompact1"),
                from_tag: Some("cmp1"),
                to_tag: None,
            },
        ),
        Agree,
    );
    add(
        "vias_comma_joined_and_stacked",
        (
            message(
                &[
                    "SIP/2.0 200 OK",
                    "Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bKnashds8;received=192.0.2.3, SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1",
                    "Via: SIP/2.0/TCP pc33.atlanta.example.com:5061;branch=z9hG4bK776asdhds;received=192.0.2.1",
                    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf",
                    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774",
                    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com",
                    "CSeq: 314159 INVITE",
                    "Content-Length: {CL}",
                ],
                b"",
            ),
            Want {
                start: "200".into(),
                call_id: "a84b4c76e66710@pc33.atlanta.example.com",
                cseq: (314159, "INVITE"),
                branch: Some("z9hG4bKnashds8"),
                from_tag: Some("1928301774"),
                to_tag: Some("a6c85cf"),
            },
        ),
        Agree,
    );

    // Responses across the whole range.
    for (code, reason, tag, extra, body) in [
        (100, "Trying", None, &[][..], &b""[..]),
        (180, "Ringing", Some("a6c85cf"), &["Contact: <sip:bob@192.0.2.4>"][..], &b""[..]),
        (183, "Session Progress", Some("a6c85cf"), &["Content-Type: application/sdp"][..], SDP.as_bytes()),
        (199, "Early Dialog Terminated", Some("a6c85cf"), &[][..], &b""[..]),
        (200, "OK", Some("a6c85cf"), &["Contact: <sip:bob@192.0.2.4>", "Content-Type: application/sdp"][..], SDP.as_bytes()),
        (202, "Accepted", Some("a6c85cf"), &[][..], &b""[..]),
        (302, "Moved Temporarily", Some("a6c85cf"), &["Contact: <sip:bob@192.0.2.99>;expires=60"][..], &b""[..]),
        (
            401,
            "Unauthorized",
            Some("a6c85cf"),
            &["WWW-Authenticate: Digest realm=\"atlanta.example.com\", nonce=\"ea9c8e88df84f1cec4341ae6cbe5a359\", qop=\"auth\""][..],
            &b""[..],
        ),
        (404, "Not Found", Some("a6c85cf"), &[][..], &b""[..]),
        (486, "Busy Here", Some("a6c85cf"), &[][..], &b""[..]),
        (487, "Request Terminated", Some("a6c85cf"), &[][..], &b""[..]),
        (500, "Server Internal Error", Some("a6c85cf"), &["Content-Type: text/plain"][..], &b"oops"[..]),
        (503, "Service Unavailable", Some("a6c85cf"), &["Retry-After: 120"][..], &b""[..]),
        (603, "Decline", Some("a6c85cf"), &[][..], &b""[..]),
        (699, "Whatever You Like", Some("a6c85cf"), &[][..], &b""[..]),
    ] {
        add(&format!("response_{code}"), response(code, reason, tag, extra, body), Agree);
    }

    // Valid per RFC 3261, but rsip 0.4 cannot read them.
    add(
        "via_ipv6_with_port",
        (
            message(
                &[
                    "OPTIONS sip:[2001:db8::10]:5070 SIP/2.0",
                    "Via: SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bKv6;rport",
                    "Via: SIP/2.0/TCP [2001:db8::1];branch=z9hG4bKv6b",
                    "From: <sip:alice@[2001:db8::9]>;tag=v6",
                    "To: <sip:bob@[2001:db8::10]:5070>",
                    "Call-ID: ipv6-1@2001:db8::9",
                    "CSeq: 1 OPTIONS",
                    "Content-Length: {CL}",
                ],
                b"",
            ),
            Want {
                start: "OPTIONS".into(),
                call_id: "ipv6-1@2001:db8::9",
                cseq: (1, "OPTIONS"),
                branch: Some("z9hG4bKv6"),
                from_tag: Some("v6"),
                to_tag: None,
            },
        ),
        // rsip splits host from port at the first ':', so "[2001:db8::9]:5060" is host
        // "[2001" with port "db8::9]:5060" and the Request-URI and typed Via fail.
        RsipFails("IPv6 references in Request-URI and Via"),
    );
    add(
        "extension_method",
        request("NEWMETHOD", "sip:bob@biloxi.example.com", ("z9hG4bKext", "ext1", None), 8, &[], b""),
        // rsip's Method is a closed enum of the RFC 3261/3265/3428/... methods.
        RsipFails("extension methods"),
    );
    add(
        "tel_request_uri",
        request("INVITE", "tel:+1-212-555-0101", ("z9hG4bKtel", "tel1", None), 1, &[], b""),
        // rsip reads a non-SIP scheme only in the form "scheme://".
        RsipFails("tel: Request-URI"),
    );
    add(
        "dotted_user",
        request("OPTIONS", "sip:j.user@example.com", ("z9hG4bKdot", "dot1", None), 1, &[], b""),
        // rsip's userinfo scanner stops at the first '.', so "j.user@example.com" reads as a
        // host with no user.
        RsipFails("user part containing '.'"),
    );
    add(
        "quoted_display_with_angle",
        (
            message(
                &[
                    "OPTIONS sip:bob@biloxi.example.com SIP/2.0",
                    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKangle",
                    "From: \"A <b>\" <sip:alice@atlanta.example.com>;tag=ang1",
                    "To: <sip:bob@biloxi.example.com>",
                    "Call-ID: angle-1",
                    "CSeq: 3 OPTIONS",
                    "Content-Length: {CL}",
                ],
                b"",
            ),
            Want {
                start: "OPTIONS".into(),
                call_id: "angle-1",
                cseq: (3, "OPTIONS"),
                branch: Some("z9hG4bKangle"),
                from_tag: Some("ang1"),
                to_tag: None,
            },
        ),
        // rsip takes the URI from the first '<', even inside a quoted display name.
        RsipFails("'<' inside a quoted display name"),
    );
    add(
        "lws_around_semicolons",
        (
            message(
                &[
                    "OPTIONS sip:bob@biloxi.example.com SIP/2.0",
                    "Via: SIP/2.0/UDP pc33.atlanta.example.com ; branch=z9hG4bKlws",
                    "From: <sip:alice@atlanta.example.com> ; tag=lws1",
                    "To: <sip:bob@biloxi.example.com>",
                    "Call-ID: lws-1",
                    "CSeq: 4 OPTIONS",
                    "Content-Length: {CL}",
                ],
                b"",
            ),
            Want {
                start: "OPTIONS".into(),
                call_id: "lws-1",
                cseq: (4, "OPTIONS"),
                branch: Some("z9hG4bKlws"),
                from_tag: Some("lws1"),
                to_tag: None,
            },
        ),
        // RFC 3261 25.1 allows SEMI = SWS ";" SWS; rsip's parameter parser does not.
        RsipFails("white space around ';' of parameters"),
    );
    cases
}

fn corpus_cases() -> Vec<Case> {
    let dir = format!("{}/tests/corpus", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sip"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| Case {
            name: format!("corpus/{}", p.file_name().unwrap().to_string_lossy()),
            bytes: std::fs::read(&p).unwrap(),
            expect: Expect::Agree,
            want: None,
        })
        .collect()
}

fn check_want(case: &Case, v: &View) {
    let Some(w) = &case.want else { return };
    let start = v.method.clone().unwrap_or_else(|| v.status.unwrap().to_string());
    assert_eq!(start, w.start, "{}: method/status", case.name);
    assert_eq!(v.call_id, w.call_id, "{}: Call-ID", case.name);
    assert_eq!((v.cseq.0, v.cseq.1.as_str()), w.cseq, "{}: CSeq", case.name);
    assert_eq!(v.top_branch.as_deref(), w.branch, "{}: branch", case.name);
    assert_eq!(v.from_tag.as_deref(), w.from_tag, "{}: From tag", case.name);
    assert_eq!(v.to_tag.as_deref(), w.to_tag, "{}: To tag", case.name);
}

#[test]
fn callshard_and_rsip_agree() {
    let cases: Vec<Case> = corpus_cases().into_iter().chain(inline_cases()).collect();
    assert!(cases.len() >= 6 + 20, "only {} cases", cases.len());
    let mut compared = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let ours = callshard_view(&case.bytes);
        check_want(case, &ours);
        let theirs = rsip_view(&case.bytes);
        match case.expect {
            Expect::Agree => match theirs {
                Ok(theirs) if theirs == ours => compared += 1,
                Ok(theirs) => failures
                    .push(format!("{}: values differ\n  callshard: {ours:?}\n  rsip:      {theirs:?}", case.name)),
                Err(e) => failures.push(format!("{}: rsip fails: {e}", case.name)),
            },
            Expect::RsipFails(why) => {
                if theirs.as_ref() == Ok(&ours) {
                    failures.push(format!("{}: marked as rsip failing ({why}) but rsip agrees", case.name));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared >= 6 + 20, "only {compared} messages compared");
}

/// Guards the harness itself: a wrong value on either side must show as a difference.
#[test]
fn a_difference_is_detected() {
    let (bytes, _) = request("BYE", "sip:alice@pc33.atlanta.example.com", ("z9hG4bKx", "t1", Some("t2")), 5, &[], b"");
    let ours = callshard_view(&bytes);
    assert_eq!(rsip_view(&bytes).unwrap(), ours);
    let changed = String::from_utf8(bytes).unwrap().replace("tag=t2", "tag=t3");
    assert_ne!(rsip_view(changed.as_bytes()).unwrap(), ours);
}

// ---------------------------------------------------------------------------------------
// Generated messages, within what rsip 0.4 reads (no IPv6, no '.' in users, no '<' in
// display names, no white space around ';', only the methods and transports it knows)
// ---------------------------------------------------------------------------------------

mod generated {
    use proptest::prelude::*;
    use proptest::test_runner::Config;

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

    fn host() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::collection::vec("[a-z][a-z0-9-]{0,6}[a-z0-9]|[a-z]", 1..4).prop_map(|l| l.join(".")),
            any::<[u8; 4]>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
        ]
    }

    fn port() -> impl Strategy<Value = String> {
        prop::option::of(any::<u16>()).prop_map(|p| p.map(|p| format!(":{p}")).unwrap_or_default())
    }

    fn uri() -> impl Strategy<Value = String> {
        (
            prop::sample::select(&["sip", "sips", "SIP"][..]),
            prop::option::of(("[a-zA-Z0-9_!~*'()&=+$-]{1,10}", prop::option::of("[a-zA-Z0-9_!~*'()&=+$-]{1,8}"))),
            host(),
            port(),
            prop::collection::vec(
                prop::sample::select(
                    &[";lr", ";transport=udp", ";transport=TCP", ";user=phone", ";maddr=192.0.2.1", ";x-y=z", ";flag"]
                        [..],
                ),
                0..3,
            ),
        )
            .prop_map(|(scheme, auth, host, port, params)| {
                let auth = match auth {
                    Some((u, Some(p))) => format!("{u}:{p}@"),
                    Some((u, None)) => format!("{u}@"),
                    None => String::new(),
                };
                format!("{scheme}:{auth}{host}{port}{}", params.concat())
            })
    }

    fn token() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9.!%*_+`'~-]{1,16}"
    }

    fn name_addr(tag: bool) -> impl Strategy<Value = String> {
        (
            prop_oneof![
                Just(String::new()),
                "[A-Za-z][A-Za-z0-9.!%*_+`'~-]{0,8}( [A-Za-z0-9]{1,6}){0,2} ",
                "\"([a-zA-Z0-9 ,;:@=/?]|\\\\\"){0,16}\" ",
            ],
            uri(),
            if tag { prop::option::of(token()).boxed() } else { Just(None).boxed() },
        )
            .prop_map(|(display, uri, tag)| {
                let tag = tag.map(|t| format!(";tag={t}")).unwrap_or_default();
                format!("{display}<{uri}>{tag}")
            })
    }

    fn via() -> impl Strategy<Value = String> {
        (
            prop::sample::select(&["UDP", "TCP", "TLS", "SCTP", "WS", "WSS", "udp"][..]),
            host(),
            port(),
            token(),
            any::<bool>(),
        )
            .prop_map(|(t, h, p, b, rport)| {
                format!("SIP/2.0/{t} {h}{p};branch=z9hG4bK{b}{}", if rport { ";rport" } else { "" })
            })
    }

    fn name(full: &'static str, compact: Option<&'static str>) -> impl Strategy<Value = String> {
        (0u8..3, any::<u64>()).prop_map(move |(style, bits)| {
            let base = match (style, compact) {
                (1, Some(c)) => c,
                _ => full,
            };
            if style == 0 {
                return base.to_string();
            }
            base.chars()
                .enumerate()
                .map(|(i, c)| if bits >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect()
        })
    }

    /// A rendered message within rsip's subset.
    pub fn message() -> impl Strategy<Value = super::Input> {
        let start = prop_oneof![
            (prop::sample::select(METHODS), uri()).prop_map(|(m, u)| (format!("{m} {u} SIP/2.0"), Some(m))),
            (100u16..700, "[a-zA-Z0-9 ]{0,16}").prop_map(|(c, r)| (format!("SIP/2.0 {c} {r}"), None)),
        ];
        (
            start,
            prop::collection::vec((name("Via", Some("v")), via()), 1..4),
            (name("From", Some("f")), name_addr(true)),
            (name("To", Some("t")), name_addr(true)),
            (name("Call-ID", Some("i")), "[a-zA-Z0-9.!%*_+`'~()<>:\\\\\"/\\[\\]?{}-]{1,20}(@[a-zA-Z0-9.-]{1,12})?"),
            (name("CSeq", None), 0u32..=0x7fff_ffff, prop::sample::select(METHODS)),
            prop::collection::vec(any::<u8>(), 0..200),
            name("Content-Length", Some("l")),
        )
            .prop_map(|((start, method), vias, from, to, call_id, cseq, body, cl)| {
                let mut lines = vec![start];
                for (n, v) in vias {
                    lines.push(format!("{n}: {v}"));
                }
                lines.push(format!("{}: {}", from.0, from.1));
                lines.push(format!("{}: {}", to.0, to.1));
                lines.push(format!("{}: {}", call_id.0, call_id.1));
                lines.push(format!("{}: {} {}", cseq.0, cseq.1, method.unwrap_or(cseq.2)));
                lines.push(format!("{cl}: {}", body.len()));
                let mut out = lines.join("\r\n").into_bytes();
                out.extend_from_slice(b"\r\n\r\n");
                out.extend_from_slice(&body);
                super::Input(out)
            })
    }

    pub fn config() -> Config {
        let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
        Config { cases, failure_persistence: None, ..Config::default() }
    }
}

/// A message whose `Debug` is its text, so that a failing case can be read and pasted.
#[derive(Clone)]
struct Input(Vec<u8>);

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b{:?}", String::from_utf8_lossy(&self.0))
    }
}

proptest::proptest! {
    #![proptest_config(generated::config())]

    /// Random messages in the subset both parsers read: the same values, every time.
    #[test]
    fn generated_messages_agree(input in generated::message()) {
        let ours = callshard_view(&input.0);
        let theirs = rsip_view(&input.0);
        proptest::prop_assert_eq!(theirs, Ok(ours));
    }
}
