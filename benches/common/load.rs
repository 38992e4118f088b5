//! The load generator: one non-blocking socket that spreads datagrams round-robin over every
//! server socket with `sendmmsg` and collects the echoes with `recvmmsg`, so the generator's
//! own CPU per datagram stays low and the server is the side that saturates.

use std::io;
use std::mem::zeroed;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use socket2::{SockAddr, Socket};

/// Datagrams per `sendmmsg`/`recvmmsg` call.
const BATCH: usize = 32;
const SLOT: usize = 9216;
/// Only a real loss takes this long on loopback, even on a busy machine.
const LOSS_TIMEOUT: Duration = Duration::from_secs(1);
/// Paced load: echoes outstanding at most (fewer for large datagrams: 2 MiB of them), so that
/// a generator delayed by other work does not overflow its own receive buffer.
const PACED_CAP: usize = 2048;
const PACED_CAP_BYTES: usize = 2 << 20;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// At most `window` datagrams outstanding, topped up once `refill` echoes have come back:
    /// the server always has datagrams queued.
    Saturating { window: usize, refill: usize },
    /// `rate` datagrams per second, sent `burst` at a time (one `sendmmsg`).
    Paced { rate: u32, burst: usize },
}

impl Shape {
    pub fn name(&self) -> String {
        match self {
            Shape::Saturating { .. } => "saturating".into(),
            Shape::Paced { rate, burst } => format!("paced {}k/s x{burst}", rate / 1000),
        }
    }
}

pub struct Outcome {
    pub wall: Duration,
    pub received: usize,
    pub lost: usize,
}

pub struct Client {
    socket: Socket,
    dests: Vec<SockAddr>,
    next: usize,
    rx: Box<[[u8; SLOT]; BATCH]>,
}

impl Client {
    pub fn new(socket: Socket, dests: &[SocketAddr]) -> Client {
        let dests = dests.iter().map(|&a| SockAddr::from(a)).collect();
        Client { socket, dests, next: 0, rx: Box::new([[0; SLOT]; BATCH]) }
    }

    /// Sends `k` copies of `payload`, to the next destinations in turn.
    fn send(&mut self, mut k: usize, payload: &[u8]) {
        while k > 0 {
            let m = k.min(BATCH);
            // SAFETY: zeroed iovec and mmsghdr are valid initial values.
            let mut iov: libc::iovec = unsafe { zeroed() };
            iov.iov_base = payload.as_ptr() as *mut libc::c_void;
            iov.iov_len = payload.len();
            let mut msgs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
            for (i, msg) in msgs.iter_mut().enumerate().take(m) {
                let to = &self.dests[(self.next + i) % self.dests.len()];
                msg.msg_hdr.msg_name = to.as_ptr() as *mut libc::c_void;
                msg.msg_hdr.msg_namelen = to.len();
                msg.msg_hdr.msg_iov = &mut iov;
                msg.msg_hdr.msg_iovlen = 1;
            }
            // SAFETY: every header points at live addresses and the live payload.
            let r = unsafe { libc::sendmmsg(self.socket.as_raw_fd(), msgs.as_mut_ptr(), m as u32, 0) };
            if r < 0 {
                let e = io::Error::last_os_error();
                assert!(matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted), "sendmmsg: {e}");
                self.wait(libc::POLLOUT, Duration::from_millis(10));
                continue;
            }
            self.next = (self.next + r as usize) % self.dests.len();
            k -= r as usize;
        }
    }

    /// Takes every echo waiting; returns how many.
    fn drain(&mut self) -> usize {
        let mut total = 0;
        loop {
            // SAFETY: as in `send`; the headers point into `self.rx`.
            let mut iovs: [libc::iovec; BATCH] = unsafe { zeroed() };
            let mut msgs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
            for i in 0..BATCH {
                iovs[i] = libc::iovec { iov_base: self.rx[i].as_mut_ptr().cast(), iov_len: SLOT };
                msgs[i].msg_hdr.msg_iov = &mut iovs[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            let fd = self.socket.as_raw_fd();
            // SAFETY: the headers point at live iovecs over `self.rx`.
            let r = unsafe {
                libc::recvmmsg(fd, msgs.as_mut_ptr(), BATCH as u32, libc::MSG_DONTWAIT, std::ptr::null_mut())
            };
            if r <= 0 {
                return total;
            }
            total += r as usize;
            if (r as usize) < BATCH {
                return total;
            }
        }
    }

    /// Waits up to `timeout` for `events`; false on timeout.
    fn wait(&self, events: libc::c_short, timeout: Duration) -> bool {
        let mut p = libc::pollfd { fd: self.socket.as_raw_fd(), events, revents: 0 };
        let ts = libc::timespec { tv_sec: timeout.as_secs() as _, tv_nsec: timeout.subsec_nanos() as _ };
        // SAFETY: one live pollfd and a live timespec.
        unsafe { libc::ppoll(&mut p, 1, &ts, std::ptr::null()) > 0 }
    }

    /// Sends `n` datagrams of `size` bytes in `shape` and waits for their echoes.
    pub fn run(&mut self, n: usize, size: usize, shape: Shape) -> Outcome {
        let payload = vec![0x5au8; size];
        let cap = PACED_CAP.min(PACED_CAP_BYTES / size.max(1));
        let (mut sent, mut received, mut lost) = (0usize, 0usize, 0usize);
        let t0 = Instant::now();
        let mut next_burst = t0;
        while received + lost < n {
            match shape {
                Shape::Saturating { window, refill } => {
                    let outstanding = sent - received - lost;
                    if outstanding + refill <= window && sent < n {
                        let k = (window - outstanding).min(n - sent);
                        self.send(k, &payload);
                        sent += k;
                    }
                }
                Shape::Paced { rate, burst } => {
                    while sent < n && Instant::now() >= next_burst && sent - received - lost + burst <= cap {
                        let k = burst.min(n - sent);
                        self.send(k, &payload);
                        sent += k;
                        next_burst += Duration::from_secs_f64(burst as f64 / f64::from(rate));
                    }
                }
            }
            let got = self.drain();
            received += got;
            if got > 0 {
                continue;
            }
            // Paced and not capped: wait for an echo or the next burst, whichever comes first.
            let paced_wait = match shape {
                Shape::Paced { burst, .. } => sent < n && sent - received - lost + burst <= cap,
                Shape::Saturating { .. } => false,
            };
            let timeout = if paced_wait { next_burst.saturating_duration_since(Instant::now()) } else { LOSS_TIMEOUT };
            if !self.wait(libc::POLLIN, timeout) && !paced_wait {
                lost += sent - received - lost;
            }
        }
        Outcome { wall: t0.elapsed(), received, lost }
    }
}
