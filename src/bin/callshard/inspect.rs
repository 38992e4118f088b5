//! `callshard inspect`: the parser's verdict on messages, as the server would act on them.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use bytes::Bytes;
use callshard::sip::{Message, ParseLimits, Parsed};

/// Inspects each file (or standard input). Exit code 1 when any message is not valid.
pub fn run(files: &[PathBuf]) -> ExitCode {
    let inputs: Vec<(String, std::io::Result<Vec<u8>>)> = if files.is_empty() {
        let mut buf = Vec::new();
        vec![("-".into(), std::io::stdin().read_to_end(&mut buf).map(|_| buf))]
    } else {
        files.iter().map(|f| (f.display().to_string(), std::fs::read(f))).collect()
    };
    let mut all_valid = true;
    for (name, data) in inputs {
        match data {
            Ok(data) => all_valid &= report(&name, Bytes::from(data)),
            Err(e) => {
                eprintln!("{name}: {e}");
                all_valid = false;
            }
        }
    }
    if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn report(name: &str, data: Bytes) -> bool {
    match Message::parse_datagram(data, &ParseLimits::default()) {
        Parsed::Valid(m) => {
            println!("{name}: valid {}", summary(&m));
            true
        }
        Parsed::Reject(m, e) => {
            println!("{name}: answer {} {e} ({}) to {}", e.status_code(), e.detail(), summary(&m));
            false
        }
        Parsed::Drop(e) => {
            println!("{name}: drop ({e}{}{})", if e.detail().is_empty() { "" } else { ": " }, e.detail());
            false
        }
    }
}

fn summary(m: &Message) -> String {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let first = match m.status() {
        Some(code) => format!("response {code} {}", text(m.reason())),
        None => format!("request {} {}", text(m.method_bytes()), text(m.request_uri())),
    };
    let call_id = m.call_id().map(text).unwrap_or_default();
    let cseq = m.cseq().map(|c| format!("{} {}", c.seq, text(c.method_bytes))).unwrap_or_default();
    let branch = m.top_via().ok().and_then(|v| v.branch()).map(text).unwrap_or_default();
    format!("{first}; Call-ID {call_id}; CSeq {cseq}; branch {branch}; body {} bytes", m.body().len())
}
