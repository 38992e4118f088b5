//! A shard's media: its slice of the RTP port range as sockets on its ring, the sans-IO
//! [`MediaPlane`] of its calls, and the glue between them and the endpoint.
//!
//! A port is offered in SDP only once its RTP and RTCP sockets are bound: the endpoint's
//! pool holds bound ports only, and is topped up a batch at a time as calls take them (a
//! port another process holds is skipped). So an answer never names a dead port, and a shard
//! whose range is used up answers 503. A socket, once bound, stays bound for the life of the
//! shard; a datagram on a port with no call is counted and dropped.

use std::io;
use std::net::IpAddr;
use std::time::Instant;

use super::io::ShardIo;
use super::media_sockets::MediaSockets;
use crate::rtp::{MediaAction, MediaPlane, MediaTotals, PlaneOutput};
use crate::session::{CallEvent, CallId, Endpoint, MediaPort};
use crate::timer::Handle;

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
    pub plane: MediaPlane,
    next_unbound: u32,
    high: u16,
    /// Ports skipped because their sockets could not be bound.
    pub bind_failures: u64,
    pub digits: u64,
    pub timeouts: u64,
}

impl ShardMedia {
    pub fn new(addr: IpAddr, (low, high): (u16, u16), plane: MediaPlane) -> ShardMedia {
        let first = low + (low & 1);
        let sockets = MediaSockets::new(addr, (low, high));
        ShardMedia { sockets, plane, next_unbound: u32::from(first), high, bind_failures: 0, digits: 0, timeouts: 0 }
    }

    /// Binds more ports into the endpoint's pool when it runs low. The shard asks before each
    /// SIP datagram, not once a turn: a burst of INVITEs in one turn (SIPp at 4 000 calls/s
    /// sends dozens) would take every bound port before a turn's top-up, and a call must not
    /// get 503 while the range still has ports.
    pub fn top_up(&mut self, ep: &mut Endpoint, io: &mut impl ShardIo) {
        if ep.media_ports().available() < LOW_WATER {
            self.bind_batch(ep, io);
        }
    }

    fn bind_batch(&mut self, ep: &mut Endpoint, io: &mut impl ShardIo) {
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

    fn bind_pair(&mut self, port: u16, io: &mut impl ShardIo) -> io::Result<()> {
        self.sockets.open(port, io)?;
        self.sockets.open(port + 1, io).map(drop)
    }

    /// If socket `local` is a media socket: its call's RTP port and whether it is the RTCP one.
    pub fn port_of(&self, local: u32) -> Option<(u16, bool)> {
        let port = self.sockets.port(local)?;
        Some(if port & 1 == 0 { (port, false) } else { (port - 1, true) })
    }

    pub fn counters(&self) -> MediaCounters {
        MediaCounters {
            active: self.plane.active(),
            ports_bound: self.sockets.bound() / 2,
            bind_failures: self.bind_failures,
            stray: self.plane.stray,
            digits: self.digits,
            timeouts: self.timeouts,
            ended: self.plane.totals,
        }
    }

    /// Sends what the plane produced and hangs up the calls it found silent.
    pub fn flush(&mut self, ep: &mut Endpoint, io: &mut impl ShardIo, now: Instant) {
        let mut silent = Vec::new();
        for o in self.plane.drain() {
            match o {
                PlaneOutput::Send { port, rtcp, to, data } => {
                    if let Some(local) = self.sockets.local(port + u16::from(rtcp)) {
                        io.send(local, to, data);
                    }
                }
                PlaneOutput::Timeout { port } => silent.push(port),
                PlaneOutput::Digit { .. } => self.digits += 1,
            }
        }
        for port in silent {
            self.timeouts += 1;
            if let Some(owner) = self.plane.owner(port) {
                let _ = ep.hangup(CallId(Handle::from_u64(owner)), now);
            }
        }
    }
}

/// What a call's events mean for its media: the action is set when the call arrives
/// (`action`, from the application), media starts or changes with each offer/answer, and
/// stops when the call ends. Public so that a bench drives the plane as the shard does.
pub fn follow_call_event(plane: &mut MediaPlane, ep: &Endpoint, event: &CallEvent, action: MediaAction, now: Instant) {
    match *event {
        CallEvent::Incoming { call } => {
            if let Some(port) = ep.media_port(call) {
                // The call's handle names it for the hang-up a media timeout asks for.
                plane.assign(port.port, action, call.0.to_u64());
            }
        }
        CallEvent::MediaChanged { call, ref media } => {
            if let Some(port) = ep.media_port(call) {
                plane.negotiated(port.port, media, now);
            }
        }
        CallEvent::Ended { rtp_port, .. } => {
            plane.stop(rtp_port, now);
        }
        _ => {}
    }
}
