//! RTP port allocation from a fixed range on one or more media addresses: even ports (RTCP
//! uses the odd one above, RFC 3550 11), handed out and returned in O(1), never twice at once.
//! More addresses multiply the range: one address holds at most about 32 000 calls.

/// A media port: which of the configured media addresses, and the even port on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaPort {
    pub address: u16,
    pub port: u16,
}

/// A free list of even ports in `low..=high` on each of `addresses` addresses.
#[derive(Clone, Debug)]
pub struct RtpPorts {
    free: Vec<MediaPort>,
}

impl RtpPorts {
    /// A pool with no port yet: a runtime that binds each port's socket before the port may
    /// be offered fills it with [`RtpPorts::give_back`].
    pub fn empty() -> RtpPorts {
        RtpPorts { free: Vec::new() }
    }

    pub fn new(low: u16, high: u16, addresses: usize) -> RtpPorts {
        let first = low + (low & 1);
        let addresses = addresses.clamp(1, usize::from(u16::MAX)) as u16;
        let mut free: Vec<MediaPort> = (0..addresses)
            .flat_map(|address| (first..high).step_by(2).map(move |port| MediaPort { address, port }))
            .collect();
        free.reverse();
        RtpPorts { free }
    }

    /// A free even port; `None` when the range is exhausted (the call gets 503).
    pub fn take(&mut self) -> Option<MediaPort> {
        self.free.pop()
    }

    pub fn give_back(&mut self, port: MediaPort) {
        self.free.push(port);
    }

    pub fn available(&self) -> usize {
        self.free.len()
    }
}

impl super::Endpoint {
    /// The port pool: a runtime may replace or top it up (see [`RtpPorts::empty`]).
    pub fn media_ports(&mut self) -> &mut RtpPorts {
        &mut self.ports
    }

    /// The RTP port of a call (given out when the call was created, returned when it ends).
    pub fn media_port(&self, call: super::CallId) -> Option<MediaPort> {
        self.calls.get(call.0).map(|c| c.rtp_port)
    }
}

#[cfg(test)]
mod tests {
    use super::{MediaPort, RtpPorts};

    #[test]
    fn even_ports_once_each() {
        let mut p = RtpPorts::new(20_001, 20_008, 2);
        assert_eq!(p.available(), 6);
        let taken: Vec<_> = (0..6).map(|_| p.take().unwrap()).map(|m| (m.address, m.port)).collect();
        assert_eq!(taken, [(0, 20_002), (0, 20_004), (0, 20_006), (1, 20_002), (1, 20_004), (1, 20_006)]);
        assert_eq!(p.take(), None);
        p.give_back(MediaPort { address: 1, port: 20_004 });
        assert_eq!(p.take(), Some(MediaPort { address: 1, port: 20_004 }));
    }
}
