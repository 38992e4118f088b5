//! SIPp as the callee of `callshard call`: a UAS scenario on a free loopback port, run in a
//! temporary directory of its own with `-trace_msg -trace_err`, and `callshard call` against
//! it. The SIPp process and the directory go when the test ends, passed or failed (Drop).
#![allow(dead_code)]

use std::fs::File;
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_callshard");
pub const STRESS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sipp_stress");

/// How long a SIPp run or a call may take before the test kills it.
const LIMIT: Duration = Duration::from_secs(30);

/// A UDP port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0).
pub fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").and_then(|s| s.local_addr()).unwrap().port()
}

/// Whether something has a UDP socket bound to 127.0.0.1:`port` (or the wildcard address).
fn udp_bound(port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
    let (lo, any) = (format!("0100007F:{port:04X}"), format!("00000000:{port:04X}"));
    table.lines().skip(1).any(|l| l.split_whitespace().nth(1).is_some_and(|a| a == lo || a == any))
}

/// A child process killed when dropped, so none outlives a failed test.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for a child until `LIMIT`; kills it after that. `None`: killed.
fn wait_limited(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A temporary directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One message of SIPp's `-trace_msg` log.
#[derive(Clone, Debug)]
pub struct Traced {
    /// SIPp received it (callshard sent it).
    pub received: bool,
    pub text: String,
}

impl Traced {
    pub fn start_line(&self) -> &str {
        self.text.lines().next().unwrap_or_default()
    }

    /// The first value of header `name` (full name, any case), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        let head = self.text.split("\n\n").next().unwrap_or_default();
        head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// The `tag` parameter of the To header.
    pub fn to_tag(&self) -> Option<&str> {
        let to = self.header("To")?;
        let at = to.find(";tag=")? + 5;
        Some(to[at..].split(';').next().unwrap_or_default())
    }

    /// The port of the body's `m=audio` line.
    pub fn audio_port(&self) -> Option<u16> {
        self.text.lines().find_map(|l| l.trim().strip_prefix("m=audio ")?.split(' ').next()?.parse().ok())
    }
}

/// A SIPp UAS listening on 127.0.0.1, for one call (`-m 1`).
pub struct SippUas {
    pub port: u16,
    child: Killed,
    dir: TempDir,
}

impl SippUas {
    /// Starts `sipp SCENARIO_ARGS -i 127.0.0.1 -p PORT -m 1` (e.g. `["-sn", "uas"]` or
    /// `["-sf", path]`) and returns once it listens.
    pub fn start(name: &str, scenario_args: &[&str]) -> SippUas {
        assert!(
            Command::new("sipp").arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok(),
            "SIPp is not installed: run scripts/test.sh, which installs the Debian package sip-tester"
        );
        let port = free_port();
        let dir = TempDir(std::env::temp_dir().join(format!("callshard-{name}-{}-{port}", std::process::id())));
        let _ = std::fs::remove_dir_all(&dir.0);
        std::fs::create_dir_all(&dir.0).unwrap();
        let (p, mp) = (port.to_string(), free_port().to_string());
        let child = Command::new("sipp")
            .current_dir(&dir.0)
            .args(scenario_args)
            .args(["-i", "127.0.0.1", "-p", &p, "-mp", &mp, "-m", "1", "-timeout", "20s", "-timeout_error"])
            .args(["-nostdin", "-trace_msg", "-trace_err"])
            .stdin(Stdio::null())
            .stdout(File::create(dir.0.join("screen.log")).unwrap())
            .stderr(File::create(dir.0.join("stderr.log")).unwrap())
            .spawn()
            .unwrap();
        let mut uas = SippUas { port, child: Killed(child), dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !udp_bound(port) {
            if let Some(status) = uas.child.0.try_wait().unwrap() {
                panic!("SIPp exited before listening ({status}):\n{}", uas.report());
            }
            assert!(Instant::now() < deadline, "SIPp does not listen on {port}:\n{}", uas.report());
            std::thread::sleep(Duration::from_millis(10));
        }
        uas
    }

    /// `sip:USER@127.0.0.1:PORT`.
    pub fn uri(&self, user: &str) -> String {
        format!("sip:{user}@127.0.0.1:{}", self.port)
    }

    /// Runs `callshard call URI ARGS` to its end; returns (exit code, stdout + stderr).
    pub fn call(&self, uri: &str, args: &[&str]) -> (Option<i32>, String) {
        let out = self.dir.0.join("call.log");
        let child = Command::new(BIN)
            .arg("call")
            .arg(uri)
            .args(args)
            .stdin(Stdio::null())
            .stdout(File::create(&out).unwrap())
            .stderr(File::create(self.dir.0.join("call.err")).unwrap())
            .spawn()
            .unwrap();
        let mut child = Killed(child);
        let code = wait_limited(&mut child.0);
        let text = std::fs::read_to_string(&out).unwrap_or_default()
            + &std::fs::read_to_string(self.dir.0.join("call.err")).unwrap_or_default();
        (code, text)
    }

    /// Waits for SIPp to finish its call; returns its exit code (`None`: killed at the limit).
    pub fn finish(&mut self) -> Option<i32> {
        wait_limited(&mut self.child.0)
    }

    fn read_suffix(&self, suffix: &str) -> String {
        let Ok(entries) = std::fs::read_dir(&self.dir.0) else { return String::new() };
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect()
    }

    /// What SIPp said: its errors, stderr and the end of its final screen, for a failure message.
    pub fn report(&self) -> String {
        let screen = self.read_suffix("screen.log");
        let tail: Vec<&str> = screen.lines().rev().take(50).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "--- SIPp errors\n{}\n--- SIPp stderr\n{}\n--- SIPp screen\n{}",
            self.read_suffix("_errors.log"),
            self.read_suffix("stderr.log"),
            tail.join("\n")
        )
    }

    /// Every message SIPp sent and received, in order (`-trace_msg`).
    pub fn messages(&self) -> Vec<Traced> {
        let log = self.read_suffix("_messages.log").replace("\r\n", "\n");
        log.split("\n----------------------------------------------- ")
            .filter_map(|block| {
                let mut lines = block.splitn(3, '\n');
                let _date = lines.next()?;
                let what = lines.next()?;
                let received = what.contains("message received");
                if !received && !what.contains("message sent") {
                    return None;
                }
                let text = lines.next()?.trim_start_matches('\n').trim_end().to_string();
                Some(Traced { received, text })
            })
            .collect()
    }
}
