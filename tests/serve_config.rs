//! `callshard serve --config FILE`: the documented example loads, a file's settings apply, a
//! flag on the command line overrides them, and a bad file is a one-line error.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::scratch::Scratch;
use common::server::{client, exchange, invite, status_line, Server, BIN};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/callshard.example.toml");

fn final_status(port: u16, user: &str) -> String {
    let replies = exchange(&client(), port, &invite(&format!("cfg-{port}-{user}"), user));
    replies.iter().map(|r| status_line(r).to_string()).filter(|s| !s.starts_with("SIP/2.0 1")).collect()
}

#[test]
fn the_example_file_loads_and_flags_override_it() {
    // The example listens on 5060 and serves metrics on 9091: the flags move both.
    let args = ["--config", EXAMPLE, "--shards", "2", "--metrics", "127.0.0.1:19401", "--rtp-ports", "48000-48099"];
    let server = Server::start(19_400, &args);
    assert_eq!(final_status(19_400, "anyone"), "SIP/2.0 200 OK");
    let mut http = TcpStream::connect("127.0.0.1:19401").expect("--metrics overrides the file's address");
    http.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    http.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut text = String::new();
    http.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK") && text.contains("callshard_calls_incoming_total"), "{text}");
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("metrics on http://127.0.0.1:19401/metrics"), "{stderr}");
}

#[test]
fn a_file_sets_what_the_command_line_leaves() {
    let dir = Scratch::new("callshard-config-test");
    let file = dir.path().join("serve.toml");
    std::fs::write(&file, "route = [\"*=reject:480\"]\nrtp-ports = \"48100-48199\"\nshards = 1\n").unwrap();
    let file = file.to_str().unwrap();
    let server = Server::start(19_410, &["--config", file]);
    assert_eq!(final_status(19_410, "anyone"), "SIP/2.0 480 Temporarily Unavailable");
    drop(server);
    let server = Server::start(19_411, &["--config", file, "--route", "*=reject:486"]);
    assert_eq!(final_status(19_411, "anyone"), "SIP/2.0 486 Busy Here", "the flag wins over the file");
    drop(server);
}

/// `serve --config` with `content`: its exit code and stderr.
fn refused(content: &str) -> (Option<i32>, String) {
    let dir = Scratch::new(&format!("callshard-config-bad-{}", content.len()));
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, content).unwrap();
    let out = Command::new(BIN).args(["serve", "--config", file.to_str().unwrap()]).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_bad_file_is_a_one_line_error() {
    for (content, says) in [
        ("max-call = 5\n", "unknown key `max-call`"),
        ("max-calls = \"lots\"\n", "invalid value 'lots' for '--max-calls"),
        ("listen = [\"127.0.0.1:5060\"\nshards = 1\n", "line "),
        ("config = \"other.toml\"\n", "unknown key `config`"),
    ] {
        let (code, err) = refused(content);
        assert_eq!(code, Some(2), "{content}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{content}: {err}");
        assert!(err.starts_with("error: --config ") && err.contains(says), "{content}: {err}");
    }
    let out = Command::new(BIN).args(["serve", "--config", "/nonexistent/callshard.toml"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!((out.status.code(), err.trim().lines().count()), (Some(2), 1), "{err}");
}
