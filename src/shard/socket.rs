//! The shard's own datagram path: a non-blocking `SO_REUSEPORT` UDP socket drained with
//! `recvmmsg` and written with `sendmmsg`, batched. glommio's socket path copies every
//! datagram through its DMA buffers one at a time; see ARCHITECTURE.md for the figures.
//!
//! Received datagrams are copied once, from a fixed receive area into a packed buffer that
//! many datagrams share, and handed on as `Bytes` slices of it: no allocation per datagram.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use bytes::{Bytes, BytesMut};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// Datagrams per `recvmmsg`/`sendmmsg` call.
pub const BATCH: usize = 32;
/// Receive slot size: the largest UDP payload.
const SLOT: usize = 65_536;
/// Size of each packed buffer datagrams are copied into.
const PACK: usize = 256 * 1024;

/// Binds a non-blocking UDP socket that other shards bind too (`SO_REUSEPORT`).
pub fn bind(addr: SocketAddr) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    // A burst must wait in the kernel, not be dropped: ask for 4 MiB (capped by rmem_max).
    let _ = socket.set_recv_buffer_size(4 << 20);
    let _ = socket.set_send_buffer_size(4 << 20);
    socket.bind(&addr.into())?;
    Ok(socket)
}

/// Batched receive and send on one socket.
pub struct Datagrams {
    socket: Socket,
    area: Box<[u8]>,
    packed: BytesMut,
    /// Datagrams cut short because they did not fit a slot (never for UDP's 64 KiB limit).
    pub truncated: u64,
}

impl Datagrams {
    pub fn new(socket: Socket) -> Datagrams {
        Datagrams { socket, area: vec![0u8; BATCH * SLOT].into_boxed_slice(), packed: BytesMut::new(), truncated: 0 }
    }

    pub fn fd(&self) -> std::os::fd::RawFd {
        self.socket.as_raw_fd()
    }

    /// Receives up to [`BATCH`] waiting datagrams without blocking; 0 when none is waiting.
    pub fn recv_batch(&mut self, out: &mut Vec<(Bytes, SocketAddr)>) -> io::Result<usize> {
        // SAFETY: zeroed sockaddr_storage, iovec and mmsghdr are valid initial values.
        let mut addrs: [libc::sockaddr_storage; BATCH] = unsafe { std::mem::zeroed() };
        let mut iovs: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
        let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        for i in 0..BATCH {
            iovs[i] = libc::iovec { iov_base: self.area[i * SLOT..].as_mut_ptr().cast(), iov_len: SLOT };
            msgs[i].msg_hdr.msg_name = (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
            msgs[i].msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            msgs[i].msg_hdr.msg_iov = &mut iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: every pointer refers to live local arrays or to `self.area`, sized as declared.
        let n = unsafe {
            libc::recvmmsg(
                self.socket.as_raw_fd(),
                msgs.as_mut_ptr(),
                BATCH as u32,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::WouldBlock { Ok(0) } else { Err(e) };
        }
        for (i, msg) in msgs.iter().enumerate().take(n as usize) {
            if msg.msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
                self.truncated += 1;
                continue;
            }
            // SAFETY: the kernel filled `addrs[i]` with `msg_namelen` bytes of address.
            let from = unsafe { SockAddr::new(addrs[i], msg.msg_hdr.msg_namelen) }.as_socket();
            let Some(from) = from else { continue };
            let len = msg.msg_len as usize;
            if self.packed.capacity() - self.packed.len() < len {
                self.packed = BytesMut::with_capacity(PACK.max(len));
            }
            self.packed.extend_from_slice(&self.area[i * SLOT..i * SLOT + len]);
            out.push((self.packed.split().freeze(), from));
        }
        Ok(n as usize)
    }

    /// Sends as many of `items` as the socket takes without blocking, in batches; returns
    /// how many were sent (the rest stay for the caller to retry or count).
    pub fn send_batch(&self, items: &[(SocketAddr, Bytes)]) -> io::Result<usize> {
        let mut sent = 0;
        for chunk in items.chunks(BATCH) {
            let names: smallvec::SmallVec<[SockAddr; BATCH]> =
                chunk.iter().map(|(to, _)| SockAddr::from(*to)).collect();
            // SAFETY: zeroed iovec and mmsghdr are valid initial values.
            let mut iovs: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
            let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
            for (i, ((_, data), name)) in chunk.iter().zip(&names).enumerate() {
                iovs[i] = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
                msgs[i].msg_hdr.msg_name = name.as_ptr() as *mut libc::c_void;
                msgs[i].msg_hdr.msg_namelen = name.len();
                msgs[i].msg_hdr.msg_iov = &mut iovs[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            // SAFETY: the headers point at `names` and at the `Bytes` in `chunk`, alive here;
            // the kernel only reads them.
            let n = unsafe {
                libc::sendmmsg(self.socket.as_raw_fd(), msgs.as_mut_ptr(), chunk.len() as u32, libc::MSG_DONTWAIT)
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                return if e.kind() == io::ErrorKind::WouldBlock { Ok(sent) } else { Err(e) };
            }
            sent += n as usize;
            if (n as usize) < chunk.len() {
                return Ok(sent);
            }
        }
        Ok(sent)
    }
}
