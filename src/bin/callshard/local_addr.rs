//! Which of our addresses a peer can reach us on: the kernel's route toward it, found by
//! connecting a UDP socket (nothing is sent). Our Via and Contact must name it, never 0.0.0.0.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

pub fn local_toward(target: SocketAddr) -> IpAddr {
    let any: SocketAddr = match target {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    UdpSocket::bind(any).and_then(|s| s.connect(target).and_then(|_| s.local_addr())).map_or(any.ip(), |a| a.ip())
}
