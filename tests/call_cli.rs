//! `callshard call` against SIPp UASes, on both I/O backends: SIPp's built-in `uas` scenario
//! (180, 200, ACK, BYE) is answered and ends with our BYE; a UAS answering 486
//! (`sipp_stress/mock/call_rejection.xml`, which also checks that the ACK for the 486 reuses
//! the INVITE's branch) makes the command print the 486 and exit non-zero.

mod common;

use common::sipp_uas::{SippUas, STRESS_DIR};

fn answered_by_sipp_uas(backend: &[&str]) {
    let mut sipp = SippUas::start("call-uas", &["-sn", "uas"]);
    let mut args = vec!["--hold-ms", "200"];
    args.extend_from_slice(backend);
    let (code, out) = sipp.call(&sipp.uri("service"), &args);
    let sipp_code = sipp.finish();
    let context = format!("--- callshard call {backend:?}\n{out}\n{}", sipp.report());
    assert_eq!(code, Some(0), "answered: exit code 0\n{context}");
    assert_eq!(sipp_code, Some(0), "SIPp's uas saw INVITE, ACK, BYE\n{context}");
    let first_word = |l: &str| l.split(' ').next().unwrap_or_default().to_string();
    let steps: Vec<String> = out.lines().filter(|l| l.contains(" after ")).map(first_word).collect();
    assert_eq!(steps, ["180", "200", "ended"], "{context}");
    assert!(out.contains("(early dialogs: 1)") && out.contains(": LocalHangup"), "{context}");
    let requests: Vec<String> =
        sipp.messages().iter().filter(|m| m.received).map(|m| first_word(m.start_line())).collect();
    assert_eq!(requests, ["INVITE", "ACK", "BYE"], "{context}");
}

fn rejected_486(backend: &[&str]) {
    let scenario = format!("{STRESS_DIR}/mock/call_rejection.xml");
    let mut sipp = SippUas::start("call-486", &["-sf", &scenario]);
    let (code, out) = sipp.call(&sipp.uri("busy"), backend);
    let sipp_code = sipp.finish();
    let context = format!("--- callshard call {backend:?}\n{out}\n{}", sipp.report());
    assert_eq!(code, Some(1), "not answered: exit code 1\n{context}");
    assert_eq!(sipp_code, Some(0), "SIPp got the ACK for its 486\n{context}");
    assert!(
        out.lines().any(|l| l.starts_with("486 final response after ") && l.ends_with(": call failed")),
        "{context}"
    );
    assert!(!out.contains("answered"), "{context}");
}

#[test]
fn answered_by_sipp_uas_default_io() {
    answered_by_sipp_uas(&[]);
}

#[test]
fn answered_by_sipp_uas_poll() {
    answered_by_sipp_uas(&["--poll"]);
}

#[test]
fn rejected_486_default_io() {
    rejected_486(&[]);
}

#[test]
fn rejected_486_poll() {
    rejected_486(&["--poll"]);
}
