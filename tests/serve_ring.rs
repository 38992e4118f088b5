//! `callshard serve` on its io_uring backend, where it differs from the poll backend: a buffer
//! ring much smaller than a burst, a hand-off storm between shards (on both backends), answers
//! sent as each datagram is handled (both backends), a stop
//! while calls still hold their datagrams and a restart on the same port at once, and the
//! fallback when a seccomp profile forbids io_uring.

mod common;

use std::collections::HashSet;
use std::net::UdpSocket;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::server::{client, exchange, final_line, invite, options, stat, status_line, Server, BIN};

/// Datagrams in flight at once: a burst far larger than a buffer ring of 8, yet small enough
/// for the server socket's default receive buffer (net.core.rmem_default, about 200 KiB on a
/// stock machine), so that the kernel does not drop any before the server sees it.
const WINDOW: usize = 128;

/// Sends `n` OPTIONS with Call-IDs `PREFIX-i@test` from one socket in windows of [`WINDOW`]
/// (the next window as soon as the last is answered), and returns the Call-IDs answered with
/// 200.
fn burst(port: u16, prefix: &str, n: usize) -> HashSet<String> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let (mut answered, mut buf) = (HashSet::new(), vec![0u8; 65_536]);
    for start in (0..n).step_by(WINDOW) {
        let end = (start + WINDOW).min(n);
        for i in start..end {
            sock.send_to(&options(&format!("{prefix}-{i}")), ("127.0.0.1", port)).unwrap();
        }
        let mut replies = 0;
        while replies < end - start {
            let Ok(len) = sock.recv(&mut buf) else { break };
            let reply = String::from_utf8_lossy(&buf[..len]);
            if status_line(&reply) == "SIP/2.0 200 OK" {
                answered.insert(reply.lines().find_map(|l| l.strip_prefix("Call-ID: ")).unwrap().to_string());
            }
            replies += 1;
        }
    }
    answered
}

/// Asserts that `answered` holds exactly the `n` Call-IDs `PREFIX-i@test`, naming a few missing.
fn assert_all_answered(answered: &HashSet<String>, prefix: &str, n: usize, server: Server) -> Server {
    let missing: Vec<String> =
        (0..n).map(|i| format!("{prefix}-{i}@test")).filter(|id| !answered.contains(id)).collect();
    if !missing.is_empty() || answered.len() != n {
        let (_, err) = server.stop();
        panic!("{} of {n} answered; missing e.g. {:?}\n{err}", answered.len(), &missing[..missing.len().min(5)]);
    }
    server
}

#[test]
fn a_buffer_ring_smaller_than_a_burst_runs_dry_and_recovers() {
    let server = Server::start(17_000, &["--io", "uring", "--shards", "1", "--ring-buffers", "8"]);
    let answered = burst(server.port, "dry", 3_000);
    let server = assert_all_answered(&answered, "dry", 3_000, server);
    let after = exchange(&client(), server.port, &options("after"));
    assert_eq!(after.first().map(|r| status_line(r)), Some("SIP/2.0 200 OK"), "the socket is still served");
    let (code, err) = server.stop();
    assert_eq!(code, Some(0), "{err}");
    let line = final_line(&err);
    assert!(stat(line, "ring:empty") > 0, "8 buffers ran dry under a 3 000-datagram burst: {line}");
    assert!(stat(line, "rearmed") >= stat(line, "ring:empty"), "{line}");
    assert_eq!(stat(line, "truncated"), 0, "{line}");
}

/// All datagrams come from one socket, so the kernel gives them all to one shard and it hands
/// three quarters of them to the three others.
fn handoff_storm(io: &str, port: u16) {
    let server = Server::start(port, &["--io", io, "--shards", "4"]);
    let answered = burst(server.port, io, 8_000);
    let server = assert_all_answered(&answered, io, 8_000, server);
    let (code, err) = server.stop();
    assert_eq!(code, Some(0), "{err}");
    let line = final_line(&err);
    assert!(stat(line, "handoff") > 4_000, "most datagrams crossed shards: {line}");
    assert_eq!(stat(line, ",handoff"), 0, "no hand-off lost: {line}");
}

/// `--send-early` past any burst: every answer is sent as soon as its datagram is handled,
/// one submission each, with the buffer ring running dry meanwhile; none is lost or doubled.
fn answers_sent_early(io: &str, port: u16) {
    let server = Server::start(port, &["--io", io, "--shards", "1", "--ring-buffers", "8", "--send-early", "1000000"]);
    let answered = burst(server.port, "early", 3_000);
    let server = assert_all_answered(&answered, "early", 3_000, server);
    let (code, err) = server.stop();
    assert_eq!(code, Some(0), "{err}");
    let line = final_line(&err);
    assert_eq!(stat(line, "send"), 0, "no send failed: {line}");
}

#[test]
fn answers_sent_early_uring() {
    answers_sent_early("uring", 17_060);
}

#[test]
fn answers_sent_early_poll() {
    answers_sent_early("poll", 17_070);
}

#[test]
fn a_handoff_storm_between_shards_uring() {
    handoff_storm("uring", 17_010);
}

#[test]
fn a_handoff_storm_between_shards_poll() {
    handoff_storm("poll", 17_020);
}

#[test]
fn stop_with_calls_holding_datagrams_then_restart_on_the_same_port() {
    let server = Server::start(17_030, &["--io", "uring", "--shards", "2", "--route", "hold=ringing"]);
    let sock = client();
    for i in 0..50 {
        sock.send_to(&invite(&format!("held{i}"), "hold"), ("127.0.0.1", server.port)).unwrap();
    }
    let (mut ringing, mut buf) = (0, [0u8; 4096]);
    while let Ok(n) = sock.recv(&mut buf) {
        ringing += usize::from(buf[..n].starts_with(b"SIP/2.0 180 "));
    }
    assert_eq!(ringing, 50, "every call rings and stays");
    let stopped = Instant::now();
    let (code, err) = server.stop();
    assert_eq!(code, Some(0), "{err}");
    assert!(stopped.elapsed() < Duration::from_secs(5), "the drain is bounded");
    assert!(final_line(&err).contains("calls in=50 "), "{err}");
    // The ring released the sockets before it closed: the port is free at once.
    let again = Server::start(17_030, &["--io", "uring", "--shards", "2"]);
    let replies = exchange(&client(), again.port, &options("again"));
    assert_eq!(replies.first().map(|r| status_line(r)), Some("SIP/2.0 200 OK"));
    assert_eq!(again.stop().0, Some(0));
}

/// Runs `callshard serve ARGS` under a seccomp filter that fails `io_uring_setup` with EPERM,
/// as a container's default profile does.
#[cfg(target_arch = "x86_64")]
fn serve_without_io_uring(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve").args(args).stdout(Stdio::null()).stderr(Stdio::piped());
    // SAFETY: between fork and exec only async-signal-safe calls (prctl) are made.
    unsafe { cmd.pre_exec(deny_io_uring) };
    cmd
}

#[cfg(target_arch = "x86_64")]
fn deny_io_uring() -> std::io::Result<()> {
    const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
    let stmt = |code: u32, k: u32| libc::sock_filter { code: code as u16, jt: 0, jf: 0, k };
    let jump = |k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    };
    let load = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    let mut filter = [
        stmt(load, 4),                 // seccomp_data.arch
        jump(AUDIT_ARCH_X86_64, 0, 3), // another ABI: allow
        stmt(load, 0),                 // seccomp_data.nr
        jump(libc::SYS_io_uring_setup as u32, 0, 1),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
    ];
    let prog = libc::sock_fprog { len: filter.len() as u16, filter: filter.as_mut_ptr() };
    // SAFETY: `prog` points at `filter`, alive during both calls.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            || libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &prog as *const libc::sock_fprog) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(target_arch = "x86_64")]
#[test]
fn where_io_uring_is_forbidden_auto_falls_back_to_poll_and_uring_refuses() {
    let mut child = serve_without_io_uring(&["--listen", "127.0.0.1:17040", "--stats-interval", "0"]).spawn().unwrap();
    let server = Server { child: std::mem::replace(&mut child, Command::new("true").spawn().unwrap()), port: 17_040 };
    let sock = client();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut replies = Vec::new();
    while replies.is_empty() && Instant::now() < deadline {
        replies = exchange(&sock, server.port, &options("fallback"));
    }
    assert_eq!(replies.first().map(|r| status_line(r)), Some("SIP/2.0 200 OK"), "served on the poll backend");
    let (code, err) = server.stop();
    assert_eq!(code, Some(0), "{err}");
    let notice: Vec<&str> = err.lines().filter(|l| l.contains("poll backend")).collect();
    assert_eq!(notice.len(), 1, "one line says why: {err}");
    assert!(notice[0].contains("io_uring is forbidden here"), "{err}");
    let _ = child.wait();

    let out = serve_without_io_uring(&["--listen", "127.0.0.1:17041", "--io", "uring"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("error: --io uring: io_uring is forbidden here"), "{err}");
}
