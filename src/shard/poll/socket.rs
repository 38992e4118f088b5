//! One socket of the poll backend: non-blocking, drained with `recvmmsg` and written with
//! `sendmmsg`, batched.
//!
//! Received datagrams are copied once, from a fixed receive area into a packed buffer that
//! many datagrams share, and handed on as `Bytes` slices of it: no allocation per datagram.

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

/// Batched receive and send on one socket.
pub struct Datagrams {
    socket: Socket,
    local: u32,
    slot: usize,
    area: Box<[u8]>,
    packed: BytesMut,
    /// Datagrams cut short because they did not fit a slot (larger than the message bound).
    pub truncated: u64,
}

impl Datagrams {
    /// `socket` is the shard's socket number `local`; `max_datagram` bounds what it takes.
    pub fn new(socket: Socket, local: u32, max_datagram: usize) -> Datagrams {
        let slot = max_datagram + 1;
        let area = vec![0u8; BATCH * slot].into_boxed_slice();
        Datagrams { socket, local, slot, area, packed: BytesMut::new(), truncated: 0 }
    }

    pub fn fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }

    /// Receives up to [`BATCH`] waiting datagrams without blocking; 0 when none is waiting.
    pub fn recv_batch(&mut self, out: &mut Vec<Arrival>) -> io::Result<usize> {
        let slot = self.slot;
        let mut addrs = [RawAddr::zeroed(); BATCH];
        // SAFETY: zeroed iovec and mmsghdr are valid initial values.
        let mut iovs: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
        let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        for i in 0..BATCH {
            iovs[i] = libc::iovec { iov_base: self.area[i * slot..].as_mut_ptr().cast(), iov_len: slot };
            msgs[i].msg_hdr.msg_name = (&mut addrs[i] as *mut RawAddr).cast();
            msgs[i].msg_hdr.msg_namelen = SOCKADDR_LEN as libc::socklen_t;
            msgs[i].msg_hdr.msg_iov = &mut iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: every pointer refers to live local arrays or to `self.area`, sized as declared.
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
            if self.packed.capacity() - self.packed.len() < len {
                self.packed = BytesMut::with_capacity(PACK.max(len));
            }
            self.packed.extend_from_slice(&self.area[i * slot..i * slot + len]);
            out.push(Arrival::Received(Datagram { data: self.packed.split().freeze(), from, local: self.local }));
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
