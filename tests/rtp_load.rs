//! `callshard rtp-load` against `callshard serve --media echo`: a few calls at a low rate all
//! come back, and the calls are hung up at the end. The tool's figures under load are for
//! perf/media_compare.py, never a timed test.

mod common;

use std::process::Command;

use common::server::{stat, Server, BIN};

fn field(json: &str, name: &str) -> f64 {
    let at = json.find(&format!("\"{name}\":")).unwrap_or_else(|| panic!("no {name} in {json}"));
    let rest = &json[at + name.len() + 3..];
    rest[..rest.find([',', '}']).unwrap()].parse().unwrap()
}

#[test]
fn rtp_load_gets_every_echo_back() {
    let server = Server::start(16_460, &["--shards", "2", "--media", "echo", "--rtp-ports", "42400-42599"]);
    let out = Command::new(BIN)
        .args(["rtp-load", "--target", "127.0.0.1:16460", "--calls", "6", "--rate", "300", "--duration", "0.5"])
        .args(["--warmup", "0.1", "--json", "--server-pid", &server.child.id().to_string()])
        .output()
        .unwrap();
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{json}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(field(&json, "sent"), 150.0, "{json}");
    assert_eq!(field(&json, "received"), 150.0, "{json}");
    assert_eq!(field(&json, "loss_pct"), 0.0, "{json}");
    assert_eq!(field(&json, "unconfirmed_hangups"), 0.0, "{json}");
    assert!(field(&json, "p99") > 0.0, "{json}");
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let line = common::server::final_line(&stderr);
    assert_eq!(stat(line, "established"), 6, "{line}");
    let media = line.split("| media ").nth(1).unwrap_or_else(|| panic!("no media figures: {line}"));
    assert_eq!(stat(media, "active"), 0, "every call hung up: {media}");
}

#[test]
fn rtp_load_refuses_bad_flags_in_one_line() {
    let out = Command::new(BIN).args(["rtp-load", "--no-sip", "--ports", "9-3"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
