//! One socket of the poll backend: non-blocking, drained with `recvmmsg` and written with
//! `sendmmsg`, batched.
//!
//! Received datagrams are copied once, from a fixed receive area into a packed buffer that
//! many datagrams share, and handed on as `Bytes` slices of it: no allocation per datagram.
//! The area is the backend's, not each socket's: sockets are drained one at a time, and a
//! shard with thousands of sockets must not hold a 2 MiB area for each.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use bytes::{Bytes, BytesMut};
use socket2::Socket;

use super::super::io::{Arrival, Datagram};
use super::super::sockaddr::{decode, RawAddr, SOCKADDR_LEN};

/// Datagrams per `recvmmsg`/`sendmmsg` call.
pub const BATCH: usize = 32;
/// Size of each packed buffer datagrams are copied into.
const PACK: usize = 256 * 1024;

/// Where one `recvmmsg` lands ([`BATCH`] slots of the message bound plus one byte, so that a
/// longer datagram shows as too long) and the packed buffer datagrams are copied on into.
pub struct ReceiveArea {
    slot: usize,
    area: Box<[u8]>,
    packed: BytesMut,
}

impl ReceiveArea {
    /// An area for datagrams of up to `max_datagram` bytes.
    pub fn new(max_datagram: usize) -> ReceiveArea {
        let slot = max_datagram + 1;
        ReceiveArea { slot, area: vec![0u8; BATCH * slot].into_boxed_slice(), packed: BytesMut::new() }
    }
}

/// Batched receive and send on one socket.
pub struct Datagrams {
    socket: Socket,
    local: u32,
    /// Datagrams cut short because they did not fit a slot (larger than the message bound).
    pub truncated: u64,
}

impl Datagrams {
    /// `socket` is the shard's socket number `local`.
    pub fn new(socket: Socket, local: u32) -> Datagrams {
        Datagrams { socket, local, truncated: 0 }
    }

    pub fn fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }

    /// Receives up to [`BATCH`] waiting datagrams without blocking; 0 when none is waiting.
    pub fn recv_batch(&mut self, at: &mut ReceiveArea, out: &mut Vec<Arrival>) -> io::Result<usize> {
        let slot = at.slot;
        let mut addrs = [RawAddr::zeroed(); BATCH];
        // SAFETY: zeroed iovec and mmsghdr are valid initial values.
        let mut iovs: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
        let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        for i in 0..BATCH {
            iovs[i] = libc::iovec { iov_base: at.area[i * slot..].as_mut_ptr().cast(), iov_len: slot };
            msgs[i].msg_hdr.msg_name = (&mut addrs[i] as *mut RawAddr).cast();
            msgs[i].msg_hdr.msg_namelen = SOCKADDR_LEN as libc::socklen_t;
            msgs[i].msg_hdr.msg_iov = &mut iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: every pointer refers to live local arrays or to `at.area`, sized as declared.
        let n = unsafe {
            libc::recvmmsg(self.fd(), msgs.as_mut_ptr(), BATCH as u32, libc::MSG_DONTWAIT, std::ptr::null_mut())
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::WouldBlock { Ok(0) } else { Err(e) };
        }
        for (i, msg) in msgs.iter().enumerate().take(n as usize) {
            let len = msg.msg_len as usize;
            if msg.msg_hdr.msg_flags & libc::MSG_TRUNC != 0 || len >= slot {
                self.truncated += 1;
                continue;
            }
            // SAFETY: `addrs[i]` is plain data; the kernel wrote `msg_namelen` bytes of it.
            let raw = unsafe {
                std::slice::from_raw_parts((&addrs[i] as *const RawAddr).cast::<u8>(), msg.msg_hdr.msg_namelen as usize)
            };
            let Some(from) = decode(raw) else { continue };
            if at.packed.capacity() - at.packed.len() < len {
                at.packed = BytesMut::with_capacity(PACK.max(len));
            }
            at.packed.extend_from_slice(&at.area[i * slot..i * slot + len]);
            out.push(Arrival::Received(Datagram { data: at.packed.split().freeze(), from, local: self.local }));
        }
        Ok(n as usize)
    }

    /// Sends as many of `items` as the socket takes without blocking, in batches; returns
    /// how many were sent (the rest stay for the caller to retry or count).
    pub fn send_batch(&self, items: &[(SocketAddr, Bytes)]) -> io::Result<usize> {
        let mut sent = 0;
        for chunk in items.chunks(BATCH) {
            let mut names = [RawAddr::zeroed(); BATCH];
            // SAFETY: zeroed iovec and mmsghdr are valid initial values.
            let mut iovs: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
            let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
            for (i, (to, data)) in chunk.iter().enumerate() {
                iovs[i] = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
                msgs[i].msg_hdr.msg_namelen = names[i].set(*to);
                msgs[i].msg_hdr.msg_name = names[i].as_ptr() as *mut libc::c_void;
                msgs[i].msg_hdr.msg_iov = &mut iovs[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            // SAFETY: the headers point at `names` and at the `Bytes` in `chunk`, alive here;
            // the kernel only reads them.
            let n = unsafe { libc::sendmmsg(self.fd(), msgs.as_mut_ptr(), chunk.len() as u32, libc::MSG_DONTWAIT) };
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
