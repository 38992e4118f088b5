//! A shard's media sockets: one UDP socket per RTP/RTCP port of the shard's slice of
//! `--rtp-ports`, bound the first time the port is handed out and then kept, bound and
//! receiving, until the shard stops. The port pool hands out the most recently freed port
//! first, so a small warm set is reused and call setup costs no system call; a datagram on a
//! port with no call is the media layer's to drop and count. Nothing is unbound while the
//! shard runs: re-binding per call would cost a bind, a table update and a receive to arm.

use std::io;
use std::net::{IpAddr, SocketAddr};

use socket2::{Domain, Protocol, Socket, Type};

use super::io::ShardIo;

/// A port whose socket is not bound yet.
const UNBOUND: u32 = u32::MAX;
/// Receive buffer asked for each media socket, in bytes.
pub const MEDIA_RECEIVE_BUFFER: usize = 32 << 10;

/// Binds the non-blocking UDP socket of media port `port` on `addr`. No `SO_REUSEPORT`: the
/// port belongs to one shard, and a port another process holds must fail here, not share.
pub fn bind_media_socket(addr: IpAddr, port: u16) -> io::Result<Socket> {
    let at = SocketAddr::new(addr, port);
    let socket = Socket::new(Domain::for_address(at), Type::DGRAM, Some(Protocol::UDP))?;
    if at.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    // Small on purpose: audio later than a jitter buffer's few hundred ms is lost anyway, so
    // a deep queue only turns overload into delay (256 KiB queued 1.3 s at twice a shard's
    // capacity, perf/media.md). The kernel doubles it; about 60 packets of 20 ms G.711, a
    // second of one stream, still far more than a shard's pauses.
    let _ = socket.set_recv_buffer_size(MEDIA_RECEIVE_BUFFER);
    socket.bind(&at.into()).map_err(|e| io::Error::new(e.kind(), format!("media port {at}: {e}")))?;
    Ok(socket)
}

/// Raises the soft limit on open files to the hard one: every shard's media sockets count
/// against it, and a ring's fixed-file table may not exceed it (the soft default is often
/// 1 024). A failure leaves the limit as it was; the bound then shows as refused calls.
pub fn raise_open_files_limit() {
    // SAFETY: a zeroed rlimit is valid; getrlimit/setrlimit read and write only it.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Which of a shard's media ports has its socket, under which `local` index, and back.
pub struct MediaSockets {
    addr: IpAddr,
    first: u16,
    /// By port offset from `first`: the socket's `local` index, or [`UNBOUND`].
    locals: Vec<u32>,
    /// By `local` index: the media port (0 for the SIP sockets, which come first).
    ports: Vec<u16>,
    /// Ports bound so far (a socket, once bound, stays until the shard ends).
    bound: usize,
}

impl MediaSockets {
    /// The media sockets of ports `low..=high` on `addr` (the shard's slice), none bound yet.
    pub fn new(addr: IpAddr, (low, high): (u16, u16)) -> MediaSockets {
        let len = usize::from(high.saturating_sub(low)) + 1;
        MediaSockets { addr, first: low, locals: vec![UNBOUND; len], ports: Vec::new(), bound: 0 }
    }

    /// The `local` index of `port`'s socket, binding it and adding it to `io` the first time.
    /// `Err` for a port outside the slice, a bind that fails (the port is taken) or a backend
    /// that holds no more sockets: the call that wanted the port is refused.
    pub fn open(&mut self, port: u16, io: &mut (impl ShardIo + ?Sized)) -> io::Result<u32> {
        let offset = port.checked_sub(self.first).map(usize::from);
        let Some(slot) = offset.and_then(|o| self.locals.get_mut(o)) else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("port {port} is not this shard's")));
        };
        if *slot != UNBOUND {
            return Ok(*slot);
        }
        let local = io.add_socket(bind_media_socket(self.addr, port)?)?;
        *slot = local;
        self.bound += 1;
        let at = local as usize;
        if self.ports.len() <= at {
            self.ports.resize(at + 1, 0);
        }
        self.ports[at] = port;
        Ok(local)
    }

    /// The `local` index of `port`'s socket, if it is bound.
    pub fn local(&self, port: u16) -> Option<u32> {
        let offset = usize::from(port.checked_sub(self.first)?);
        self.locals.get(offset).copied().filter(|&l| l != UNBOUND)
    }

    /// The media port of socket `local`; `None` for a SIP socket.
    pub fn port(&self, local: u32) -> Option<u16> {
        self.ports.get(local as usize).copied().filter(|&p| p != 0)
    }

    /// Ports bound so far.
    pub fn bound(&self) -> usize {
        self.bound
    }
}
