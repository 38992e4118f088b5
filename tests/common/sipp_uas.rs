//! SIPp as the callee of `callshard call`: a UAS scenario on a free loopback port, run in a
//! temporary directory of its own with `-trace_msg -trace_err`, and `callshard call` against
//! it. The SIPp process and the directory go when the test ends, passed or failed (Drop).
#![allow(dead_code)]

use std::fs::File;
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const BIN: &str = env!("CARGO_BIN_EXE_callshard");
pub const STRESS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sipp_stress");

/// How long a SIPp run or a call may take before the test kills it.
const LIMIT: Duration = Duration::from_secs(30);

/// A UDP port on 127.0.0.1 that was free a moment ago, picked at random in 20000-31999:
/// below the kernel's ephemeral range (32768-60999), where a `callshard load` running on the
/// same machine takes thousands of ports (its default RTP range is 40000-59999), and away from
/// the fixed ports of the other tests (5060-5099, 16000-17999, 4xxxx).
pub fn free_port() -> u16 {
    static DRAWS: AtomicU64 = AtomicU64::new(0);
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut x = seed ^ (u64::from(std::process::id()) << 32) ^ DRAWS.fetch_add(1, Ordering::Relaxed);
    loop {
        // splitmix64: one draw per candidate.
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let port = 20_000 + ((z ^ (z >> 31)) % 12_000) as u16;
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() && !udp_bound(port) {
            return port;
        }
    }
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
    /// `["-sf", path]`) and returns once it listens. A SIPp that exits at once (another
    /// process took the port between our look and its bind) is tried again on another port.
    pub fn start(name: &str, scenario_args: &[&str]) -> SippUas {
        assert!(
            Command::new("sipp").arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok(),
            "SIPp is not installed: run scripts/test.sh, which installs the Debian package sip-tester"
        );
        for attempt in 1.. {
            match SippUas::try_start(name, scenario_args) {
                Ok(uas) => return uas,
                Err(report) if attempt < 5 => eprintln!("SIPp did not start (attempt {attempt}):\n{report}"),
                Err(report) => panic!("SIPp did not start, 5 attempts:\n{report}"),
            }
        }
        unreachable!()
    }

    fn try_start(name: &str, scenario_args: &[&str]) -> Result<SippUas, String> {
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
                return Err(format!("SIPp exited before listening on {port} ({status}):\n{}", uas.report()));
            }
            assert!(Instant::now() < deadline, "SIPp does not listen on {port}:\n{}", uas.report());
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(uas)
    }

    /// `sip:USER@127.0.0.1:PORT`.
    pub fn uri(&self, user: &str) -> String {
        format!("sip:{user}@127.0.0.1:{}", self.port)
    }

    /// Runs `callshard call URI ARGS` to its end; returns (exit code, stdout + stderr). Its
    /// RTP ports are 64 from a port that was free (see [`free_port`]), not the default range
    /// 40000-40999, which a `callshard load` on the same machine may hold entirely.
    pub fn call(&self, uri: &str, args: &[&str]) -> (Option<i32>, String) {
        let out = self.dir.0.join("call.log");
        let low = free_port() & !1;
        let child = Command::new(BIN)
            .arg("call")
            .arg(uri)
            .args(["--rtp-ports", &format!("{low}-{}", low + 63)])
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
        format!(
            "--- SIPp errors\n{}\n--- SIPp stderr\n{}\n--- SIPp screen\n{}",
            self.read_suffix("_errors.log"),
            self.read_suffix("stderr.log"),
            super::scratch::last_lines(&screen, 50)
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
