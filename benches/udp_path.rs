//! UDP datagram path: server CPU per datagram, throughput, idle cost and round-trip latency of
//! four receive/send paths, against the raw blocking-syscall floor. Findings: perf/udp_path.md.
//!
//! `cargo bench --bench udp_path` runs the full measurement: a load generator on CPU 0 (std
//! sockets) sends N = 200 000 datagrams of 600 bytes with at most 256 outstanding (refilled in
//! bursts of 32), a server on CPU 1 echoes each one back; then 10 000 one-at-a-time round trips
//! give the latency. Server CPU is getrusage(RUSAGE_THREAD) of the server thread, sampled by the
//! server itself when it receives a control datagram, so only the measured phase is counted.
//! `UDP_N=n` / `UDP_RTT_N=n` change the counts, `UDP_IDLE_MS=n` the idle phase (1000), and
//! `UDP_PATHS=14` runs paths 1 and 4 only. Under `cargo test` (no `--bench` argument) a tiny
//! version only checks that every path echoes every datagram.
//!
//! Paths:
//!  1. `std-blocking`: std::net::UdpSocket recv_from + send_to on a blocking socket (the floor).
//!  2. `mmsg+poll`: non-blocking raw socket, recvmmsg (batch 64) + sendmmsg, poll(2) when empty.
//!  3. `glommio-socket`: glommio::net::UdpSocket recv_from + send_to in a LocalExecutor.
//!  4. `glommio+mmsg`: glommio LocalExecutor; the socket is drained with recvmmsg/sendmmsg, and
//!     glommio is used only to wait: `UdpSocket::peek_from` on the same fd.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, RawFd};
use std::time::{Duration, Instant};

use glommio::{LocalExecutorBuilder, Placement};

const PAYLOAD: usize = 600;
const BUF: usize = 2048;
const BATCH: usize = 64;
const WINDOW: usize = 256;
const REFILL: usize = 32;
const SOCK_BUF: libc::c_int = 4 << 20;
const SERVER_CPU: usize = 1;
const CLIENT_CPU: usize = 0;

const MARK: u32 = 1;
const STOP: u32 = 2;
const CTRL_LEN: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Path {
    StdBlocking,
    MmsgPoll,
    GlommioSocket,
    GlommioMmsg,
}

impl Path {
    const ALL: [Path; 4] = [Path::StdBlocking, Path::MmsgPoll, Path::GlommioSocket, Path::GlommioMmsg];
    fn name(self) -> &'static str {
        match self {
            Path::StdBlocking => "1 std-blocking",
            Path::MmsgPoll => "2 mmsg+poll",
            Path::GlommioSocket => "3 glommio-socket",
            Path::GlommioMmsg => "4 glommio+mmsg",
        }
    }
}

struct Cfg {
    n: usize,
    warm: usize,
    rtt_n: usize,
    idle: Duration,
    pin: bool,
}

// ---------------------------------------------------------------- control datagrams, stats

fn ctrl(code: u32) -> [u8; CTRL_LEN] {
    let mut b = *b"CTRL\0\0\0\0";
    b[4..].copy_from_slice(&code.to_le_bytes());
    b
}

fn parse_ctrl(b: &[u8]) -> Option<u32> {
    (b.len() == CTRL_LEN && &b[..4] == b"CTRL").then(|| u32::from_le_bytes(b[4..8].try_into().unwrap()))
}

/// Server counters at one control datagram.
#[derive(Clone, Copy, Default, Debug)]
struct Snap {
    user_ns: u64,
    sys_ns: u64,
    echoed: u64,
    rx_calls: u64,
    waits: u64,
}

#[derive(Default, Debug)]
struct ServerStats {
    echoed: u64,
    /// Receive syscalls that returned at least one datagram.
    rx_calls: u64,
    /// Calls to the wait primitive (poll(2) / glommio peek_from); 0 = not counted.
    waits: u64,
    marks: Vec<Snap>,
}

impl ServerStats {
    /// Records a snapshot for a control datagram; true when it is STOP.
    fn on_datagram(&mut self, d: &[u8]) -> bool {
        let Some(code) = parse_ctrl(d) else { return false };
        let (user_ns, sys_ns) = thread_cpu();
        self.marks.push(Snap { user_ns, sys_ns, echoed: self.echoed, rx_calls: self.rx_calls, waits: self.waits });
        code == STOP
    }
}

fn thread_cpu() -> (u64, u64) {
    let mut ru: libc::rusage = unsafe { zeroed() };
    let r = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    assert_eq!(r, 0, "getrusage: {}", io::Error::last_os_error());
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    (ns(ru.ru_utime), ns(ru.ru_stime))
}

// ---------------------------------------------------------------- OS helpers

fn pin_current_thread(cpu: usize) {
    unsafe {
        let mut set: libc::cpu_set_t = zeroed();
        libc::CPU_SET(cpu, &mut set);
        let r = libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set);
        assert_eq!(r, 0, "sched_setaffinity({cpu}): {}", io::Error::last_os_error());
    }
}

fn can_pin() -> bool {
    unsafe {
        let mut set: libc::cpu_set_t = zeroed();
        libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) == 0
            && libc::CPU_ISSET(SERVER_CPU, &set)
            && libc::CPU_ISSET(CLIENT_CPU, &set)
    }
}

fn set_bufs(s: &UdpSocket) {
    for opt in [libc::SO_RCVBUF, libc::SO_SNDBUF] {
        let v = SOCK_BUF;
        let r = unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                &v as *const _ as *const libc::c_void,
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(r, 0, "setsockopt: {}", io::Error::last_os_error());
    }
}

fn bound_socket() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    set_bufs(&s);
    s
}

/// (busy, total) jiffies of one CPU from /proc/stat (10 ms resolution).
fn cpu_ticks(cpu: usize) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let tag = format!("cpu{cpu} ");
    let line = stat.lines().find(|l| l.starts_with(&tag))?;
    let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4)?;
    Some((total - idle, total))
}

fn poll_fd(fd: RawFd, events: libc::c_short) {
    let mut p = libc::pollfd { fd, events, revents: 0 };
    loop {
        let r = unsafe { libc::poll(&mut p, 1, -1) };
        if r >= 0 {
            return;
        }
        let e = io::Error::last_os_error();
        assert_eq!(e.kind(), io::ErrorKind::Interrupted, "poll: {e}");
    }
}

fn sockaddr_to_std(ss: &libc::sockaddr_storage) -> SocketAddr {
    match ss.ss_family as libc::c_int {
        libc::AF_INET => {
            let a = unsafe { &*(ss as *const _ as *const libc::sockaddr_in) };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(a.sin_port)))
        }
        libc::AF_INET6 => {
            let a = unsafe { &*(ss as *const _ as *const libc::sockaddr_in6) };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            SocketAddr::V6(SocketAddrV6::new(ip, u16::from_be(a.sin6_port), a.sin6_flowinfo, a.sin6_scope_id))
        }
        f => panic!("unexpected address family {f}"),
    }
}

// ---------------------------------------------------------------- recvmmsg / sendmmsg batch

/// 64 receive slots; a received batch is echoed in place (same buffers, same peer addresses).
struct MmsgBatch {
    bufs: Vec<[u8; BUF]>,
    addrs: Vec<libc::sockaddr_storage>,
    iovs: Vec<libc::iovec>,
    hdrs: Vec<libc::mmsghdr>,
}

impl MmsgBatch {
    fn new() -> Box<MmsgBatch> {
        let mut b = Box::new(MmsgBatch {
            bufs: vec![[0u8; BUF]; BATCH],
            addrs: vec![unsafe { zeroed() }; BATCH],
            iovs: vec![libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; BATCH],
            hdrs: vec![unsafe { zeroed() }; BATCH],
        });
        for i in 0..BATCH {
            b.iovs[i] = libc::iovec { iov_base: b.bufs[i].as_mut_ptr().cast(), iov_len: BUF };
            let h = &mut b.hdrs[i].msg_hdr;
            h.msg_name = (&mut b.addrs[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_iov = &mut b.iovs[i];
            h.msg_iovlen = 1;
        }
        b
    }

    /// recvmmsg(MSG_DONTWAIT): Ok(n >= 1) or Err(WouldBlock) when the socket is empty.
    fn recv(&mut self, fd: RawFd) -> io::Result<usize> {
        loop {
            let flags = libc::MSG_DONTWAIT;
            let r = unsafe { libc::recvmmsg(fd, self.hdrs.as_mut_ptr(), BATCH as _, flags as _, std::ptr::null_mut()) };
            if r >= 0 {
                return Ok(r as usize);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Readies received datagrams [0, n) for the echo (send length = received length) and
    /// records control datagrams; true when STOP was among them.
    fn process(&mut self, n: usize, st: &mut ServerStats) -> bool {
        let mut stop = false;
        for i in 0..n {
            let len = self.hdrs[i].msg_len as usize;
            self.iovs[i].iov_len = len;
            if len == CTRL_LEN {
                stop |= st.on_datagram(&self.bufs[i][..len]);
            }
        }
        stop
    }

    /// sendmmsg(MSG_DONTWAIT) of [from, to): Ok(k sent) or Err(WouldBlock).
    fn send(&mut self, fd: RawFd, from: usize, to: usize) -> io::Result<usize> {
        loop {
            let hdrs = self.hdrs[from..to].as_mut_ptr();
            let r = unsafe { libc::sendmmsg(fd, hdrs, (to - from) as _, libc::MSG_DONTWAIT as _) };
            if r >= 0 {
                return Ok(r as usize);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Restores slots [0, n) for the next recvmmsg.
    fn reset(&mut self, n: usize) {
        for i in 0..n {
            self.iovs[i].iov_len = BUF;
            self.hdrs[i].msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        }
    }

    fn datagram(&self, i: usize) -> (&[u8], SocketAddr) {
        (&self.bufs[i][..self.iovs[i].iov_len], sockaddr_to_std(&self.addrs[i]))
    }
}

// ---------------------------------------------------------------- servers

fn serve_std_blocking(sock: UdpSocket) -> ServerStats {
    let mut st = ServerStats::default();
    let mut buf = [0u8; BUF];
    loop {
        let (n, from) = sock.recv_from(&mut buf).expect("recv_from");
        st.rx_calls += 1;
        let stop = st.on_datagram(&buf[..n]);
        sock.send_to(&buf[..n], from).expect("send_to");
        st.echoed += 1;
        if stop {
            return st;
        }
    }
}

fn serve_mmsg_poll(sock: UdpSocket) -> ServerStats {
    sock.set_nonblocking(true).unwrap();
    let fd = sock.as_raw_fd();
    let mut st = ServerStats::default();
    let mut b = MmsgBatch::new();
    loop {
        let n = match b.recv(fd) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                st.waits += 1;
                poll_fd(fd, libc::POLLIN);
                continue;
            }
            Err(e) => panic!("recvmmsg: {e}"),
        };
        st.rx_calls += 1;
        let stop = b.process(n, &mut st);
        let mut off = 0;
        while off < n {
            match b.send(fd, off, n) {
                Ok(k) => off += k,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => poll_fd(fd, libc::POLLOUT),
                Err(e) => panic!("sendmmsg: {e}"),
            }
        }
        st.echoed += n as u64;
        b.reset(n);
        if stop {
            return st;
        }
        if n < BATCH {
            // A short batch means the queue was drained: wait (returns at once if more came).
            st.waits += 1;
            poll_fd(fd, libc::POLLIN);
        }
    }
}

async fn serve_glommio_socket(sock: UdpSocket) -> ServerStats {
    let sock = unsafe { glommio::net::UdpSocket::from_raw_fd(sock.into_raw_fd()) };
    let mut st = ServerStats::default();
    let mut buf = [0u8; BUF];
    loop {
        let (n, from) = sock.recv_from(&mut buf).await.expect("glommio recv_from");
        st.rx_calls += 1;
        let stop = st.on_datagram(&buf[..n]);
        sock.send_to(&buf[..n], from).await.expect("glommio send_to");
        st.echoed += 1;
        if stop {
            return st;
        }
    }
}

/// The recommended design (the one src/shard uses): glommio owns the thread and the waiting;
/// the datagram path is recvmmsg/sendmmsg on a non-blocking socket, and a glommio `UdpSocket`
/// on a dup of its descriptor is used only to wait (`peek_from`) when the socket is empty.
async fn serve_glommio_mmsg(sock: UdpSocket) -> ServerStats {
    // io_uring's IORING_OP_RECVMSG (behind peek_from) still waits on an O_NONBLOCK socket: only
    // MSG_DONTWAIT in the request makes it fail with EAGAIN, and glommio passes MSG_PEEK only.
    sock.set_nonblocking(true).unwrap();
    let fd = sock.as_raw_fd();
    let dup = unsafe { libc::dup(fd) };
    assert!(dup >= 0, "dup: {}", io::Error::last_os_error());
    // Must run inside the executor: the glommio socket binds to this thread's reactor.
    let gsock = unsafe { glommio::net::UdpSocket::from_raw_fd(dup) };
    let mut st = ServerStats::default();
    let mut b = MmsgBatch::new();
    let mut probe = [0u8; 1];
    loop {
        let n = match b.recv(fd) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                st.waits += 1;
                gsock.peek_from(&mut probe).await.expect("glommio peek_from");
                continue;
            }
            Err(e) => panic!("recvmmsg: {e}"),
        };
        st.rx_calls += 1;
        let stop = b.process(n, &mut st);
        let mut off = 0;
        while off < n {
            match b.send(fd, off, n) {
                Ok(k) => off += k,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Send buffer full: let glommio send this one datagram (it waits in the ring).
                    let (d, to) = b.datagram(off);
                    gsock.send_to(d, to).await.expect("glommio send_to");
                    off += 1;
                }
                Err(e) => panic!("sendmmsg: {e}"),
            }
        }
        st.echoed += n as u64;
        b.reset(n);
        if stop {
            return st;
        }
        if n < BATCH {
            // Drained: park the task until a datagram is queued (no datagram is consumed).
            st.waits += 1;
            gsock.peek_from(&mut probe).await.expect("glommio peek_from");
        } else {
            glommio::yield_if_needed().await;
        }
    }
}

enum Server {
    Thread(std::thread::JoinHandle<ServerStats>),
    Glommio(glommio::ExecutorJoinHandle<ServerStats>),
}

fn start_server(path: Path, sock: UdpSocket, pin: bool) -> Server {
    let placement = if pin { Placement::Fixed(SERVER_CPU) } else { Placement::Unbound };
    let thread = |f: fn(UdpSocket) -> ServerStats, sock: UdpSocket| {
        let spawn = std::thread::Builder::new().name("udp-srv".into()).spawn(move || {
            if pin {
                pin_current_thread(SERVER_CPU);
            }
            f(sock)
        });
        Server::Thread(spawn.unwrap())
    };
    match path {
        Path::StdBlocking => thread(serve_std_blocking, sock),
        Path::MmsgPoll => thread(serve_mmsg_poll, sock),
        Path::GlommioSocket => Server::Glommio(
            LocalExecutorBuilder::new(placement).name("udp-srv").spawn(move || serve_glommio_socket(sock)).unwrap(),
        ),
        Path::GlommioMmsg => Server::Glommio(
            LocalExecutorBuilder::new(placement).name("udp-srv").spawn(move || serve_glommio_mmsg(sock)).unwrap(),
        ),
    }
}

impl Server {
    fn join(self) -> ServerStats {
        match self {
            Server::Thread(h) => h.join().expect("server thread panicked"),
            Server::Glommio(h) => h.join().expect("glommio server failed"),
        }
    }
}

// ---------------------------------------------------------------- load generator (client)

/// Sends a control datagram and waits for its echo (load echoes still in flight are skipped).
fn ctrl_roundtrip(sock: &UdpSocket, code: u32) {
    sock.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut buf = [0u8; BUF];
    for _ in 0..5 {
        sock.send(&ctrl(code)).expect("send ctrl");
        loop {
            match sock.recv(&mut buf) {
                Ok(n) if parse_ctrl(&buf[..n]) == Some(code) => return,
                Ok(_) => continue,
                Err(_) => break,
            }
        }
    }
    panic!("no echo of control datagram {code}");
}

/// N datagrams, at most WINDOW outstanding, refilled in bursts of REFILL. Returns (wall, lost).
fn load(sock: &UdpSocket, n: usize) -> (Duration, usize) {
    // Only a real loss can take this long on loopback (even on a busy machine).
    sock.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let payload = [0x5au8; PAYLOAD];
    let mut buf = [0u8; BUF];
    let (mut sent, mut outstanding, mut received, mut lost) = (0, 0, 0, 0);
    let t0 = Instant::now();
    while received + lost < n {
        if outstanding <= WINDOW - REFILL {
            while outstanding < WINDOW && sent < n {
                sock.send(&payload).expect("client send");
                sent += 1;
                outstanding += 1;
            }
        }
        match sock.recv(&mut buf) {
            Ok(_) => {
                received += 1;
                outstanding -= 1;
            }
            Err(_) => {
                lost += outstanding;
                outstanding = 0;
            }
        }
    }
    (t0.elapsed(), lost)
}

/// One-at-a-time round trips; returns sorted RTTs in ns and the number lost.
fn rtt(sock: &UdpSocket, n: usize) -> (Vec<u64>, usize) {
    sock.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let payload = [0x3cu8; PAYLOAD];
    let mut buf = [0u8; BUF];
    let mut v = Vec::with_capacity(n);
    let mut lost = 0;
    for _ in 0..n {
        let t = Instant::now();
        sock.send(&payload).expect("client send");
        match sock.recv(&mut buf) {
            Ok(_) => v.push(t.elapsed().as_nanos() as u64),
            Err(_) => lost += 1,
        }
    }
    v.sort_unstable();
    (v, lost)
}

fn pct(v: &[u64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i] as f64 / 1e3
}

// ---------------------------------------------------------------- one path

struct Row {
    path: Path,
    cpu_ns: f64,
    user_ns: f64,
    sys_ns: f64,
    rate: f64,
    srv_busy: f64,
    /// CPU time of other threads on the client / server CPU during the load (interference).
    other: [f64; 2],
    batch: f64,
    waits_per_k: Option<f64>,
    idle_ms_per_s: f64,
    /// Server CPU per datagram in the one-at-a-time test (a park/wake cycle each).
    rtt_cpu_ns: f64,
    /// Other work on both CPUs during the round trips (share of one CPU).
    rtt_other: f64,
    p50: f64,
    p99: f64,
    lost: usize,
    echoed: u64,
}

/// /proc/stat busy share of the client and server CPUs and the client thread's CPU time over
/// one phase, to tell how much other work shared those CPUs (interference).
struct Probe {
    ticks: [Option<(u64, u64)>; 2],
    client_ns: u64,
    at: Instant,
}

impl Probe {
    fn now() -> Probe {
        let (u, s) = thread_cpu();
        Probe { ticks: [cpu_ticks(CLIENT_CPU), cpu_ticks(SERVER_CPU)], client_ns: u + s, at: Instant::now() }
    }

    /// Share of a CPU (1.0 = all of it) used on [client CPU, server CPU] by anything but the
    /// client thread and the server thread (`server_ns` of CPU) between `self` and `end`.
    fn other(&self, end: &Probe, server_ns: f64) -> [f64; 2] {
        let secs = (end.at - self.at).as_secs_f64();
        let ours = [(end.client_ns - self.client_ns) as f64 / 1e9 / secs, server_ns / 1e9 / secs];
        let mut out = [f64::NAN; 2];
        for i in 0..2 {
            if let (Some((b0, t0)), Some((b1, t1))) = (self.ticks[i], end.ticks[i]) {
                if t1 > t0 {
                    out[i] = ((b1 - b0) as f64 / (t1 - t0) as f64 - ours[i]).max(0.0);
                }
            }
        }
        out
    }
}

fn run_path(path: Path, cfg: &Cfg) -> Row {
    let ssock = bound_socket();
    let saddr = ssock.local_addr().unwrap();
    let server = start_server(path, ssock, cfg.pin);
    let csock = bound_socket();
    csock.connect(saddr).unwrap();

    ctrl_roundtrip(&csock, MARK); // server is up
    let (_, warm_lost) = load(&csock, cfg.warm);
    ctrl_roundtrip(&csock, MARK); // [i1] idle start
    std::thread::sleep(cfg.idle);
    ctrl_roundtrip(&csock, MARK); // [i2] idle end, load start
    let load_probe = Probe::now();
    let (wall, lost) = load(&csock, cfg.n);
    let load_probe_end = Probe::now();
    ctrl_roundtrip(&csock, MARK); // [l] load end, round trips start
    let rtt_probe = Probe::now();
    let (rtts, rtt_lost) = rtt(&csock, cfg.rtt_n);
    let rtt_probe_end = Probe::now();
    ctrl_roundtrip(&csock, STOP); // [e]
    let st = server.join();

    let m = &st.marks;
    assert!(m.len() >= 5, "{}: server saw {} control datagrams", path.name(), m.len());
    let (i1, i2, l, e) = (m[m.len() - 4], m[m.len() - 3], m[m.len() - 2], m[m.len() - 1]);
    let cpu = |a: Snap, b: Snap| ((b.user_ns + b.sys_ns) - (a.user_ns + a.sys_ns)) as f64;
    // Each MARK is itself echoed; count load datagrams only.
    let dgrams = (l.echoed - i2.echoed).saturating_sub(1).max(1) as f64;
    let (user, sys) = ((l.user_ns - i2.user_ns) as f64, (l.sys_ns - i2.sys_ns) as f64);
    // Server CPU is sampled at the MARKs, just outside the probed phases: close enough.
    let load_other = load_probe.other(&load_probe_end, user + sys);
    let rtt_other = rtt_probe.other(&rtt_probe_end, cpu(l, e));
    Row {
        path,
        cpu_ns: (user + sys) / dgrams,
        user_ns: user / dgrams,
        sys_ns: sys / dgrams,
        rate: (cfg.n - lost) as f64 / wall.as_secs_f64(),
        srv_busy: (user + sys) / 1e9 / wall.as_secs_f64(),
        other: load_other,
        batch: dgrams / (l.rx_calls - i2.rx_calls).max(1) as f64,
        waits_per_k: (st.waits > 0).then(|| (l.waits - i2.waits) as f64 * 1000.0 / dgrams),
        idle_ms_per_s: cpu(i1, i2) / 1e6 / cfg.idle.as_secs_f64(),
        rtt_cpu_ns: cpu(l, e) / (e.echoed - l.echoed).max(1) as f64,
        rtt_other: rtt_other[0] + rtt_other[1],
        p50: pct(&rtts, 0.50),
        p99: pct(&rtts, 0.99),
        lost: warm_lost + lost + rtt_lost,
        echoed: st.echoed,
    }
}

fn print_table(rows: &[Row], cfg: &Cfg) {
    let cpu = |c: usize| if cfg.pin { c.to_string() } else { "unpinned".into() };
    println!(
        "\nudp_path: load {} datagrams x {} B, window {} (bursts of {}); {} one-at-a-time round trips; \
         idle {:?}; server CPU {}, client CPU {}",
        cfg.n,
        PAYLOAD,
        WINDOW,
        REFILL,
        cfg.rtt_n,
        cfg.idle,
        cpu(SERVER_CPU),
        cpu(CLIENT_CPU),
    );
    let floor = rows.iter().find(|r| r.path == Path::StdBlocking);
    let ratio = |v: f64, f: Option<f64>| f.map_or(f64::NAN, |f| v / f);
    println!("\nLoad (datagrams always queued):");
    println!(
        "{:<17} {:>9} {:>6} {:>6} {:>7} {:>8} {:>5} {:>6} {:>8} {:>5} {:>5} {:>5}",
        "path", "cpu_us/dg", "usr", "sys", "x_floor", "kdg/s", "srv%", "batch", "waits/1k", "oth0%", "oth1%", "lost"
    );
    for r in rows {
        println!(
            "{:<17} {:>9.3} {:>6.3} {:>6.3} {:>7.2} {:>8.1} {:>5.0} {:>6.1} {:>8} {:>5.0} {:>5.0} {:>5}",
            r.path.name(),
            r.cpu_ns / 1e3,
            r.user_ns / 1e3,
            r.sys_ns / 1e3,
            ratio(r.cpu_ns, floor.map(|f| f.cpu_ns)),
            r.rate / 1e3,
            r.srv_busy * 100.0,
            r.batch,
            r.waits_per_k.map_or("-".into(), |w| format!("{w:.1}")),
            r.other[0] * 100.0,
            r.other[1] * 100.0,
            r.lost,
        );
    }
    println!("\nOne at a time (server parks between datagrams) and idle:");
    println!(
        "{:<17} {:>8} {:>8} {:>10} {:>7} {:>9} {:>5}",
        "path", "rtt_p50", "rtt_p99", "cpu_us/dg", "x_floor", "idle_ms/s", "oth%"
    );
    for r in rows {
        println!(
            "{:<17} {:>8.1} {:>8.1} {:>10.3} {:>7.2} {:>9.2} {:>5.0}",
            r.path.name(),
            r.p50,
            r.p99,
            r.rtt_cpu_ns / 1e3,
            ratio(r.rtt_cpu_ns, floor.map(|f| f.rtt_cpu_ns)),
            r.idle_ms_per_s,
            r.rtt_other * 100.0,
        );
    }
    println!(
        "\ncpu_us/dg: server thread utime+stime (getrusage RUSAGE_THREAD) per echoed datagram; x_floor: vs path 1;\n\
         srv%: server thread CPU / wall; batch: datagrams per successful receive call; waits/1k: wait calls\n\
         (poll / peek_from) per 1000 datagrams; oth0%/oth1%/oth%: /proc/stat busy of CPU {CLIENT_CPU}/{SERVER_CPU} (sum) \
         minus\nthe client and server threads = other work sharing the CPUs (10 ms ticks: +-5%); rtt in us;\n\
         idle_ms/s: server CPU while no datagram arrives (must be ~0: no spinning)."
    );
}

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let pin = can_pin();
    let cfg = if bench {
        assert!(pin, "udp_path needs CPUs {CLIENT_CPU} and {SERVER_CPU} in the affinity mask");
        Cfg {
            n: env_usize("UDP_N", 200_000),
            warm: 20_000,
            rtt_n: env_usize("UDP_RTT_N", 10_000),
            idle: Duration::from_millis(env_usize("UDP_IDLE_MS", 1000) as u64),
            pin,
        }
    } else {
        Cfg { n: 2_000, warm: 200, rtt_n: 200, idle: Duration::from_millis(20), pin }
    };

    // Bounded run: whatever happens, the process ends.
    let limit = if bench { Duration::from_secs(300) } else { Duration::from_secs(30) };
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("udp_path: watchdog: still running after {limit:?}, aborting");
        std::process::exit(2);
    });

    if bench {
        let a = [cpu_ticks(0), cpu_ticks(1)];
        std::thread::sleep(Duration::from_millis(500));
        let busy: Vec<String> = (0..2)
            .map(|i| match (a[i], cpu_ticks(i)) {
                (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
                    format!("{:.0}%", 100.0 * (b1 - b0) as f64 / (t1 - t0) as f64)
                }
                _ => "?".into(),
            })
            .collect();
        println!("udp_path: CPU 0/1 busy before the run: {} / {} (should be ~0 for clean numbers)", busy[0], busy[1]);
    }
    if cfg.pin {
        pin_current_thread(CLIENT_CPU);
    }
    let start = Instant::now();
    let mut rows = Vec::new();
    let only = std::env::var("UDP_PATHS").unwrap_or_default();
    for path in Path::ALL.into_iter().filter(|p| only.is_empty() || only.contains(&p.name()[..1])) {
        let r = run_path(path, &cfg);
        if !bench {
            let expect = (cfg.warm + cfg.n + cfg.rtt_n + 5) as u64;
            assert_eq!(r.lost, 0, "{}: lost datagrams on loopback", path.name());
            assert!(r.echoed >= expect, "{}: echoed {} of {expect}", path.name(), r.echoed);
        }
        rows.push(r);
    }
    print_table(&rows, &cfg);
    if !bench {
        println!("udp_path check: every path echoed every datagram ({:?})", start.elapsed());
    }
}
