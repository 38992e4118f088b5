//! Socket addresses to and from the kernel's `sockaddr_in`/`sockaddr_in6` bytes, without a
//! `sockaddr_storage` round trip: both backends convert one per datagram.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Room for either family: `sockaddr_in6` is the larger (28 bytes).
pub const SOCKADDR_LEN: usize = std::mem::size_of::<libc::sockaddr_in6>();

/// A kernel socket address, aligned like `sockaddr_in6`.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct RawAddr(pub libc::sockaddr_in6);

impl RawAddr {
    pub fn zeroed() -> RawAddr {
        // SAFETY: an all-zero sockaddr_in6 is a valid value (family AF_UNSPEC).
        RawAddr(unsafe { std::mem::zeroed() })
    }

    /// Writes `addr`; returns the length the kernel must be told.
    pub fn set(&mut self, addr: SocketAddr) -> libc::socklen_t {
        match addr {
            SocketAddr::V4(a) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) },
                    sin_zero: [0; 8],
                };
                // SAFETY: sockaddr_in is smaller than sockaddr_in6 and both are plain data.
                unsafe { std::ptr::write((self as *mut RawAddr).cast::<libc::sockaddr_in>(), sin) };
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t
            }
            SocketAddr::V6(a) => {
                self.0 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
                    sin6_scope_id: a.scope_id(),
                };
                SOCKADDR_LEN as libc::socklen_t
            }
        }
    }

    pub fn as_ptr(&self) -> *const libc::sockaddr {
        (self as *const RawAddr).cast()
    }
}

/// Reads a `sockaddr_in` or `sockaddr_in6` as the kernel wrote it; `None` for anything else.
pub fn decode(raw: &[u8]) -> Option<SocketAddr> {
    let family = u16::from_ne_bytes([*raw.first()?, *raw.get(1)?]);
    let port = u16::from_be_bytes([*raw.get(2)?, *raw.get(3)?]);
    if i32::from(family) == libc::AF_INET {
        let ip: [u8; 4] = raw.get(4..8)?.try_into().ok()?;
        Some(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(ip), port)))
    } else if i32::from(family) == libc::AF_INET6 {
        let flow = u32::from_ne_bytes(raw.get(4..8)?.try_into().ok()?);
        let ip: [u8; 16] = raw.get(8..24)?.try_into().ok()?;
        let scope = u32::from_ne_bytes(raw.get(24..28)?.try_into().ok()?);
        Some(SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(ip), port, flow, scope)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_both_families() {
        for text in ["127.0.0.1:5060", "[::1]:5062", "[fe80::1%2]:40000", "10.1.2.3:1"] {
            let addr: SocketAddr = text.parse().unwrap();
            let mut raw = RawAddr::zeroed();
            let len = raw.set(addr) as usize;
            // SAFETY: `raw` is plain data of at least `len` bytes.
            let bytes = unsafe { std::slice::from_raw_parts(raw.as_ptr().cast::<u8>(), len) };
            assert_eq!(decode(bytes), Some(addr), "{text}");
        }
        assert_eq!(decode(&[0, 0, 1]), None);
        assert_eq!(decode(&[1, 0, 0, 0, 0, 0, 0, 0]), None);
    }
}
