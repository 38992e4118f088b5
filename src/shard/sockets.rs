//! The shards' listening sockets: for every `--listen` address, one `SO_REUSEPORT` socket per
//! shard (UDP, or a TCP listening socket), so the kernel spreads datagrams and connections over
//! the shards by source.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

use socket2::{Domain, Protocol, Socket, Type};

use crate::transport::{Listen, Transport, MAX_STREAM_LISTENERS};

/// Connections a TCP listening socket queues before the shard accepts them.
const LISTEN_BACKLOG: i32 = 1024;

/// Asks for a receive buffer of `bytes`: past `net.core.rmem_max` when the process may
/// (`SO_RCVBUFFORCE`, root or CAP_NET_ADMIN), else as much as the limit allows. A shard that
/// stalls for a moment (its first second, a burst) must find the datagrams waiting, not
/// dropped: at 40 000 calls/s 8 MiB is 25 ms of traffic.
fn set_receive_buffer(socket: &Socket, bytes: usize) {
    use std::os::fd::AsRawFd;
    let v = bytes.min(i32::MAX as usize / 2) as libc::c_int;
    // SAFETY: a valid descriptor and a c_int option value of the size given.
    let forced = unsafe {
        let p = &v as *const libc::c_int as *const libc::c_void;
        libc::setsockopt(socket.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, p, 4) == 0
    };
    if !forced {
        let _ = socket.set_recv_buffer_size(bytes);
    }
}

/// The kernel's socket type of a transport: TLS runs over TCP.
fn kind(listen: &Listen) -> io::Result<(Type, Protocol)> {
    match listen.transport {
        Transport::Udp => Ok((Type::DGRAM, Protocol::UDP)),
        Transport::Tcp | Transport::Tls => Ok((Type::STREAM, Protocol::TCP)),
    }
}

/// Binds a non-blocking socket that other shards bind too (`SO_REUSEPORT`); a TCP one listens.
fn bind(listen: Listen, receive_buffer: usize) -> io::Result<Socket> {
    let (addr, (ty, protocol)) = (listen.addr, kind(&listen)?);
    let socket = Socket::new(Domain::for_address(addr), ty, Some(protocol))?;
    if addr.is_ipv6() {
        // `[::]` means IPv6 only; listen on an IPv4 address as well for IPv4.
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    set_receive_buffer(&socket, receive_buffer);
    let _ = socket.set_send_buffer_size(4 << 20);
    socket.bind(&addr.into())?;
    if ty == Type::STREAM {
        socket.listen(LISTEN_BACKLOG)?;
    }
    Ok(socket)
}

/// Every shard's sockets, `[shard][listen index]`, and the addresses they listen on (a port
/// 0 resolved to the one the kernel chose, which every shard then shares). Each address with
/// a port is first bound plainly and released: `SO_REUSEPORT` would let us share a port with
/// another server without a word.
pub fn bind_all(
    listen: &[Listen],
    shards: usize,
    receive_buffer: usize,
) -> io::Result<(Vec<Vec<Socket>>, Vec<SocketAddr>)> {
    if let Some(i) = listen.iter().rposition(|l| l.transport.is_stream()).filter(|&i| i as u32 >= MAX_STREAM_LISTENERS)
    {
        let msg = format!("{}: a stream listen address must be among the first {MAX_STREAM_LISTENERS}", listen[i]);
        return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
    }
    for l in listen.iter().filter(|l| l.addr.port() != 0) {
        let ((ty, protocol), addr) = (kind(l)?, &l.addr);
        let probe = Socket::new(Domain::for_address(*addr), ty, Some(protocol))?;
        // TCP: connections lingering in TIME_WAIT must not count; another listener still does.
        probe.set_reuse_address(ty == Type::STREAM)?;
        if addr.is_ipv6() {
            probe.set_only_v6(true)?;
        }
        probe.bind(&(*addr).into()).map_err(|e| io::Error::new(e.kind(), format!("{addr}: {e}")))?;
    }
    let first: Vec<Socket> = listen.iter().map(|l| bind(*l, receive_buffer)).collect::<io::Result<_>>()?;
    let resolved: Vec<SocketAddr> = first
        .iter()
        .map(|s| s.local_addr().ok().and_then(|a| a.as_socket()).ok_or_else(|| io::Error::other("unnamed socket")))
        .collect::<io::Result<_>>()?;
    let mut all = vec![first];
    for _ in 1..shards {
        let again = listen.iter().zip(&resolved).map(|(l, a)| bind(Listen { addr: *a, ..*l }, receive_buffer));
        all.push(again.collect::<io::Result<_>>()?);
    }
    Ok((all, resolved))
}

/// The peer of an accepted connection, with Nagle's delay off: a SIP message is written whole,
/// and waiting for the peer's ACK before the next one only adds latency.
pub fn peer_of(socket: &Socket) -> Option<SocketAddr> {
    let _ = socket.set_nodelay(true);
    socket.peer_addr().ok()?.as_socket()
}

/// Which of our addresses `target` can reach us on: the kernel's route toward it, found by
/// connecting a UDP socket (nothing is sent). A client's Via and Contact must name it, never
/// 0.0.0.0; the wildcard of the family when there is no route.
pub fn local_address_toward(target: SocketAddr) -> IpAddr {
    let any: SocketAddr = match target {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    UdpSocket::bind(any).and_then(|s| s.connect(target).and_then(|_| s.local_addr())).map_or(any.ip(), |a| a.ip())
}

/// `SO_MEMINFO` of a socket: what the kernel holds for it, and what it dropped.
fn meminfo(fd: std::os::fd::RawFd) -> Option<[u32; libc::SK_MEMINFO_DROPS as usize + 1]> {
    let mut info = [0u32; libc::SK_MEMINFO_DROPS as usize + 1];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into `info` and updates `len`.
    let ok = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_MEMINFO, info.as_mut_ptr().cast(), &mut len) };
    (ok == 0 && len as usize >= std::mem::size_of_val(&info)).then_some(info)
}

/// Datagrams the kernel dropped on these sockets because their receive buffers were full
/// (per socket, unlike the machine-wide `RcvbufErrors`). Read when statistics are
/// published, never per message.
pub fn kernel_drops(fds: impl IntoIterator<Item = std::os::fd::RawFd>) -> u64 {
    fds.into_iter().filter_map(meminfo).map(|m| u64::from(m[libc::SK_MEMINFO_DROPS as usize])).sum()
}

/// Bytes at least waiting unread in these sockets' receive queues, as the kernel accounts
/// them (each datagram with its buffer overhead, about 1.3 KiB for a small one on loopback).
/// `rmem_alloc` alone overstates the queue: UDP gives back what a reader took only once a
/// quarter of the receive buffer has been read or the queue is empty (`udp_rmem_release`'s
/// forward deficit), so a socket with a 16 MiB buffer can show 4 MiB for a queue of one
/// datagram. Less that quarter, it is a lower bound of the queue, which is what a decision to
/// shed needs: never a queue that is not there.
pub fn queued_bytes(fds: impl IntoIterator<Item = std::os::fd::RawFd>) -> usize {
    let at_least = |m: [u32; libc::SK_MEMINFO_DROPS as usize + 1]| {
        let held = m[libc::SK_MEMINFO_RMEM_ALLOC as usize] as usize;
        held.saturating_sub(m[libc::SK_MEMINFO_RCVBUF as usize] as usize / 4)
    };
    fds.into_iter().filter_map(meminfo).map(at_least).sum()
}

#[cfg(test)]
mod tests {
    use std::net::UdpSocket;
    use std::os::fd::AsRawFd;

    /// The kernel keeps what a reader took charged to the socket until a quarter of the buffer
    /// has been read: the queue read back must never be more than what really waits, and a
    /// queue above that quarter must show.
    #[test]
    fn the_queue_read_back_is_never_more_than_what_waits() {
        let rx = socket2::Socket::from(UdpSocket::bind("127.0.0.1:0").unwrap());
        super::set_receive_buffer(&rx, 8 << 20);
        let rx = UdpSocket::from(rx);
        rx.set_nonblocking(true).unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let sent = (0..6000).filter(|_| tx.send_to(&[7u8; 600], rx.local_addr().unwrap()).is_ok()).count();
        let fd = rx.as_raw_fd();
        let held = super::meminfo(fd).unwrap()[libc::SK_MEMINFO_RMEM_ALLOC as usize] as usize;
        let truesize = held / sent;
        assert!(super::queued_bytes([fd]) > 0, "{sent} datagrams ({held} bytes held) and no queue seen");
        let (mut buf, mut read) = ([0u8; 2048], 0);
        while rx.recv(&mut buf).is_ok() {
            read += 1;
            let (seen, waits) = (super::queued_bytes([fd]), (sent - read) * truesize);
            assert!(seen <= waits, "{read} of {sent} read: {seen} bytes seen, {waits} wait");
        }
        assert_eq!((read, super::queued_bytes([fd])), (sent, 0), "an empty queue reads as empty");
    }
}
