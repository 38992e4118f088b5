//! `callshard call` as the UAC of a forked INVITE, against SIPp playing a forking proxy's
//! branches (RFC 3261 12.1.2, 13.2.2.4), on both I/O backends:
//!
//! - `sipp_stress/scenarios/uas_forking.xml`: fork A rings and sends early media, fork B rings
//!   and answers, then fork A answers late (and once more, a retransmission). The call must be
//!   fork B's (ACK, media to B's answer, the final BYE), fork A's 2xx ACKed each time and its
//!   dialog hung up with exactly one BYE. SIPp checks each message's tag, Request-URI and
//!   CSeq; the test reads SIPp's message log to say the same in its own words.
//! - `sipp_stress/scenarios/forking_uas.xml`: three early dialogs, the second fork answers.

mod common;

use common::sipp_uas::{SippUas, Traced, STRESS_DIR};

/// callshard's output lines that start with `prefix`.
fn lines<'a>(out: &'a str, prefix: &str) -> Vec<&'a str> {
    out.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// The port of each "media: payload type ... to 127.0.0.1:PORT" line, in order.
fn media_ports(out: &str) -> Vec<u16> {
    lines(out, "media: payload type")
        .iter()
        .filter_map(|l| l.split(" to 127.0.0.1:").nth(1)?.split(' ').next()?.parse().ok())
        .collect()
}

/// (method, To tag, CSeq) of each request callshard sent after its INVITE.
fn requests_after_invite(messages: &[Traced]) -> Vec<(String, String, String)> {
    messages
        .iter()
        .filter(|m| m.received && !m.start_line().starts_with("INVITE "))
        .map(|m| {
            let method = m.start_line().split(' ').next().unwrap_or_default().to_string();
            (method, m.to_tag().unwrap_or_default().to_string(), m.header("CSeq").unwrap_or_default().to_string())
        })
        .collect()
}

/// The SDP port of the first response SIPp sent with this status and a To tag ending `fork`.
fn answer_port(messages: &[Traced], status: &str, fork: &str) -> u16 {
    messages
        .iter()
        .find(|m| !m.received && m.start_line().starts_with(status) && m.to_tag().is_some_and(|t| t.ends_with(fork)))
        .and_then(Traced::audio_port)
        .unwrap_or_else(|| panic!("no {status} with SDP from {fork}"))
}

fn late_fork_is_acked_and_hung_up(backend: &[&str]) {
    let scenario = format!("{STRESS_DIR}/scenarios/uas_forking.xml");
    let mut sipp = SippUas::start("forking-late-2xx", &["-sf", &scenario]);
    let mut args = vec!["--hold-ms", "300"];
    args.extend_from_slice(backend);
    let (code, out) = sipp.call(&sipp.uri("fork"), &args);
    let sipp_code = sipp.finish();
    let context = format!("--- callshard call {backend:?}\n{out}\n{}", sipp.report());
    assert_eq!(code, Some(0), "callshard call: the call was answered\n{context}");
    assert_eq!(sipp_code, Some(0), "SIPp: every message of the scenario matched\n{context}");

    let ringing = lines(&out, "180 after ");
    assert_eq!(ringing.len(), 2, "{context}");
    assert!(ringing[0].ends_with("(early dialogs: 1)") && ringing[1].ends_with("(early dialogs: 2)"), "{context}");
    assert!(lines(&out, "183 after ")[..].iter().all(|l| l.ends_with("(early dialogs: 2)")), "{context}");
    assert_eq!(lines(&out, "200 answered after ").len(), 1, "{context}");
    assert_eq!(lines(&out, "ended after ").len(), 1, "{context}");
    assert!(lines(&out, "ended after ")[0].ends_with(": LocalHangup"), "{context}");

    let messages = sipp.messages();
    let requests = requests_after_invite(&messages);
    let tag = |r: &(String, String, String)| {
        if r.1.ends_with("forka") {
            "A"
        } else if r.1.ends_with("forkb") {
            "B"
        } else {
            "?"
        }
    };
    let seen: Vec<(&str, &str, &str)> = requests.iter().map(|r| (r.0.as_str(), tag(r), r.2.as_str())).collect();
    assert_eq!(
        seen,
        [
            ("ACK", "B", "1 ACK"), // the first 2xx confirms fork B's dialog
            ("ACK", "A", "1 ACK"), // fork A's late 2xx is ACKed ...
            ("BYE", "A", "2 BYE"), // ... and its dialog hung up
            ("ACK", "A", "1 ACK"), // its retransmission ACKed again, no second BYE
            ("BYE", "B", "2 BYE"), // the call, after --hold-ms
        ],
        "{context}"
    );
    // Fork A's early answer (183) moved the media there; fork B's 2xx moved it to fork B.
    let (early, answered) =
        (answer_port(&messages, "SIP/2.0 183", "forka"), answer_port(&messages, "SIP/2.0 200", "forkb"));
    assert_ne!(early, answered);
    assert_eq!(media_ports(&out), [early, answered], "media follows the fork that answered\n{context}");
}

fn three_early_dialogs_one_answer(backend: &[&str]) {
    let scenario = format!("{STRESS_DIR}/scenarios/forking_uas.xml");
    let mut sipp = SippUas::start("forking-three", &["-sf", &scenario]);
    let mut args = vec!["--hold-ms", "200"];
    args.extend_from_slice(backend);
    let (code, out) = sipp.call(&sipp.uri("fork"), &args);
    let sipp_code = sipp.finish();
    let context = format!("--- callshard call {backend:?}\n{out}\n{}", sipp.report());
    assert_eq!((code, sipp_code), (Some(0), Some(0)), "{context}");
    let ringing = lines(&out, "180 after ");
    let dialogs: Vec<&str> = ringing.iter().filter_map(|l| l.split("early dialogs: ").nth(1)).collect();
    assert_eq!(dialogs, ["1)", "2)", "3)"], "{context}");
    let requests = requests_after_invite(&sipp.messages());
    let seen: Vec<(&str, &str)> = requests.iter().map(|r| (r.0.as_str(), r.1.as_str())).collect();
    assert_eq!(seen, [("ACK", "f0f0f0f0f0f0f0b2"), ("BYE", "f0f0f0f0f0f0f0b2")], "{context}");
}

#[test]
fn late_fork_is_acked_and_hung_up_default_io() {
    late_fork_is_acked_and_hung_up(&[]);
}

#[test]
fn late_fork_is_acked_and_hung_up_poll() {
    late_fork_is_acked_and_hung_up(&["--poll"]);
}

#[test]
fn three_early_dialogs_one_answer_default_io() {
    three_early_dialogs_one_answer(&[]);
}

#[test]
fn three_early_dialogs_one_answer_poll() {
    three_early_dialogs_one_answer(&["--poll"]);
}
