//! A listen address and its transport: `udp:ADDR:PORT`, `tcp:ADDR:PORT`, `tls:ADDR:PORT`, or a
//! bare `ADDR:PORT`, which stays UDP (issue 12).

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

/// The transport of a listen address (RFC 3261 18).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
    /// TLS over TCP (RFC 3261 26.2.1), framed as TCP; needs a certificate and key
    /// (`ServerConfig::tls`).
    Tls,
}

impl Transport {
    /// The transport token of a Via header (RFC 3261 20.42).
    pub fn via(self) -> &'static [u8] {
        match self {
            Transport::Udp => b"UDP",
            Transport::Tcp => b"TCP",
            Transport::Tls => b"TLS",
        }
    }

    /// A byte stream, framed by Content-Length (RFC 3261 18.3), rather than datagrams.
    pub fn is_stream(self) -> bool {
        self != Transport::Udp
    }

    fn prefix(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        }
    }
}

/// One `--listen` address: every shard holds a socket of this transport on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Listen {
    pub transport: Transport,
    pub addr: SocketAddr,
}

impl Listen {
    pub fn udp(addr: SocketAddr) -> Listen {
        Listen { transport: Transport::Udp, addr }
    }

    pub fn tcp(addr: SocketAddr) -> Listen {
        Listen { transport: Transport::Tcp, addr }
    }
}

/// A bare socket address listens on UDP, as before transports existed.
impl From<SocketAddr> for Listen {
    fn from(addr: SocketAddr) -> Listen {
        Listen::udp(addr)
    }
}

impl FromStr for Listen {
    type Err = String;

    fn from_str(s: &str) -> Result<Listen, String> {
        let (transport, rest) = match s.split_once(':') {
            Some((p, rest)) if p.eq_ignore_ascii_case("udp") => (Transport::Udp, rest),
            Some((p, rest)) if p.eq_ignore_ascii_case("tcp") => (Transport::Tcp, rest),
            Some((p, rest)) if p.eq_ignore_ascii_case("tls") => (Transport::Tls, rest),
            _ => (Transport::Udp, s),
        };
        let addr = rest
            .parse::<SocketAddr>()
            .map_err(|_| format!("`{s}` is not [udp:|tcp:|tls:]ADDR:PORT (an IPv6 address in brackets)"))?;
        Ok(Listen { transport, addr })
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.transport.prefix(), self.addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let a: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        assert_eq!("127.0.0.1:5060".parse(), Ok(Listen::udp(a)));
        assert_eq!("udp:127.0.0.1:5060".parse(), Ok(Listen::udp(a)));
        assert_eq!("TCP:127.0.0.1:5060".parse(), Ok(Listen::tcp(a)));
        let tls: Listen = "tls:[::1]:5061".parse().unwrap();
        assert_eq!((tls.transport, tls.addr), (Transport::Tls, "[::1]:5061".parse().unwrap()));
        assert_eq!("[::1]:5060".parse::<Listen>().unwrap().transport, Transport::Udp);
        assert!("sctp:127.0.0.1:5060".parse::<Listen>().is_err());
        assert!("tcp:127.0.0.1".parse::<Listen>().is_err());
        assert_eq!(Listen::tcp(a).to_string(), "tcp:127.0.0.1:5060");
    }
}
