//! Scale-out behind Kamailio's dispatcher (`sipp_stress/scaleout/run.sh`): three `serve`
//! nodes on 127.0.0.2-4, Kamailio in front hashing Call-IDs, SIPp through it. Every node takes
//! a share of the calls (read from its /metrics), and after one node is killed every call of
//! the second round still completes on the others (Kamailio fails over on the timeout).

mod common;

use std::process::Command;

use common::scratch::Scratch;

#[test]
fn calls_spread_over_the_nodes_and_survive_a_dead_node() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/sipp_stress/scaleout/run.sh");
    let dir = Scratch::new("callshard-scaleout");
    let out = Command::new(script)
        .env("OUT_DIR", dir.path())
        .env("CALLSHARD_BIN", env!("CARGO_BIN_EXE_callshard"))
        .envs([("NODES", "3"), ("CALLS", "150"), ("RATE", "100"), ("KILL", "2")])
        .envs([("NODE_PORT", "17860"), ("METRICS_PORT", "17861"), ("KAM_PORT", "17862"), ("SIPP_PORT", "17870")])
        .output()
        .expect("run sipp_stress/scaleout/run.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}\n{err}");
    let round = |n: &str| -> Vec<u64> {
        let line = text.lines().find(|l| l.starts_with(&format!("round {n}:"))).expect("a round line");
        assert!(line.contains(": 150 calls completed, 0 failed;"), "{line}");
        line.split("calls per node: ").nth(1).unwrap().split_whitespace().map_while(|v| v.parse().ok()).collect()
    };
    let (first, second) = (round("1"), round("2"));
    assert_eq!(first.len(), 3, "{text}");
    assert!(first.iter().all(|&n| n > 0), "every node took calls: {first:?}");
    assert_eq!(first.iter().sum::<u64>(), 150, "{first:?}");
    assert_eq!(second[1], 0, "the killed node is gone: {second:?}");
    assert_eq!(second[0] + second[2], 300 - first[1], "the others took every call of round 2: {second:?}");
    assert!(text.contains("scaleout: PASS"), "{text}");
}
