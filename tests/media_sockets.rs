//! Sockets added to a running shard backend (media ports, issue 10), on real sockets on
//! 127.0.0.1, for both backends: an added socket receives under its own `local` index (after
//! the SIP sockets' 0..n), a reply sent with that index leaves from its port, a thousand of
//! them all receive, the ring refuses a socket beyond `max_sockets`, a drained buffer ring
//! still recovers with added sockets, and shutdown releases the added ports at once.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use callshard::shard::io::{Arrival, Datagram, ShardIo};
use callshard::shard::poll::{Inbox, PollIo};
use callshard::shard::ring::{Directory, RingConfig, RingIo};
use callshard::shard::{bind_media_socket, MediaSockets};
use socket2::Socket;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A socket on a port the kernel picks, and its address.
fn any_port() -> (Socket, SocketAddr) {
    let s = bind_media_socket(LOOPBACK, 0).unwrap();
    let addr = s.local_addr().unwrap().as_socket().unwrap();
    (s, addr)
}

fn ring(cfg: RingConfig) -> RingIo {
    RingIo::new(0, vec![any_port().0], cfg, &Directory::new(1)).unwrap()
}

fn poll() -> PollIo {
    let inboxes: Arc<[Inbox]> = vec![Inbox::new(16).unwrap()].into();
    PollIo::new(0, vec![any_port().0], 1500, inboxes)
}

/// Turns `io` until `want` datagrams came or five seconds passed.
fn collect(io: &mut dyn ShardIo, want: usize) -> Vec<Datagram> {
    let (mut got, mut batch) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.len() < want && Instant::now() < deadline {
        io.turn(Duration::from_millis(10), &mut batch).unwrap();
        got.extend(batch.drain(..).map(|a| match a {
            Arrival::Received(d) => d,
            other => panic!("unexpected {other:?}"),
        }));
    }
    got
}

/// Adds `n` sockets and returns their (local index, address).
fn add(io: &mut dyn ShardIo, n: usize) -> Vec<(u32, SocketAddr)> {
    (0..n)
        .map(|_| {
            let (s, addr) = any_port();
            (io.add_socket(s).unwrap(), addr)
        })
        .collect()
}

/// Datagrams to added sockets arrive under their index; replies leave from their port.
fn receive_and_reply(io: &mut dyn ShardIo) {
    let added = add(io, 3);
    assert_eq!(added.iter().map(|a| a.0).collect::<Vec<_>>(), [1, 2, 3], "after the SIP socket 0");
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    for (local, addr) in &added {
        client.send_to(format!("to {local}").as_bytes(), addr).unwrap();
    }
    let got = collect(io, 3);
    assert_eq!(got.len(), 3);
    for d in &got {
        assert_eq!(&d.data[..], format!("to {}", d.local).as_bytes(), "under its socket's index");
        assert_eq!(d.from, client.local_addr().unwrap());
        io.send(d.local, d.from, Bytes::from(format!("from {}", d.local)));
    }
    io.turn(Duration::ZERO, &mut Vec::new()).unwrap();
    let mut buf = [0u8; 64];
    for _ in 0..3 {
        let (n, from) = client.recv_from(&mut buf).unwrap();
        let local: u32 = std::str::from_utf8(&buf[5..n]).unwrap().parse().unwrap();
        let port = added.iter().find(|a| a.0 == local).unwrap().1;
        assert_eq!(from, port, "the reply leaves from the added socket's port");
    }
}

#[test]
fn ring_added_sockets_receive_and_reply_from_their_port() {
    let mut io = ring(RingConfig::default());
    receive_and_reply(&mut io);
    io.shutdown();
}

#[test]
fn poll_added_sockets_receive_and_reply_from_their_port() {
    receive_and_reply(&mut poll());
}

/// A thousand added sockets each get a datagram; every one arrives under its index.
fn a_thousand(io: &mut dyn ShardIo) {
    let added = add(io, 1000);
    // A turn with nothing to read first, so that the datagrams below are found by waiting:
    // on the poll backend, more sockets ready at once than one epoll_wait returns (256).
    let mut nothing = Vec::new();
    for _ in 0..3 {
        io.turn(Duration::from_millis(10), &mut nothing).unwrap();
    }
    assert!(nothing.is_empty());
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    for (local, addr) in &added {
        client.send_to(&local.to_be_bytes(), addr).unwrap();
    }
    let got = collect(io, added.len());
    let locals: BTreeSet<u32> = got.iter().map(|d| d.local).collect();
    assert_eq!(got.len(), 1000);
    assert_eq!(locals, (1..=1000).collect(), "each socket received once");
    assert!(got.iter().all(|d| d.data[..] == d.local.to_be_bytes()));
}

#[test]
fn ring_a_thousand_added_sockets_all_receive() {
    let mut io = ring(RingConfig::default());
    a_thousand(&mut io);
    io.shutdown();
}

#[test]
fn poll_a_thousand_added_sockets_all_receive() {
    a_thousand(&mut poll());
}

#[test]
fn the_ring_refuses_a_socket_beyond_max_sockets_and_keeps_the_others() {
    let mut io = ring(RingConfig { max_sockets: 4, ..RingConfig::default() });
    let added = add(&mut io, 3);
    let (extra, _) = any_port();
    let err = io.add_socket(extra).unwrap_err();
    assert!(err.to_string().contains("max_sockets"), "says which bound: {err}");
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    for (_, addr) in &added {
        client.send_to(b"still here", addr).unwrap();
    }
    assert_eq!(collect(&mut io, 3).len(), 3, "the sockets within the bound still receive");
    io.shutdown();
}

#[test]
fn a_drained_buffer_ring_recovers_with_added_sockets() {
    let mut io = ring(RingConfig { buffers: 4, max_datagram: 1500, ..RingConfig::default() });
    let added = add(&mut io, 8);
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    const EACH: usize = 50;
    for i in 0..EACH {
        for (_, addr) in &added {
            client.send_to(&(i as u32).to_be_bytes(), addr).unwrap();
        }
    }
    let got = collect(&mut io, EACH * added.len());
    assert_eq!(got.len(), EACH * added.len(), "nothing lost although the ring holds 4 buffers");
    for (local, _) in &added {
        let seq: Vec<u32> = got
            .iter()
            .filter(|d| d.local == *local)
            .map(|d| u32::from_be_bytes(d.data[..].try_into().unwrap()))
            .collect();
        assert_eq!(seq, (0..EACH as u32).collect::<Vec<_>>(), "socket {local}: all, in order");
    }
    let c = io.counters();
    assert!(c.ring_empty > 0 && c.rearmed >= c.ring_empty, "the ring ran dry and was re-armed: {c:?}");
    io.shutdown();
}

#[test]
fn ring_shutdown_releases_added_ports_at_once() {
    let mut io = ring(RingConfig::default());
    let added = add(&mut io, 20);
    io.turn(Duration::ZERO, &mut Vec::new()).unwrap(); // their receives are armed
    io.shutdown();
    drop(io);
    for (_, addr) in added {
        UdpSocket::bind(addr).unwrap_or_else(|e| panic!("{addr} still held after shutdown: {e}"));
    }
}

#[test]
fn a_media_port_is_bound_once_and_mapped_both_ways() {
    let (probe, addr) = any_port();
    drop(probe);
    let port = addr.port();
    let mut io = poll();
    let mut media = MediaSockets::new(LOOPBACK, (port, port));
    assert_eq!(media.local(port), None);
    let local = media.open(port, &mut io).unwrap();
    assert_eq!(local, 1);
    assert_eq!(media.open(port, &mut io).unwrap(), local, "the second call binds nothing");
    assert_eq!((media.local(port), media.port(local), media.port(0), media.bound()), (Some(1), Some(port), None, 1));
    assert!(media.open(port.wrapping_sub(1), &mut io).is_err(), "a port outside the slice");
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.send_to(b"rtp", addr).unwrap();
    let got = collect(&mut io, 1);
    assert!(matches!(&got[..], [d] if d.local == local && &d.data[..] == b"rtp"));
}

#[test]
fn a_media_port_held_elsewhere_is_refused_not_shared() {
    let held = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let mut io = ring(RingConfig::default());
    let mut media = MediaSockets::new(LOOPBACK, (port, port));
    let err = media.open(port, &mut io).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
    assert!(err.to_string().contains(&port.to_string()), "names the port: {err}");
    assert_eq!(media.bound(), 0);
    io.shutdown();
}
