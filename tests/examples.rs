//! The programs of `examples/` run as a user would run them, against `callshard call`,
//! `callshard serve` and SIPp on loopback: the auto-answer responder plays its tone and
//! completes SIPp's calls, the B2BUA carries media both ways through its bridge and passes a
//! refusal and a cancel across, and click-to-call connects a tone to a listener. Every
//! process is killed if its test fails or runs out of time.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::server::{final_line, stat, Server, BIN};

/// Longest any one program of a test may run.
const LIMIT: Duration = Duration::from_secs(30);

/// The examples these tests run.
const EXAMPLES: [&str; 3] = ["auto_answer", "b2bua", "click_to_call"];

/// The binary of example `name`, beside this test's own binary (`target/<profile>/deps/
/// examples-*` next to `target/<profile>/examples/NAME`). `cargo test` builds the examples
/// but `cargo test --test examples` does not, and a binary left from an older build would
/// test old code: so the first call runs `cargo build` for all of them (a no-op when they
/// are fresh; cargo holds no lock while tests run).
fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps/<test>");
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.current_dir(env!("CARGO_MANIFEST_DIR")).args(["build", "--quiet"]);
        build.arg("--target-dir").arg(profile_dir.parent().unwrap());
        for example in EXAMPLES {
            build.args(["--example", example]);
        }
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        assert!(build.status().unwrap().success(), "cargo build of the examples failed");
    });
    let path = profile_dir.join("examples").join(name);
    assert!(path.exists(), "no {}", path.display());
    path
}

/// A program under test: its stdout line by line as it comes, its stderr kept whole.
struct Proc {
    child: Child,
    lines: Receiver<String>,
    /// Every stdout line read so far, for the failure messages.
    seen: Vec<String>,
    stderr: Option<JoinHandle<String>>,
}

impl Proc {
    fn spawn(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Proc {
        let mut child = Command::new(program).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut err = child.stderr.take().unwrap();
        let stderr = Some(std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        }));
        Proc { child, lines, seen: Vec::new(), stderr }
    }

    /// Waits for a stdout line starting with `prefix` (an example's "listening on" line,
    /// printed once its sockets are bound).
    fn wait_line(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(line) => self.seen.push(line),
                Err(_) => break,
            }
        }
        panic!("no line starting with {prefix:?}; stdout so far: {:?}", self.seen)
    }

    /// Waits for the exit (killing the program after [`LIMIT`]): the exit code, all of
    /// stdout, stderr.
    fn finish(mut self) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + LIMIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("still running after {LIMIT:?}; stdout: {:?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The pipe closes with the process: the reader thread ends, the channel with it.
        self.seen.extend(self.lines.iter());
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status.code(), std::mem::take(&mut self.seen).join("\n"), stderr)
    }

    /// SIGTERM, then [`Proc::finish`].
    fn terminate(self) -> (Option<i32>, String, String) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.finish()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts example `name` with `args` and waits until it listens.
fn start_example(name: &str, args: &[&str]) -> Proc {
    let mut proc = Proc::spawn(example(name), args);
    proc.wait_line(&format!("{name}: listening on"));
    proc
}

/// `callshard call` to `uri` with our own RTP ports and `args`: exit code and stdout.
fn call(uri: &str, rtp: &str, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["call", uri, "--listen", "127.0.0.1:0", "--rtp-ports", rtp];
    all.extend_from_slice(args);
    let (code, out, err) = Proc::spawn(BIN, &all).finish();
    (code, format!("{out}\n{err}"))
}

/// The caller's media figures from `callshard call`'s last line: (received, sent).
fn caller_media(out: &str) -> (u64, u64) {
    let line = out.lines().find(|l| l.starts_with("media: received ")).unwrap_or_else(|| panic!("no media: {out}"));
    let number_after = |key: &str| -> u64 {
        let at = line.find(key).unwrap_or_else(|| panic!("no {key:?} in {line}")) + key.len();
        line[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
    };
    (number_after("received "), number_after("sent "))
}

/// The final statistics line a stopped example printed on stdout.
fn example_final(code: Option<i32>, out: &str, err: &str) -> String {
    assert_eq!(code, Some(0), "the example did not stop cleanly: {out}\n{err}");
    let line = out.lines().find(|l| l.starts_with("final: ")).unwrap_or_else(|| panic!("no final line: {out}"));
    line.to_string()
}

/// Runs SIPp's built-in `scenario` against `target` from `port`, in a temporary directory
/// (SIPp may write logs there) removed afterwards: exit code and screen.
fn sipp(scenario: &str, target: &str, port: u16, args: &[&str]) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!("callshard-examples-sipp-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (local, media) = (port.to_string(), (port + 1).to_string());
    let run = Command::new("sipp")
        .current_dir(&dir)
        .args([target, "-sn", scenario, "-i", "127.0.0.1", "-p", &local, "-mp", &media, "-nostdin"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|child| child.wait_with_output());
    std::fs::remove_dir_all(&dir).unwrap();
    let out = run.expect("SIPp is not installed: run scripts/test.sh, which installs the Debian package sip-tester");
    let screen = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), screen)
}

#[test]
fn auto_answer_rings_and_plays_a_tone() {
    let responder = start_example("auto_answer", &["--listen", "127.0.0.1:18300", "--shards", "2"]);
    let (code, out) = call("sip:anyone@127.0.0.1:18300", "45000-45099", &["--hold-ms", "600"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("\n180 after"), "rings before answering: {out}");
    // 600 ms of 20 ms packets is 30 (the first of a stream is not counted: RFC 3550 A.1).
    let (received, _) = caller_media(&out);
    assert!(received >= 10, "the tone reached the caller: {out}");
    let (code, out, err) = responder.terminate();
    let line = example_final(code, &out, &err);
    assert_eq!((stat(&line, "established"), stat(&line, "active")), (1, 0), "{line}");
    let media = line.split("| media ").nth(1).unwrap();
    assert!(stat(media, "tx") >= received, "{line}");
}

#[test]
fn auto_answer_completes_sipp_uac_calls() {
    let responder = start_example("auto_answer", &["--listen", "127.0.0.1:18310", "--shards", "2"]);
    let (code, screen) =
        sipp("uac", "127.0.0.1:18310", 18_311, &["-m", "5", "-r", "5", "-timeout", "20s", "-timeout_error"]);
    assert_eq!(code, Some(0), "SIPp's calls failed:\n{screen}");
    let (code, out, err) = responder.terminate();
    let line = example_final(code, &out, &err);
    assert_eq!((stat(&line, "in"), stat(&line, "established"), stat(&line, "active")), (5, 5, 0), "{line}");
}

#[test]
fn b2bua_bridges_a_tone_to_an_echo_and_back() {
    let far = Server::start(18_341, &["--shards", "1", "--media", "echo", "--rtp-ports", "45100-45199"]);
    let b2bua = start_example(
        "b2bua",
        &["--listen", "127.0.0.1:18340", "--shards", "2", "--target", "sip:echo@127.0.0.1:18341"],
    );
    let (code, out) = call("sip:anyone@127.0.0.1:18340", "45200-45299", &["--media", "tone", "--hold-ms", "1000"]);
    assert_eq!(code, Some(0), "{out}");
    // Our tone -> bridge -> the far end's echo -> bridge -> us. Some of the last ones are in
    // flight at the hangup.
    let (received, sent) = caller_media(&out);
    assert!(sent >= 40 && received * 10 >= sent * 8, "the echo came back through the bridge: {out}");
    let (code, out, err) = b2bua.terminate();
    let line = example_final(code, &out, &err);
    assert!(out.contains("bridged"), "{out}");
    // Both legs: ours to the caller and the one to the far end.
    assert_eq!((stat(&line, "in"), stat(&line, "established"), stat(&line, "active")), (1, 2, 0), "{line}");
    let (code, stderr) = far.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let far_line = final_line(&stderr);
    assert_eq!((stat(far_line, "established"), stat(far_line, "active")), (1, 0), "{far_line}");
    let media = far_line.split("| media ").nth(1).unwrap();
    assert!(stat(media, "rx") * 10 >= sent * 8, "the tone reached the far end: {far_line}");
}

#[test]
fn b2bua_passes_the_far_ends_refusal_back() {
    let far = Server::start(18_351, &["--shards", "1", "--route", "*=reject:486", "--rtp-ports", "45300-45399"]);
    let b2bua = start_example(
        "b2bua",
        &["--listen", "127.0.0.1:18350", "--shards", "2", "--target", "sip:busy@127.0.0.1:18351"],
    );
    let (code, out) = call("sip:anyone@127.0.0.1:18350", "45400-45499", &["--hold-ms", "100"]);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("\n486 final response"), "the far end's 486 reached the caller: {out}");
    let (code, out, err) = b2bua.terminate();
    let line = example_final(code, &out, &err);
    assert_eq!((stat(&line, "established"), stat(&line, "active")), (0, 0), "{line}");
    let (code, stderr) = far.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stat(final_line(&stderr), "rejected"), 1, "{stderr}");
}

#[test]
fn b2bua_rings_the_caller_and_passes_its_cancel_on() {
    let far = Server::start(18_361, &["--shards", "1", "--route", "*=ringing", "--rtp-ports", "45500-45599"]);
    let b2bua = start_example(
        "b2bua",
        &["--listen", "127.0.0.1:18360", "--shards", "2", "--target", "sip:slow@127.0.0.1:18361"],
    );
    let (code, out) = call("sip:anyone@127.0.0.1:18360", "45600-45699", &["--answer-timeout-ms", "500"]);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("\n180 after"), "the far end's ringing reached the caller: {out}");
    assert!(out.contains("Cancelled"), "{out}");
    let (code, out, err) = b2bua.terminate();
    let line = example_final(code, &out, &err);
    assert_eq!((stat(&line, "cancelled"), stat(&line, "active")), (2, 0), "{line}");
    let (code, stderr) = far.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let far_line = final_line(&stderr);
    assert_eq!((stat(far_line, "cancelled"), stat(far_line, "active")), (1, 0), "the CANCEL went on: {far_line}");
}

#[test]
fn click_to_call_connects_a_tone_to_a_listener() {
    let a = Server::start(18_370, &["--shards", "1", "--media", "tone", "--rtp-ports", "45700-45799"]);
    // B must not echo: A's tone would come back to A and loop through the bridge.
    let b = Server::start(18_371, &["--shards", "1", "--media", "none", "--rtp-ports", "45800-45899"]);
    let (code, out, err) = Proc::spawn(
        example("click_to_call"),
        &["--a", "sip:alice@127.0.0.1:18370", "--b", "sip:bob@127.0.0.1:18371", "--hold-ms", "1000"],
    )
    .finish();
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("connected"), "{out}");
    for (party, server) in [("A", a), ("B", b)] {
        let (code, stderr) = server.stop();
        assert_eq!(code, Some(0), "{stderr}");
        let line = final_line(&stderr);
        assert_eq!((stat(line, "established"), stat(line, "active")), (1, 0), "{party}: {line}");
        if party == "B" {
            // 1 s of A's 20 ms tone through the bridge is 50 packets.
            let media = line.split("| media ").nth(1).unwrap();
            assert!(stat(media, "rx") >= 25, "A's tone reached B: {line}");
        }
    }
}

#[test]
fn click_to_call_fails_and_hangs_up_a_when_b_refuses() {
    let a = Server::start(18_380, &["--shards", "1", "--media", "tone", "--rtp-ports", "45900-45999"]);
    let b = Server::start(18_381, &["--shards", "1", "--route", "*=reject:486", "--rtp-ports", "46000-46099"]);
    let (code, out, err) = Proc::spawn(
        example("click_to_call"),
        &["--a", "sip:alice@127.0.0.1:18380", "--b", "sip:bob@127.0.0.1:18381", "--hold-ms", "1000"],
    )
    .finish();
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(out.contains("B ended: Rejected(486)"), "{out}");
    let (code, stderr) = a.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let line = final_line(&stderr);
    // A answered and was hung up again: no call left behind.
    assert_eq!((stat(line, "established"), stat(line, "active")), (1, 0), "{line}");
    let (code, stderr) = b.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stat(final_line(&stderr), "rejected"), 1, "{stderr}");
}

#[test]
fn click_to_call_hangs_both_up_when_stopped() {
    let a = Server::start(18_390, &["--shards", "1", "--media", "tone", "--rtp-ports", "46100-46199"]);
    let b = Server::start(18_391, &["--shards", "1", "--media", "none", "--rtp-ports", "46200-46299"]);
    let mut proc = Proc::spawn(
        example("click_to_call"),
        &["--a", "sip:alice@127.0.0.1:18390", "--b", "sip:bob@127.0.0.1:18391", "--hold-ms", "60000"],
    );
    proc.wait_line("click_to_call: connected");
    let started = Instant::now();
    let (code, out, err) = proc.terminate();
    // SIGTERM reaches the application as `on_stopping`: it hangs both calls up at once
    // instead of holding them for the drain (or the minute asked for).
    assert!(started.elapsed() < Duration::from_secs(5), "{out}");
    assert_eq!(code, Some(0), "both had answered: {out}\n{err}");
    assert!(out.contains("stopping: hanging up"), "{out}");
    for (party, server) in [("A", a), ("B", b)] {
        let (code, stderr) = server.stop();
        assert_eq!(code, Some(0), "{stderr}");
        let line = final_line(&stderr);
        assert_eq!((stat(line, "established"), stat(line, "active")), (1, 0), "{party} was hung up: {line}");
    }
}
