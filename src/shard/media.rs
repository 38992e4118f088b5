//! A shard's media sockets: its slice of the RTP port range bound on its ring, ahead of the
//! calls that take the ports (the sans-IO [`crate::rtp::MediaPlane`] is the app core's).
//!
//! A port is offered in SDP only once its RTP and RTCP sockets are bound: the endpoint's
//! pool holds bound ports only, and is topped up a batch at a time as calls take them (a
//! port another process holds is skipped). So an answer never names a dead port, and a shard
//! whose range is used up answers 503. A socket, once bound, stays bound for the life of the
//! shard; a datagram on a port with no call is counted and dropped.

use std::io;
use std::net::IpAddr;

use super::io::ShardIo;
use super::media_sockets::MediaSockets;
use crate::app::{AppCore, Application};
use crate::rtp::MediaTotals;
use crate::session::{Endpoint, MediaPort};

/// Bound ports kept free ahead of the calls that will take them. Small: the poll backend
/// looks at every socket it has each turn, so idle ports are not free there.
const LOW_WATER: usize = 16;
/// Ports bound in one go when the free ones run low (two sockets each).
const BIND_BATCH: usize = 32;

/// A shard's media figures, for the live line and the final report.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MediaCounters {
    /// Calls with media running now.
    pub active: usize,
    /// Ports bound (each with its RTCP port).
    pub ports_bound: usize,
    /// Ports skipped because another process holds them.
    pub bind_failures: u64,
    /// Datagrams on a port with no call.
    pub stray: u64,
    pub digits: u64,
    /// Calls hung up for silence.
    pub timeouts: u64,
    /// The media of the calls that ended.
    pub ended: MediaTotals,
}

impl MediaCounters {
    pub fn merge(&mut self, o: &MediaCounters) {
        self.active += o.active;
        self.ports_bound += o.ports_bound;
        self.bind_failures += o.bind_failures;
        self.stray += o.stray;
        self.digits += o.digits;
        self.timeouts += o.timeouts;
        self.ended.merge(&o.ended);
    }
}

pub struct ShardMedia {
    sockets: MediaSockets,
    next_unbound: u32,
    high: u16,
    /// Ports skipped because their sockets could not be bound.
    pub bind_failures: u64,
}

impl ShardMedia {
    pub fn new(addr: IpAddr, (low, high): (u16, u16)) -> ShardMedia {
        let first = low + (low & 1);
        let sockets = MediaSockets::new(addr, (low, high));
        ShardMedia { sockets, next_unbound: u32::from(first), high, bind_failures: 0 }
    }

    /// Binds more ports into the endpoint's pool when it runs low. The shard asks before each
    /// SIP datagram and before each call it places, not once a turn: a burst of INVITEs in
    /// one turn (SIPp at 4 000 calls/s sends dozens) would take every bound port before a
    /// turn's top-up, and a call must not get 503 while the range still has ports.
    pub fn top_up(&mut self, ep: &mut Endpoint, io: &mut (impl ShardIo + ?Sized)) {
        self.bind_ahead(ep, io, LOW_WATER);
    }

    /// Binds ports a batch at a time until `n` are free in the endpoint's pool, or the
    /// range is used up.
    pub fn bind_ahead(&mut self, ep: &mut Endpoint, io: &mut (impl ShardIo + ?Sized), n: usize) {
        while ep.media_ports().available() < n && self.next_unbound < u32::from(self.high) {
            self.bind_batch(ep, io);
        }
    }

    fn bind_batch(&mut self, ep: &mut Endpoint, io: &mut (impl ShardIo + ?Sized)) {
        let mut added = 0;
        while added < BIND_BATCH && self.next_unbound < u32::from(self.high) {
            let port = self.next_unbound as u16;
            self.next_unbound += 2;
            match self.bind_pair(port, io) {
                Ok(()) => {
                    ep.media_ports().give_back(MediaPort { address: 0, port });
                    added += 1;
                }
                Err(_) => self.bind_failures += 1,
            }
        }
    }

    fn bind_pair(&mut self, port: u16, io: &mut (impl ShardIo + ?Sized)) -> io::Result<()> {
        self.sockets.open(port, io)?;
        self.sockets.open(port + 1, io).map(drop)
    }

    /// If socket `local` is a media socket: its call's RTP port and whether it is the RTCP one.
    pub fn port_of(&self, local: u32) -> Option<(u16, bool)> {
        let port = self.sockets.port(local)?;
        Some(if port & 1 == 0 { (port, false) } else { (port - 1, true) })
    }

    /// The socket index of `port` (RTP) or `port + 1` (`rtcp`).
    pub fn socket_of(&self, port: u16, rtcp: bool) -> Option<u32> {
        self.sockets.local(port + u16::from(rtcp))
    }

    pub fn counters<A: Application>(&self, core: &AppCore<A>) -> MediaCounters {
        MediaCounters {
            active: core.plane.active(),
            ports_bound: self.sockets.bound() / 2,
            bind_failures: self.bind_failures,
            stray: core.plane.stray,
            digits: core.digits_heard,
            timeouts: core.media_timeouts,
            ended: core.plane.totals,
        }
    }
}
