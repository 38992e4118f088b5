//! The echo servers, one per datagram path. Each runs on its own thread pinned to the server
//! CPU, echoes every datagram to its sender from the socket it came in on, and samples its own
//! CPU time (getrusage RUSAGE_THREAD) whenever a control datagram passes, so that the caller
//! can tell the cost of each phase apart.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::UdpSocket;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use callshard::shard::io::{Arrival, ShardIo};
use callshard::shard::poll::{Inbox, PollIo};
use callshard::shard::ring::{Directory, RingConfig, RingIo};
use socket2::Socket;

use super::{parse_ctrl, pin_current_thread, thread_cpu_split, SERVER_CPU, STOP};

/// The largest datagram the callshard backends take, as `callshard serve` configures them.
pub const MAX_DATAGRAM: usize = 65_535;
const BUF: usize = 9216;
const BATCH: usize = 64;

#[derive(Clone, Copy, Debug)]
pub enum Path {
    /// Blocking `recvfrom` + `sendto` on one socket: the syscall floor.
    Floor,
    /// `recvmmsg`/`sendmmsg` on one non-blocking socket, `poll` when it is empty.
    MmsgPoll,
    /// `epoll_wait` over every socket, then `recvmmsg`/`sendmmsg` on each ready one.
    EpollMmsg,
    /// callshard's fallback backend: `recvmmsg`/`sendmmsg` + `ppoll`.
    PollIo,
    /// callshard's io_uring backend, with `cfg`.
    Ring(RingConfig),
}

impl Path {
    pub fn name(&self) -> String {
        match self {
            Path::Floor => "floor (blocking)".into(),
            Path::MmsgPoll => "mmsg+poll".into(),
            Path::EpollMmsg => "epoll+mmsg".into(),
            Path::PollIo => "PollIo".into(),
            Path::Ring(c) if c.zero_copy_sends => "RingIo send_zc".into(),
            Path::Ring(c) if c.buffers != RingConfig::default().buffers => format!("RingIo {} bufs", c.buffers),
            Path::Ring(_) => "RingIo".into(),
        }
    }
}

/// Server counters at one control datagram.
#[derive(Clone, Copy, Default, Debug)]
pub struct Snap {
    pub user_ns: u64,
    pub sys_ns: u64,
    pub echoed: u64,
    /// Receive calls (or backend turns) that brought at least one datagram.
    pub batches: u64,
    /// Waits: `poll`/`epoll_wait`/`ppoll`/`io_uring_enter` calls that could block.
    pub waits: u64,
    /// Times the kernel found the buffer ring empty (`RingIo` only).
    pub ring_empty: u64,
}

#[derive(Default, Debug)]
pub struct ServerStats {
    pub now: Snap,
    pub marks: Vec<Snap>,
}

impl ServerStats {
    /// Samples the CPU time if `d` is a control datagram; true when it is STOP.
    fn look(&mut self, d: &[u8]) -> bool {
        let Some(code) = parse_ctrl(d) else { return false };
        (self.now.user_ns, self.now.sys_ns) = thread_cpu_split();
        self.marks.push(self.now);
        code == STOP
    }
}

/// Starts the server for `path` on `sockets` (the first one takes the control datagrams).
pub fn spawn(path: Path, sockets: Vec<Socket>, pin: bool) -> std::thread::JoinHandle<ServerStats> {
    std::thread::Builder::new()
        .name("echo".into())
        .spawn(move || {
            if pin {
                pin_current_thread(SERVER_CPU);
            }
            let mut st = ServerStats::default();
            match path {
                Path::Floor => floor(sockets.into_iter().next().expect("a socket").into(), &mut st),
                Path::MmsgPoll => mmsg_poll(&sockets[0], &mut st),
                Path::EpollMmsg => epoll_mmsg(&sockets, &mut st),
                Path::PollIo => {
                    let inboxes: Arc<[Inbox]> = Arc::new([Inbox::new(1024).expect("eventfd")]);
                    shard_io(&mut PollIo::new(0, sockets, MAX_DATAGRAM, inboxes), &mut st);
                }
                Path::Ring(cfg) => {
                    let mut io = RingIo::new(0, sockets, cfg, &Directory::new(1)).expect("io_uring");
                    shard_io(&mut io, &mut st);
                    io.shutdown();
                }
            }
            st
        })
        .expect("spawn echo server")
}

fn floor(sock: UdpSocket, st: &mut ServerStats) {
    sock.set_nonblocking(false).unwrap();
    let mut buf = [0u8; BUF];
    loop {
        let (n, from) = sock.recv_from(&mut buf).expect("recv_from");
        st.now.batches += 1;
        let stop = st.look(&buf[..n]);
        sock.send_to(&buf[..n], from).expect("send_to");
        st.now.echoed += 1;
        if stop {
            return;
        }
    }
}

fn mmsg_poll(sock: &Socket, st: &mut ServerStats) {
    let fd = sock.as_raw_fd();
    let mut b = MmsgBatch::new();
    loop {
        let (n, stop) = b.echo(fd, st);
        if stop {
            return;
        }
        if n < BATCH {
            // A short batch means the queue was drained: wait (returns at once if more came).
            st.now.waits += 1;
            poll_fd(fd, libc::POLLIN);
        }
    }
}

fn epoll_mmsg(sockets: &[Socket], st: &mut ServerStats) {
    // SAFETY: plain epoll calls on descriptors we own; `events` outlives every wait.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    assert!(ep >= 0, "epoll_create1: {}", io::Error::last_os_error());
    for (i, s) in sockets.iter().enumerate() {
        let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: i as u64 };
        let r = unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, s.as_raw_fd(), &mut ev) };
        assert_eq!(r, 0, "epoll_ctl: {}", io::Error::last_os_error());
    }
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    let mut b = MmsgBatch::new();
    loop {
        st.now.waits += 1;
        let n = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), events.len() as i32, -1) };
        for ev in events.iter().take(n.max(0) as usize) {
            // Level-triggered: what is left after one full batch is reported again next wait.
            let (_, stop) = b.echo(sockets[ev.u64 as usize].as_raw_fd(), st);
            if stop {
                unsafe { libc::close(ep) };
                return;
            }
        }
    }
}

/// The echo loop over a callshard backend, as a shard's loop drives it.
fn shard_io(io: &mut impl ShardIo, st: &mut ServerStats) {
    let mut arrivals = Vec::with_capacity(1024);
    loop {
        io.turn(Duration::from_millis(100), &mut arrivals).expect("turn");
        (st.now.waits, st.now.ring_empty) = (io.counters().waits, io.counters().ring_empty);
        st.now.batches += u64::from(!arrivals.is_empty());
        let mut stop = false;
        for a in arrivals.drain(..) {
            if let Arrival::Received(d) = a {
                stop |= st.look(&d.data);
                io.send(d.local, d.from, d.data);
                st.now.echoed += 1;
            }
        }
        if stop {
            // Send the STOP's echo before leaving.
            for _ in 0..3 {
                io.turn(Duration::from_millis(1), &mut arrivals).expect("turn");
            }
            return;
        }
    }
}

fn poll_fd(fd: RawFd, events: libc::c_short) {
    let mut p = libc::pollfd { fd, events, revents: 0 };
    // SAFETY: one live pollfd.
    while unsafe { libc::poll(&mut p, 1, -1) } < 0 {
        assert_eq!(io::Error::last_os_error().kind(), io::ErrorKind::Interrupted);
    }
}

/// 64 receive slots; a received batch is echoed in place (same buffers, same peer addresses).
struct MmsgBatch {
    bufs: Vec<[u8; BUF]>,
    addrs: Vec<libc::sockaddr_storage>,
    iovs: Vec<libc::iovec>,
    hdrs: Vec<libc::mmsghdr>,
}

impl MmsgBatch {
    fn new() -> Box<MmsgBatch> {
        // SAFETY: zeroed sockaddr_storage and mmsghdr are valid initial values.
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
            h.msg_iov = &mut b.iovs[i];
            h.msg_iovlen = 1;
        }
        b
    }

    /// One `recvmmsg` (up to 64, non-blocking) and a `sendmmsg` echoing what it brought.
    /// Returns how many came and whether a STOP was among them.
    fn echo(&mut self, fd: RawFd, st: &mut ServerStats) -> (usize, bool) {
        for i in 0..BATCH {
            self.iovs[i].iov_len = BUF;
            self.hdrs[i].msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        }
        // SAFETY: the headers point into `self`, alive and sized as declared.
        let r = unsafe {
            libc::recvmmsg(fd, self.hdrs.as_mut_ptr(), BATCH as u32, libc::MSG_DONTWAIT, std::ptr::null_mut())
        };
        if r <= 0 {
            return (0, false);
        }
        let n = r as usize;
        st.now.batches += 1;
        let mut stop = false;
        for i in 0..n {
            let len = self.hdrs[i].msg_len as usize;
            self.iovs[i].iov_len = len;
            stop |= st.look(&self.bufs[i][..len]);
        }
        let mut off = 0;
        while off < n {
            // SAFETY: as above; the kernel only reads the headers.
            let r = unsafe { libc::sendmmsg(fd, self.hdrs[off..].as_mut_ptr(), (n - off) as u32, libc::MSG_DONTWAIT) };
            if r < 0 {
                poll_fd(fd, libc::POLLOUT);
            } else {
                off += r as usize;
            }
        }
        st.now.echoed += n as u64;
        (n, stop)
    }
}
