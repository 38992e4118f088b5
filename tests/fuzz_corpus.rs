//! Replays the fuzz corpora as a plain test: every file under `fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/` through the same target body the AFL++ binary runs
//! (`fuzz/targets/<target>.rs`), so what the fuzzers explored, and every crash they found
//! and we fixed, stays covered by `cargo test` on the stable toolchain without AFL.
//! The bodies assert their own invariants; a panic names the file that caused it.

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "../fuzz/targets/endpoint.rs"]
mod endpoint;
#[allow(dead_code)]
#[path = "../fuzz/targets/rtp_rtcp.rs"]
mod rtp_rtcp;
#[allow(dead_code)]
#[path = "../fuzz/targets/sdp.rs"]
mod sdp;
#[allow(dead_code)]
#[path = "../fuzz/targets/sip_message.rs"]
mod sip_message;

/// Every file of `fuzz/corpus/<target>` and `fuzz/regressions/<target>`, sorted.
fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files: Vec<PathBuf> = ["corpus", "regressions"]
        .iter()
        .filter_map(|kind| std::fs::read_dir(root.join(kind).join(target)).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, run: fn(&[u8]), at_least: usize) {
    let files = inputs(target);
    assert!(files.len() >= at_least, "{target}: {} inputs, expected at least {at_least}", files.len());
    for path in files {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: {} panicked", path.display());
    }
}

#[test]
fn sip_message_corpus() {
    replay("sip_message", sip_message::run, 10);
}

#[test]
fn sdp_corpus() {
    replay("sdp", sdp::run, 3);
}

#[test]
fn rtp_rtcp_corpus() {
    replay("rtp_rtcp", rtp_rtcp::run, 3);
}

#[test]
fn endpoint_corpus() {
    replay("endpoint", endpoint::run, 3);
}
