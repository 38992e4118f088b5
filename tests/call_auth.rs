//! Calls we place that a scripted UAS challenges (RFC 3261 22.2-22.3, RFC 7616, RFC 8760):
//! the retried INVITE, its Authorization or Proxy-Authorization checked against a response
//! computed here with the hash crates directly, then the call that follows; and the cases
//! where the call ends Rejected instead. The UAS is this test: it reads what the endpoint
//! sent from the wire log and injects its responses.

mod support;

use bytes::BytesMut;
use callshard::session::{CallEvent, CallId, Credentials, EndReason, PlaceCall};
use callshard::sip::write::{write_response, Response};
use callshard::sip::Message;
use md5::Md5;
use sha2::{Digest, Sha256};
use support::{addr, idle, ms, Net};

const UAC: u16 = 5060;
const UAS: u16 = 5070;
const URI: &[u8] = b"sip:bob@127.0.0.1:5070";
const ALICE: Credentials<'static> = Credentials { username: b"alice", password: b"secret" };
const SDP: &[u8] =
    b"v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n";

fn setup(credentials: Option<Credentials<'_>>, late_offer: bool) -> (Net, CallId) {
    let mut net = Net::new();
    let a = net.add(UAC, idle());
    let call = net.act(a, |ep, now| {
        ep.place_call(PlaceCall { credentials, late_offer, ..PlaceCall::new(URI, addr(UAS)) }, now).unwrap()
    });
    net.run_for(ms(5));
    (net, call)
}

/// Every request the endpoint sent with this method, in order.
fn sent(net: &Net, method: &str) -> Vec<Message> {
    net.log
        .iter()
        .filter(|l| l.3.starts_with(format!("{method} ").as_bytes()))
        .map(|l| Message::parse(l.3.clone()).unwrap())
        .collect()
}

fn respond(net: &mut Net, req: &Message, code: u16, headers: &[(&[u8], &[u8])], body: Option<&[u8]>) {
    let contact: &[u8] = b"<sip:bob@127.0.0.1:5070>";
    let mut all = vec![(&b"Contact"[..], contact)];
    all.extend_from_slice(headers);
    let resp = Response {
        to_tag: Some(b"uas-tag"),
        headers: &all,
        body: body.map(|b| (&b"application/sdp"[..], b)),
        ..Response::new(code)
    };
    let mut out = BytesMut::new();
    write_response(&mut out, req, &resp);
    net.inject(addr(UAS), addr(UAC), out.freeze());
    net.run_for(ms(5));
}

fn challenge(net: &mut Net, req: &Message, code: u16, value: &str) {
    let name: &[u8] = if code == 407 { b"Proxy-Authenticate" } else { b"WWW-Authenticate" };
    respond(net, req, code, &[(name, value.as_bytes())], None);
}

fn header<'a>(m: &'a Message, name: &str) -> Option<&'a str> {
    m.headers().find(|h| h.1.eq_ignore_ascii_case(name.as_bytes())).map(|h| std::str::from_utf8(h.2).unwrap())
}

/// The value of `name` in an Authorization value, unquoted (the test's values hold no `\`).
fn param<'a>(value: &'a str, name: &str) -> &'a str {
    let rest = value.strip_prefix("Digest ").unwrap();
    let item =
        rest.split(", ").find_map(|p| p.strip_prefix(name)?.strip_prefix('=')).unwrap_or_else(|| panic!("no {name}"));
    item.trim_matches('"')
}

fn hex<D: Digest>(s: &str) -> String {
    D::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 7616 3.4.1 for qop=auth, written out independently of the crate's digest module.
fn expected<D: Digest>(auth: &str, realm: &str, nonce: &str) -> String {
    let ha1 = hex::<D>(&format!("alice:{realm}:secret"));
    let ha2 = hex::<D>(&format!("INVITE:{}", std::str::from_utf8(URI).unwrap()));
    let (nc, cnonce) = (param(auth, "nc"), param(auth, "cnonce"));
    hex::<D>(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
}

/// A call with credentials whose first INVITE got a 401 with `value`; and that INVITE.
fn challenged_once(value: &str) -> (Net, CallId, Message) {
    let (mut net, call) = setup(Some(ALICE), false);
    let first = sent(&net, "INVITE").remove(0);
    challenge(&mut net, &first, 401, value);
    (net, call, first)
}

fn ended(net: &Net) -> Vec<EndReason> {
    net.events(0)
        .iter()
        .filter_map(|e| if let CallEvent::Ended { reason, .. } = e { Some(*reason) } else { None })
        .collect()
}

fn established(net: &Net) -> usize {
    net.events(0).iter().filter(|e| matches!(e, CallEvent::Established { .. })).count()
}

/// 401 or 407, answered; checks the retry against the first INVITE, answers it 200, ACKs,
/// hangs up. Returns the Authorization value.
fn challenged_call(code: u16, algorithm: &str, late_offer: bool) -> String {
    let (mut net, call) = setup(Some(ALICE), late_offer);
    let first = sent(&net, "INVITE").remove(0);
    assert_eq!(first.cseq().unwrap().seq, 1);
    let value = format!(
        "Digest realm=\"callshard.test\", nonce=\"n-{code}\", qop=\"auth,auth-int\", algorithm={algorithm}, opaque=\"op\""
    );
    challenge(&mut net, &first, code, &value);
    let acks = sent(&net, "ACK");
    assert_eq!(acks.len(), 1, "the transaction ACKs the {code} itself");
    assert_eq!(acks[0].top_via().unwrap().branch(), first.top_via().unwrap().branch());
    let invites = sent(&net, "INVITE");
    assert_eq!(invites.len(), 2);
    let retry = &invites[1];
    assert_eq!(retry.cseq().unwrap().seq, 2);
    assert_eq!(retry.call_id().unwrap(), first.call_id().unwrap());
    assert_eq!(header(retry, "From"), header(&first, "From"));
    assert!(first.from().unwrap().tag().is_some());
    assert_eq!(header(retry, "To"), header(&first, "To"));
    assert_eq!(retry.to().unwrap().tag(), None);
    assert_ne!(retry.top_via().unwrap().branch(), first.top_via().unwrap().branch());
    assert_eq!((retry.request_uri(), retry.body()), (first.request_uri(), first.body()));
    assert_eq!(header(retry, "Contact"), header(&first, "Contact"));
    let (ours, other) =
        if code == 407 { ("Proxy-Authorization", "Authorization") } else { ("Authorization", "Proxy-Authorization") };
    assert!(header(retry, other).is_none());
    let auth = header(retry, ours).unwrap().to_string();
    assert_eq!(param(&auth, "username"), "alice");
    assert_eq!(param(&auth, "realm"), "callshard.test");
    assert_eq!(param(&auth, "nonce"), format!("n-{code}"));
    assert_eq!(param(&auth, "uri").as_bytes(), URI);
    assert_eq!((param(&auth, "qop"), param(&auth, "nc")), ("auth", "00000001"));
    assert_eq!((param(&auth, "algorithm"), param(&auth, "opaque")), (algorithm, "op"));
    assert!(param(&auth, "cnonce").len() >= 16);
    let want = match algorithm {
        "MD5" => expected::<Md5>(&auth, "callshard.test", &format!("n-{code}")),
        _ => expected::<Sha256>(&auth, "callshard.test", &format!("n-{code}")),
    };
    assert_eq!(param(&auth, "response"), want);

    respond(&mut net, retry, 200, &[], Some(SDP));
    assert_eq!(established(&net), 1);
    let ack = sent(&net, "ACK").pop().unwrap();
    assert_eq!(ack.cseq().unwrap().seq, 2, "the ACK for the 2xx has the INVITE's CSeq");
    assert_eq!(!ack.body().is_empty(), late_offer, "late offer: our answer goes in the ACK");
    // A retransmitted 2xx gets the same ACK again, SDP and all.
    respond(&mut net, retry, 200, &[], Some(SDP));
    let again = sent(&net, "ACK").pop().unwrap();
    assert_eq!((again.cseq().unwrap().seq, again.body()), (2, ack.body()));
    net.act(0, |ep, now| ep.hangup(call, now)).unwrap();
    net.run_for(ms(5));
    let bye = sent(&net, "BYE").remove(0);
    assert_eq!(bye.cseq().unwrap().seq, 3);
    respond(&mut net, &bye, 200, &[], None);
    assert_eq!(ended(&net), [EndReason::LocalHangup]);
    auth
}

#[test]
fn challenge_401_md5_is_answered_and_the_call_goes_on() {
    challenged_call(401, "MD5", false);
}

#[test]
fn challenge_407_sha256_is_answered_with_proxy_authorization() {
    challenged_call(407, "SHA-256", false);
}

#[test]
fn late_offer_call_answers_a_challenge_and_acks_with_sdp() {
    challenged_call(401, "SHA-256", true);
}

#[test]
fn cnonces_differ_between_calls() {
    assert_ne!(
        param(&challenged_call(401, "MD5", false), "cnonce"),
        param(&challenged_call(401, "MD5", false), "cnonce")
    );
}

#[test]
fn a_second_challenge_after_the_retry_ends_the_call_rejected() {
    let (mut net, _, _) = challenged_once(r#"Digest realm="r", nonce="one", qop="auth""#);
    let retry = sent(&net, "INVITE").remove(1);
    challenge(&mut net, &retry, 401, r#"Digest realm="r", nonce="two", qop="auth""#);
    assert_eq!(ended(&net), [EndReason::Rejected(401)]);
    assert_eq!(sent(&net, "INVITE").len(), 2, "a wrong password is not retried");
    assert_eq!(sent(&net, "ACK").len(), 2);
}

#[test]
fn a_stale_nonce_is_answered_once_more_then_the_call_ends() {
    let (mut net, _, _) = challenged_once(r#"Digest realm="r", nonce="one", qop="auth""#);
    let second = sent(&net, "INVITE").remove(1);
    challenge(&mut net, &second, 401, r#"Digest realm="r", nonce="two", stale=true, qop="auth""#);
    let third = sent(&net, "INVITE").remove(2);
    assert_eq!(third.cseq().unwrap().seq, 3);
    assert_eq!(param(header(&third, "Authorization").unwrap(), "nonce"), "two");
    challenge(&mut net, &third, 401, r#"Digest realm="r", nonce="three", stale=true, qop="auth""#);
    assert_eq!(ended(&net), [EndReason::Rejected(401)]);
    assert_eq!(sent(&net, "INVITE").len(), 3);
}

#[test]
fn the_same_nonce_is_never_answered_twice() {
    let (mut net, _) = setup(Some(ALICE), false);
    let first = sent(&net, "INVITE").remove(0);
    challenge(&mut net, &first, 407, r#"Digest realm="r", nonce="one""#);
    let retry = sent(&net, "INVITE").remove(1);
    assert!(!header(&retry, "Proxy-Authorization").unwrap().contains("cnonce"), "no qop offered: RFC 2069 form");
    challenge(&mut net, &retry, 407, r#"Digest realm="r", nonce="one", stale=true"#);
    assert_eq!(ended(&net), [EndReason::Rejected(407)]);
}

#[test]
fn without_credentials_or_an_answerable_challenge_the_call_is_rejected() {
    let (mut net, _) = setup(None, false);
    let first = sent(&net, "INVITE").remove(0);
    challenge(&mut net, &first, 401, r#"Digest realm="r", nonce="one", qop="auth""#);
    assert_eq!(ended(&net), [EndReason::Rejected(401)]);
    assert_eq!(sent(&net, "INVITE").len(), 1);
    for value in [r#"Digest realm="r", nonce="one", qop="auth-int""#, "Digest realm=\"r", r#"Basic realm="r""#] {
        let (net, _, _) = challenged_once(value);
        assert_eq!(ended(&net), [EndReason::Rejected(401)], "{value}");
        assert_eq!(sent(&net, "INVITE").len(), 1);
    }
    // A 401 with no challenge at all.
    let (mut net, _) = setup(Some(ALICE), false);
    let first = sent(&net, "INVITE").remove(0);
    respond(&mut net, &first, 401, &[], None);
    assert_eq!(ended(&net), [EndReason::Rejected(401)]);
}

#[test]
fn cancel_after_a_challenge_cancels_the_new_invite() {
    let (mut net, call, _) = challenged_once(r#"Digest realm="r", nonce="one", qop="auth""#);
    let retry = sent(&net, "INVITE").remove(1);
    respond(&mut net, &retry, 180, &[], None);
    net.act(0, |ep, now| ep.hangup(call, now)).unwrap();
    net.run_for(ms(5));
    let cancel = sent(&net, "CANCEL").remove(0);
    assert_eq!(cancel.top_via().unwrap().branch(), retry.top_via().unwrap().branch());
    assert_eq!(cancel.cseq().unwrap().seq, 2);
    respond(&mut net, &cancel, 200, &[], None);
    respond(&mut net, &retry, 487, &[], None);
    assert_eq!(ended(&net), [EndReason::Cancelled]);
}

#[test]
fn a_cancel_before_the_challenge_is_not_followed_by_a_retry() {
    let (mut net, call) = setup(Some(ALICE), false);
    let first = sent(&net, "INVITE").remove(0);
    net.act(0, |ep, now| ep.cancel(call, now)).unwrap();
    challenge(&mut net, &first, 401, r#"Digest realm="r", nonce="one", qop="auth""#);
    assert_eq!(ended(&net), [EndReason::Cancelled]);
    assert_eq!(sent(&net, "INVITE").len(), 1);
}
