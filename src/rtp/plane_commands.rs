//! What an application asks of its calls' media: its action and owner, a key press sent,
//! and a bridge.
//!
//! A bridge joins the media of two calls on one shard (a B2BUA's two legs): what one call's
//! peer sends goes to the other's, as a packet of that call's own stream (its SSRC, sequence
//! and timestamps), payload untouched. No transcoding: both legs should have agreed on the
//! same codec. Both calls keep their own statistics, RTCP and hold state.

use std::time::Instant;

use super::action::MediaAction;
use super::packet::RtpPacket;
use super::plane::MediaPlane;

impl MediaPlane {
    /// A new call, `owner`, on `port` will get `action` once its media is agreed.
    pub fn assign(&mut self, port: u16, action: MediaAction, owner: u64) {
        if let Some(i) = self.index(port) {
            (self.slots[i].action, self.slots[i].owner) = (action, Some(owner));
        }
    }

    /// Changes what the call on `port` does: at once when its media runs (an answer after
    /// early media), else once its media is agreed.
    pub fn set_action(&mut self, port: u16, action: MediaAction, now: Instant) {
        let Some(i) = self.index(port) else { return };
        self.slots[i].action = action;
        if let Some(s) = self.slots[i].session.as_mut() {
            s.set_action(action, now);
            self.rearm(i);
        }
    }

    /// The figures so far of the call on `port`, when its media runs.
    pub fn stats(&self, port: u16) -> Option<super::MediaStats> {
        self.slots[self.index(port)?].session.as_ref().map(|s| s.stats())
    }

    /// The owner of the call on `port`, as given to [`MediaPlane::assign`].
    pub fn owner(&self, port: u16) -> Option<u64> {
        self.slots[self.index(port)?].owner
    }

    /// Sends `digit` as RFC 4733 events on the call on `port` (see
    /// [`super::MediaSession::send_digit`]); `false` if the call cannot.
    pub fn send_digit(&mut self, port: u16, digit: char, duration_ms: u32, now: Instant) -> bool {
        let Some(i) = self.index(port) else { return false };
        let queued = self.slots[i].session.as_mut().is_some_and(|s| s.send_digit(digit, duration_ms, now));
        if queued {
            self.rearm(i);
        }
        queued
    }

    /// Joins the calls on ports `a` and `b`, now or, for a call whose media is not agreed
    /// yet, from the moment it is; `false` for the same call or a port with no call. A call
    /// already bridged elsewhere is moved to the new bridge.
    pub fn bridge(&mut self, a: u16, b: u16) -> bool {
        let (Some(i), Some(j)) = (self.index(a), self.index(b)) else { return false };
        let held = |k: usize| self.slots[k].owner.is_some() || self.slots[k].session.is_some();
        if i == j || !held(i) || !held(j) {
            return false;
        }
        self.unbridge(a);
        self.unbridge(b);
        for (x, y) in [(i, j), (j, i)] {
            self.slots[x].bridge = Some(y);
            if let Some(s) = self.slots[x].session.as_mut() {
                s.bridged = true;
            }
        }
        true
    }

    /// Separates the call on `port` from its bridge; each call goes back to its own action.
    pub fn unbridge(&mut self, port: u16) {
        let Some(i) = self.index(port) else { return };
        let Some(j) = self.slots[i].bridge.take() else { return };
        self.slots[j].bridge = None;
        for k in [i, j] {
            if let Some(s) = self.slots[k].session.as_mut() {
                s.bridged = false;
            }
        }
    }

    /// The port bridged to `port`, if any.
    pub fn bridged_to(&self, port: u16) -> Option<u16> {
        let j = self.slots[self.index(port)?].bridge?;
        Some(self.port_at(j))
    }

    pub(super) fn relay_to(&mut self, j: usize, p: &RtpPacket<'_>) {
        let Some(other) = self.slots[j].session.as_mut() else { return };
        other.relay(p, &mut self.out);
        self.collect(j);
    }
}
