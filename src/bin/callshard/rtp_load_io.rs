//! Batched UDP for `rtp-load`: one `sendmmsg` sends a batch of packets to many server ports
//! and one `recvmmsg` takes up to a batch of echoes, so a single core can drive a few hundred
//! thousand packets a second and the server, not the load tool, is what gets measured.

use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, RawFd};

/// Datagrams per system call.
pub const BATCH: usize = 64;
/// Large enough for any echo (an RTP header with CSRCs and an extension around 160 bytes).
const SLOT: usize = 2048;

/// Reusable message headers, scatter entries, buffers and addresses for one batch.
pub struct Batch {
    hdrs: Vec<libc::mmsghdr>,
    iovs: Vec<libc::iovec>,
    bufs: Vec<u8>,
    addrs: Vec<libc::sockaddr_in>,
}

impl Batch {
    pub fn new() -> Box<Batch> {
        // Boxed and never moved again: the headers point into the other vectors.
        let mut b = Box::new(Batch {
            hdrs: vec![unsafe { std::mem::zeroed() }; BATCH],
            iovs: vec![libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; BATCH],
            bufs: vec![0; BATCH * SLOT],
            addrs: vec![unsafe { std::mem::zeroed() }; BATCH],
        });
        for i in 0..BATCH {
            b.iovs[i].iov_base = b.bufs[i * SLOT..].as_mut_ptr().cast();
            b.iovs[i].iov_len = SLOT;
            b.hdrs[i].msg_hdr.msg_iov = &mut b.iovs[i];
            b.hdrs[i].msg_hdr.msg_iovlen = 1;
            b.hdrs[i].msg_hdr.msg_name = (&mut b.addrs[i] as *mut libc::sockaddr_in).cast();
        }
        b
    }

    /// The buffer of slot `i`, to write a packet into.
    pub fn slot(&mut self, i: usize) -> &mut [u8] {
        &mut self.bufs[i * SLOT..(i + 1) * SLOT]
    }

    /// Marks slot `i` as a packet of `len` bytes for `to`.
    pub fn set(&mut self, i: usize, len: usize, to: SocketAddrV4) {
        self.iovs[i].iov_len = len;
        self.addrs[i] = sockaddr(to);
        self.hdrs[i].msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as u32;
    }

    /// Sends slots 0..n on `fd`; returns how many went (a full send buffer ends the batch).
    pub fn send(&mut self, fd: RawFd, n: usize) -> usize {
        let mut done = 0;
        while done < n {
            let r = unsafe { libc::sendmmsg(fd, self.hdrs[done..].as_mut_ptr(), (n - done) as u32, 0) };
            if r <= 0 {
                break;
            }
            done += r as usize;
        }
        done
    }

    /// Receives up to a batch on `fd` without waiting; returns how many came.
    pub fn recv(&mut self, fd: RawFd) -> usize {
        for i in 0..BATCH {
            self.iovs[i].iov_len = SLOT;
            self.hdrs[i].msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as u32;
        }
        let flags = libc::MSG_DONTWAIT;
        let r = unsafe { libc::recvmmsg(fd, self.hdrs.as_mut_ptr(), BATCH as u32, flags, std::ptr::null_mut()) };
        r.max(0) as usize
    }

    /// The datagram received in slot `i`.
    pub fn received(&self, i: usize) -> &[u8] {
        &self.bufs[i * SLOT..i * SLOT + self.hdrs[i].msg_len as usize]
    }
}

fn sockaddr(a: SocketAddrV4) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: a.port().to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from(*a.ip()).to_be() },
        sin_zero: [0; 8],
    }
}

/// A loopback UDP socket with large buffers (forced past rmem_max when running as root), so a
/// burst of echoes is not lost in the load tool itself.
pub fn media_socket() -> std::io::Result<std::net::UdpSocket> {
    let s = std::net::UdpSocket::bind("127.0.0.1:0")?;
    let size: libc::c_int = 16 << 20;
    for opt in [libc::SO_RCVBUFFORCE, libc::SO_SNDBUFFORCE, libc::SO_RCVBUF, libc::SO_SNDBUF] {
        let p = (&size as *const libc::c_int).cast();
        let len = std::mem::size_of::<libc::c_int>() as u32;
        unsafe { libc::setsockopt(s.as_raw_fd(), libc::SOL_SOCKET, opt, p, len) };
    }
    Ok(s)
}

/// Waits until one of `polls` is readable or `timeout_ns` passed (their `revents` say which).
pub fn wait_readable(polls: &mut [libc::pollfd], timeout_ns: u64) {
    for p in polls.iter_mut() {
        p.revents = 0;
    }
    let ts = libc::timespec { tv_sec: (timeout_ns / 1_000_000_000) as _, tv_nsec: (timeout_ns % 1_000_000_000) as _ };
    unsafe { libc::ppoll(polls.as_mut_ptr(), polls.len() as _, &ts, std::ptr::null()) };
}

/// A socket for a stream-opening protocol (SIP or rtpengine's ng) with its read timeout, and an
/// id unique to this run (microseconds since the epoch), so that Call-IDs of runs against the
/// same server never meet.
pub fn control_socket(what: &str, timeout: std::time::Duration) -> Result<(std::net::UdpSocket, u64), String> {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("{what} socket: {e}"))?;
    sock.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64);
    Ok((sock, run))
}

/// The SDP offer of one stream: G.711 µ-law on 127.0.0.1:`rtp_port`.
pub fn pcmu_offer(rtp_port: u16) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    )
}
