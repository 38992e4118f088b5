//! The io_uring backend on its own, on real sockets: a buffer ring far smaller than a burst
//! runs dry and recovers (the kernel ends the multishot receive with ENOBUFS, the backend arms
//! it again and nothing is lost, because the datagrams wait in the socket meanwhile), sends
//! go out from the socket they are asked for, and a hand-off storm from one shard's ring to
//! another's arrives whole. The same storm through the poll backend's inboxes, for contrast.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use callshard::shard::io::{Arrival, Datagram, ShardIo};
use callshard::shard::poll::{Inbox, PollIo};
use callshard::shard::ring::{Directory, RingConfig, RingIo};
use socket2::{Domain, Socket, Type};

fn server_socket() -> (Socket, SocketAddr) {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    s.set_nonblocking(true).unwrap();
    s.set_recv_buffer_size(4 << 20).unwrap();
    s.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into()).unwrap();
    let addr = s.local_addr().unwrap().as_socket().unwrap();
    (s, addr)
}

/// Turns `io` until `want` arrivals came or two seconds passed.
fn collect(io: &mut (impl ShardIo + ?Sized), want: usize) -> Vec<Arrival> {
    let (mut got, mut batch) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(2);
    while got.len() < want && Instant::now() < deadline {
        io.turn(Duration::from_millis(10), &mut batch).unwrap();
        got.append(&mut batch);
    }
    got
}

#[test]
fn a_drained_buffer_ring_recovers_and_nothing_is_lost() {
    let (socket, addr) = server_socket();
    let cfg = RingConfig { buffers: 2, max_datagram: 1500, ..RingConfig::default() };
    let mut io = RingIo::new(0, vec![socket], cfg, &Directory::new(1)).unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    const N: usize = 200;
    for i in 0..N {
        client.send_to(format!("datagram {i}").as_bytes(), addr).unwrap();
    }
    let got = collect(&mut io, N);
    assert_eq!(got.len(), N, "every datagram arrives although the ring holds 2 buffers");
    for (i, a) in got.iter().enumerate() {
        let Arrival::Received(d) = a else { panic!("unexpected {a:?}") };
        assert_eq!(&d.data[..], format!("datagram {i}").as_bytes(), "in order, intact");
        assert_eq!((d.from, d.local), (client.local_addr().unwrap(), 0));
    }
    let c = io.counters();
    assert!(c.ring_empty > 0 && c.rearmed >= c.ring_empty, "the ring ran dry and was re-armed: {c:?}");
    assert_eq!((c.received, c.truncated), (N as u64, 0));
    // The socket still works both ways: echo everything back.
    for a in got {
        let Arrival::Received(d) = a else { unreachable!() };
        io.send(d.local, d.from, d.data);
    }
    io.turn(Duration::ZERO, &mut Vec::new()).unwrap();
    let mut buf = [0u8; 64];
    for i in 0..N {
        let n = client.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], format!("datagram {i}").as_bytes());
    }
    io.shutdown();
}

#[test]
fn too_large_datagrams_are_counted_not_delivered() {
    let (socket, addr) = server_socket();
    let cfg = RingConfig { buffers: 4, max_datagram: 600, ..RingConfig::default() };
    let mut io = RingIo::new(0, vec![socket], cfg, &Directory::new(1)).unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.send_to(&[b'x'; 2000], addr).unwrap();
    client.send_to(b"small", addr).unwrap();
    let got = collect(&mut io, 1);
    assert_eq!(got.len(), 1);
    assert!(matches!(&got[0], Arrival::Received(d) if &d.data[..] == b"small"));
    assert_eq!(io.counters().truncated, 1);
    io.shutdown();
}

/// Shard 0 hands `n` datagrams to shard 1 as fast as it can; shard 1 must see every one.
fn storm(n: usize, make: impl Fn(usize) -> Box<dyn ShardIo> + Send + Sync + 'static) {
    let make = Arc::new(make);
    let receiver = {
        let make = make.clone();
        std::thread::spawn(move || {
            let mut io = make(1);
            let got = collect(&mut *io, n);
            let seqs: Vec<usize> = got
                .iter()
                .map(|a| match a {
                    Arrival::HandedOff(d) => std::str::from_utf8(&d.data).unwrap().parse().unwrap(),
                    other => panic!("unexpected {other:?}"),
                })
                .collect();
            (seqs, io.counters())
        })
    };
    let mut io = make(0);
    let from: SocketAddr = "127.0.0.1:9".parse().unwrap();
    for i in 0..n {
        io.hand_off(1, Datagram { data: Bytes::from(i.to_string()), from, local: 0 });
        if i % 512 == 511 {
            io.turn(Duration::ZERO, &mut Vec::new()).unwrap();
        }
    }
    io.turn(Duration::ZERO, &mut Vec::new()).unwrap();
    let (mut seqs, _) = receiver.join().unwrap();
    assert_eq!(io.counters().handoff_dropped, 0);
    seqs.sort_unstable();
    assert_eq!(seqs, (0..n).collect::<Vec<_>>(), "every hand-off arrives exactly once");
}

#[test]
fn a_handoff_storm_between_two_rings_arrives_whole() {
    let directory = Arc::new(Directory::new(2));
    storm(50_000, move |id| {
        let (socket, _) = server_socket();
        Box::new(RingIo::new(id, vec![socket], RingConfig::default(), &directory).unwrap())
    });
}

#[test]
fn a_handoff_storm_between_two_inboxes_arrives_whole() {
    let inboxes: Arc<[Inbox]> = (0..2).map(|_| Inbox::new(65_536).unwrap()).collect::<Vec<_>>().into();
    storm(50_000, move |id| {
        let (socket, _) = server_socket();
        Box::new(PollIo::new(id, vec![socket], 1500, inboxes.clone()))
    });
}

#[test]
fn a_batch_wait_still_returns_a_lone_datagram_and_loses_none() {
    let (socket, addr) = server_socket();
    let cfg = RingConfig { batch_wait_us: 500, ..RingConfig::default() };
    let mut io = RingIo::new(0, vec![socket], cfg, &Directory::new(1)).unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.send_to(b"lone", addr).unwrap();
    let (mut got, started) = (Vec::new(), Instant::now());
    // One long wait: the batch wait ends it once the datagram is in, not the 5 s timeout.
    while got.is_empty() && started.elapsed() < Duration::from_secs(5) {
        io.turn(Duration::from_secs(5), &mut got).unwrap();
    }
    assert!(started.elapsed() < Duration::from_secs(4), "the wait ended with the datagram, not the timeout");
    assert!(matches!(&got[..], [Arrival::Received(d)] if &d.data[..] == b"lone"));
    for i in 0..100 {
        client.send_to(format!("{i}").as_bytes(), addr).unwrap();
    }
    assert_eq!(collect(&mut io, 100).len(), 100);
    io.shutdown();
}
