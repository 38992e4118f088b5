//! A shard's media plane, sans-IO: the media sessions of its calls, found by RTP port (one
//! vector slot per even port of the shard's range, so a datagram finds its call with no
//! hash), their timers in one wheel, and the outputs of all of them for the shard to send.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::action::MediaAction;
use super::media::{MediaParams, MediaSession};
use super::media_out::{MediaOut, MediaOutput, PlaneOutput};
use super::media_stats::{MediaStats, MediaTotals};
use super::reports::WallClock;
use crate::sdp::Negotiated;
use crate::timer::{TimerId, TimerWheel};

/// One even port's call. The session sits in the slot itself, not boxed: the ports are a
/// fixed, bounded set, so the vector is sized once and a call costs no allocation here.
#[derive(Debug, Default)]
pub(super) struct Slot {
    pub(super) action: MediaAction,
    /// Whose call this is, as the runtime names it (opaque here), from `assign` until `stop`:
    /// for the hang-up a media timeout asks for, and whether a call holds the port.
    pub(super) owner: Option<u64>,
    /// The slot this call's media is bridged to.
    pub(super) bridge: Option<usize>,
    pub(super) session: Option<MediaSession>,
    timer: Option<TimerId>,
}

pub struct MediaPlane {
    first: u16,
    pub(super) slots: Vec<Slot>,
    wheel: TimerWheel<u32>,
    fired: Vec<u32>,
    pub(super) out: MediaOut,
    outputs: Vec<PlaneOutput>,
    wall: WallClock,
    timeout: Option<Duration>,
    cname: Box<[u8]>,
    seed: u64,
    /// Media of the calls that ended, summed.
    pub totals: MediaTotals,
    /// Datagrams on a port with no call (a late packet after BYE, a scanner).
    pub stray: u64,
    running: usize,
}

impl MediaPlane {
    /// The plane of the even ports `low..=high`. `seed` makes every call's SSRC and sequence
    /// unpredictable; `timeout` ends calls that go silent; `cname` names us in RTCP.
    pub fn new(
        (low, high): (u16, u16),
        wall: WallClock,
        seed: u64,
        timeout: Option<Duration>,
        cname: &str,
    ) -> MediaPlane {
        let first = low + (low & 1);
        let slots = (first..=high).step_by(2).map(|_| Slot::default()).collect();
        MediaPlane {
            first,
            slots,
            wheel: TimerWheel::new(wall.at, Duration::from_millis(1), 4096),
            fired: Vec::new(),
            out: MediaOut::default(),
            outputs: Vec::new(),
            wall,
            timeout,
            cname: cname.as_bytes().into(),
            seed,
            totals: MediaTotals::default(),
            stray: 0,
            running: 0,
        }
    }

    pub(super) fn index(&self, port: u16) -> Option<usize> {
        let offset = port.checked_sub(self.first)?;
        (offset % 2 == 0 && usize::from(offset / 2) < self.slots.len()).then_some(usize::from(offset / 2))
    }

    /// An offer/answer completed for the call on `port`: media starts, or follows the new
    /// agreement (a new address, hold or resume).
    pub fn negotiated(&mut self, port: u16, media: &Negotiated, now: Instant) {
        let Some(i) = self.index(port) else { return };
        let (params, held) = MediaParams::agreed(media);
        let slot = &mut self.slots[i];
        match slot.session.as_mut() {
            Some(s) => {
                s.set_remote(params.remote_rtp, params.remote_rtcp, params.rtcp_mux);
                s.hold(held, now);
            }
            None => {
                self.seed = self.seed.wrapping_add(1);
                let mut s = MediaSession::new(slot.action, params, self.wall, now, self.seed, self.timeout);
                s.hold(held, now);
                // Bridged before its media was agreed (a B2BUA bridging as it answers).
                s.bridged = slot.bridge.is_some();
                slot.session = Some(s);
                self.running += 1;
            }
        }
        self.rearm(i);
    }

    /// The call on `port` ended: its last report with a BYE goes out, its figures are added
    /// to the totals and returned.
    pub fn stop(&mut self, port: u16, now: Instant) -> Option<MediaStats> {
        let i = self.index(port)?;
        self.unbridge(port);
        if let Some(s) = self.slots[i].session.as_mut() {
            s.close(now, &self.cname, &mut self.out);
        }
        self.collect(i);
        let slot = std::mem::take(&mut self.slots[i]);
        if let Some(t) = slot.timer {
            self.wheel.cancel(t);
        }
        let session = slot.session?;
        self.running -= 1;
        let stats = session.stats();
        self.totals.add(&stats);
        Some(stats)
    }

    /// A datagram on the RTP (`rtcp` false) or RTCP socket of `port`.
    pub fn on_datagram(&mut self, port: u16, rtcp: bool, data: &[u8], from: SocketAddr, now: Instant) {
        let Some(i) = self.index(port).filter(|&i| self.slots[i].session.is_some()) else {
            self.stray += 1;
            return;
        };
        let (bridge, session) = (self.slots[i].bridge, self.slots[i].session.as_mut());
        let Some(s) = session else { return };
        let packet = match rtcp {
            false => s.on_rtp_port(data, from, now, &mut self.out),
            true => {
                s.on_rtcp(data, from, now);
                None
            }
        };
        self.collect(i);
        if let (Some(p), Some(j)) = (packet, bridge) {
            self.relay_to(j, &p);
        }
    }

    /// Runs the sessions whose deadline has come.
    pub fn on_timer(&mut self, now: Instant) {
        let fired = &mut self.fired;
        self.wheel.expire(now, |i| fired.push(i));
        for i in std::mem::take(&mut self.fired) {
            let i = i as usize;
            self.slots[i].timer = None;
            let Some(s) = self.slots[i].session.as_mut() else { continue };
            s.on_timer(now, &self.cname, &mut self.out);
            self.collect(i);
            self.rearm(i);
        }
    }

    pub(super) fn rearm(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        if let Some(t) = slot.timer.take() {
            self.wheel.cancel(t);
        }
        if let Some(due) = slot.session.as_ref().and_then(|s| s.next_deadline()) {
            slot.timer = Some(self.wheel.arm(due, i as u32));
        }
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.wheel.next_deadline()
    }

    /// The even port of slot `i`.
    pub(super) fn port_at(&self, i: usize) -> u16 {
        self.first + 2 * i as u16
    }

    /// Moves the outputs of slot `i`'s session to the plane's, naming the socket each leaves
    /// from (RTCP from the RTP socket when muxed).
    pub(super) fn collect(&mut self, i: usize) {
        let port = self.port_at(i);
        let mux = self.slots[i].session.as_ref().is_some_and(|s| s.rtcp_mux());
        for item in self.out.items.drain(..) {
            self.outputs.push(match item {
                MediaOutput::Rtp { to, data } => PlaneOutput::Send { port, rtcp: false, to, data },
                MediaOutput::Rtcp { to, data } => PlaneOutput::Send { port, rtcp: !mux, to, data },
                MediaOutput::Timeout => PlaneOutput::Timeout { port },
                MediaOutput::Digit(d) => {
                    PlaneOutput::Digit { port, digit: d.digit().unwrap_or('?'), duration_ms: d.duration_ms }
                }
            });
        }
    }

    /// What the plane produced since the last call.
    pub fn drain(&mut self) -> std::vec::Drain<'_, PlaneOutput> {
        self.outputs.drain(..)
    }

    /// Calls with media running.
    pub fn active(&self) -> usize {
        self.running
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_session_slot_stays_small_enough_to_keep_inline() {
        let size = std::mem::size_of::<super::Slot>();
        println!("slot: {size} bytes");
        assert!(size < 1024, "{size}");
    }
}
