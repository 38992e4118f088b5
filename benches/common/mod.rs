//! What the datagram-path benches share: pinning, per-thread CPU time, the interference probe,
//! sockets, control datagrams, the load generator (`load`), the echo servers (`echo`) and the
//! runner that repeats a matrix of cases and prints medians (`matrix`).
//!
//! Each bench includes this module and uses part of it.
#![allow(dead_code)]

pub mod echo;
pub mod load;
pub mod matrix;

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

/// The server (or receiving shard) runs on CPU 1, the load generator (or sender) on CPU 0.
pub const SERVER_CPU: usize = 1;
pub const CLIENT_CPU: usize = 0;
/// Socket buffers asked for (the kernel caps them at `net.core.rmem_max`/`wmem_max`).
pub const SOCK_BUF: usize = 4 << 20;

/// True under `cargo bench`; false under `cargo test`, where each bench runs a tiny check.
pub fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

pub fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

/// A comma-separated list from the environment, or `d`.
pub fn env_list(k: &str, d: &str) -> Vec<String> {
    std::env::var(k).unwrap_or_else(|_| d.into()).split(',').map(|s| s.trim().to_string()).collect()
}

/// utime + stime of the calling thread, in ns (getrusage RUSAGE_THREAD).
pub fn thread_cpu() -> u64 {
    let (u, s) = thread_cpu_split();
    u + s
}

/// CPU time of the calling thread, ns, to the nanosecond (CLOCK_THREAD_CPUTIME_ID): for
/// short intervals, where getrusage's tick-updated figures would be too coarse.
pub fn cpu_now() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: writes one timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

pub fn thread_cpu_split() -> (u64, u64) {
    // SAFETY: a zeroed rusage is valid; getrusage writes it.
    let mut ru: libc::rusage = unsafe { zeroed() };
    let r = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    assert_eq!(r, 0, "getrusage: {}", io::Error::last_os_error());
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    (ns(ru.ru_utime), ns(ru.ru_stime))
}

pub fn pin_current_thread(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET writes inside it.
    unsafe {
        let mut set: libc::cpu_set_t = zeroed();
        libc::CPU_SET(cpu, &mut set);
        let r = libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set);
        assert_eq!(r, 0, "sched_setaffinity({cpu}): {}", io::Error::last_os_error());
    }
}

pub fn can_pin() -> bool {
    // SAFETY: as above; sched_getaffinity writes at most the set's size.
    unsafe {
        let mut set: libc::cpu_set_t = zeroed();
        libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) == 0
            && libc::CPU_ISSET(SERVER_CPU, &set)
            && libc::CPU_ISSET(CLIENT_CPU, &set)
    }
}

/// Raises the soft limit on open files to at least `need` (up to the hard limit).
pub fn raise_nofile(need: u64) {
    // SAFETY: a zeroed rlimit is valid; getrlimit/setrlimit read and write only it.
    unsafe {
        let mut lim: libc::rlimit = zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < need {
            lim.rlim_cur = need.min(lim.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// A non-blocking UDP socket on 127.0.0.1 (any port) with large buffers.
pub fn udp_socket() -> Socket {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).expect("socket");
    s.set_nonblocking(true).expect("nonblocking");
    let _ = s.set_recv_buffer_size(SOCK_BUF);
    let _ = s.set_send_buffer_size(SOCK_BUF);
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    s.bind(&any.into()).expect("bind");
    s
}

pub fn local_addr(s: &Socket) -> SocketAddr {
    s.local_addr().expect("local_addr").as_socket().expect("inet address")
}

/// Aborts the process if it is still running after `limit`: every bench run is bounded.
pub fn watchdog(name: &'static str, limit: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("{name}: watchdog: still running after {limit:?}, aborting");
        std::process::exit(2);
    });
}

// ---------------------------------------------------------------- control datagrams

pub const MARK: u32 = 1;
pub const STOP: u32 = 2;
pub const CTRL_LEN: usize = 8;

pub fn ctrl(code: u32) -> [u8; CTRL_LEN] {
    let mut b = *b"CTRL\0\0\0\0";
    b[4..].copy_from_slice(&code.to_le_bytes());
    b
}

pub fn parse_ctrl(b: &[u8]) -> Option<u32> {
    (b.len() == CTRL_LEN && &b[..4] == b"CTRL").then(|| u32::from_le_bytes(b[4..8].try_into().unwrap()))
}

/// Sends a control datagram from `sock` (connected to the server's first socket) and waits for
/// its echo; the server samples its CPU time when it sees one. False when no echo came (five
/// tries, a second each).
pub fn ctrl_roundtrip(sock: &UdpSocket, code: u32) -> bool {
    sock.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut buf = [0u8; 2048];
    for _ in 0..5 {
        sock.send(&ctrl(code)).expect("send ctrl");
        while let Ok(n) = sock.recv(&mut buf) {
            if parse_ctrl(&buf[..n]) == Some(code) {
                return true;
            }
        }
    }
    false
}

// ---------------------------------------------------------------- interference

/// (busy, total) jiffies of one CPU from /proc/stat.
pub fn cpu_ticks(cpu: usize) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let tag = format!("cpu{cpu} ");
    let line = stat.lines().find(|l| l.starts_with(&tag))?;
    let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4)?;
    Some((total - idle, total))
}

/// Busy share of both CPUs at one moment, to tell afterwards how much other work shared them.
pub struct Probe {
    ticks: [Option<(u64, u64)>; 2],
    at: Instant,
}

impl Probe {
    pub fn now() -> Probe {
        Probe { ticks: [cpu_ticks(0), cpu_ticks(1)], at: Instant::now() }
    }

    /// Share of one CPU (1.0 = a whole CPU) used on CPUs 0 and 1 together between `self` and
    /// `end` by anything but `ours_ns` of CPU time (our threads).
    pub fn other(&self, end: &Probe, ours_ns: f64) -> f64 {
        let secs = (end.at - self.at).as_secs_f64();
        let mut busy = 0.0;
        for i in 0..2 {
            match (self.ticks[i], end.ticks[i]) {
                (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => busy += (b1 - b0) as f64 / (t1 - t0) as f64,
                _ => return f64::NAN,
            }
        }
        (busy - ours_ns / 1e9 / secs).max(0.0)
    }
}

/// Prints how busy CPUs 0 and 1 were over half a second, and the load average.
pub fn report_quiet(name: &str) {
    let a = Probe::now();
    std::thread::sleep(Duration::from_millis(500));
    let b = Probe::now();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{name}: CPUs 0+1 busy before the run: {:.0}% of one CPU; loadavg {}",
        a.other(&b, 0.0) * 100.0,
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
}

/// Waits (at most `limit`) until other work on CPUs 0 and 1 stays under `share` of one CPU
/// for a whole second; returns the share of the last second.
pub fn wait_quiet(share: f64, limit: Duration) -> f64 {
    let end = Instant::now() + limit;
    loop {
        let a = Probe::now();
        std::thread::sleep(Duration::from_secs(1));
        let busy = a.other(&Probe::now(), 0.0);
        if busy < share || Instant::now() > end {
            return busy;
        }
    }
}

pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}
