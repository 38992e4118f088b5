//! What the application core sends, and the seam to what sends it: the shard's sockets, or a
//! vector in a test.

use bytes::Bytes;

use crate::session::Endpoint;
use crate::transaction::Local;

/// A datagram the core wants sent.
#[derive(Clone, Debug, PartialEq)]
pub enum CoreOutput {
    /// SIP, from socket `local` (an index into the endpoint's `locals`) to `to`.
    Sip {
        /// Where it goes.
        to: std::net::SocketAddr,
        /// Which of our SIP sockets sends it.
        local: Local,
        /// The datagram.
        data: Bytes,
    },
    /// Media, from the RTP socket of `port` (`rtcp`: from port + 1, unless muxed) to `to`.
    Media {
        /// The call's even RTP port.
        port: u16,
        /// From the RTCP socket (port + 1).
        rtcp: bool,
        /// Where it goes.
        to: std::net::SocketAddr,
        /// The datagram.
        data: Bytes,
    },
}

/// What the core needs from below: ports to offer, and a way to send.
pub trait Wire {
    /// Makes sure the endpoint's port pool can give a port to the next call (the shard binds
    /// sockets ahead here); a fixed pool needs nothing.
    fn top_up(&mut self, ep: &mut Endpoint);
    /// Sends (or queues) one datagram.
    fn send(&mut self, out: CoreOutput);
}

/// Collects what is sent, for tests: a fixed port pool, outputs in order.
impl Wire for Vec<CoreOutput> {
    fn top_up(&mut self, _: &mut Endpoint) {}
    fn send(&mut self, out: CoreOutput) {
        self.push(out);
    }
}
