//! The timed half of a call's media: tone and silence packets at the packet time, RTCP
//! reports when due, the media timeout, and the last report with a BYE when the call ends.

use std::time::{Duration, Instant};

use super::action::MediaAction;
use super::media::MediaSession;
use super::media_out::{MediaOut, MediaOutput};

/// Packets a paced sender may owe before it stops catching up: after a longer stall it
/// skips ahead (the timestamps still account for the gap) rather than send a burst.
const MAX_CATCH_UP: u32 = 5;

impl MediaSession {
    /// The earliest instant at which [`MediaSession::on_timer`] has something to do; `None`
    /// for the action `none`, which sends nothing and so needs no timer.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.action == MediaAction::None && self.digit_queue.is_empty() {
            return None;
        }
        let mut due = self.reports.next_due();
        if let Some(frame) = self.next_frame {
            due = due.min(frame);
        }
        if let Some(&(at, _)) = self.digit_queue.front() {
            due = due.min(at);
        }
        if let Some(limit) = self.timeout_at() {
            due = due.min(limit);
        }
        Some(due)
    }

    /// When the call ends for silence; never while held, and never with the action `none`,
    /// which keeps what callshard always did (no media, no hang-up for the lack of it).
    fn timeout_at(&self) -> Option<Instant> {
        match (self.timeout, self.held || self.timed_out || self.action == MediaAction::None) {
            (Some(t), false) => Some(self.last_heard + t),
            _ => None,
        }
    }

    /// Does what is due at `now`; `cname` names us in RTCP (RFC 3550 6.5.1).
    pub fn on_timer(&mut self, now: Instant, cname: &[u8], out: &mut MediaOut) {
        self.send_digits(now, out);
        self.send_paced(now, out);
        if now >= self.reports.next_due() {
            self.report(now, cname, None, out);
        }
        if self.timeout_at().is_some_and(|at| now >= at) {
            self.timed_out = true;
            out.items.push(MediaOutput::Timeout);
        }
    }

    fn frame(&self) -> Duration {
        Duration::from_millis(u64::from(self.params.ptime_ms.max(1)))
    }

    /// Sends the paced frames due by `now`. Each frame's timestamp is the media clock's
    /// (`frames_due` frames since the start), so frames skipped after a stall or replaced by
    /// a telephone event leave the right gap (RFC 3550 5.1, RFC 4733 2.5.1.2).
    fn send_paced(&mut self, now: Instant, out: &mut MediaOut) {
        let Some(mut due) = self.next_frame else { return };
        let frame = self.frame();
        if now > due + frame * MAX_CATCH_UP {
            let skipped = ((now - due).as_micros() / frame.as_micros().max(1)) as u32;
            self.frames_due = self.frames_due.wrapping_add(skipped);
            due += frame * skipped;
        }
        while due <= now {
            let timestamp = self.frame_timestamp();
            self.frames_due = self.frames_due.wrapping_add(1);
            if self.digit_queue.is_empty() {
                self.send_frame(timestamp, out);
            }
            due += frame;
        }
        self.next_frame = Some(due);
    }

    /// The timestamp of the next paced frame.
    pub(super) fn frame_timestamp(&self) -> u32 {
        self.first_timestamp.wrapping_add(self.frames_due.wrapping_mul(self.params.samples_per_packet()))
    }

    fn send_frame(&mut self, timestamp: u32, out: &mut MediaOut) {
        let Some(to) = self.remote else { return };
        let len = self.params.samples_per_packet() as usize;
        let pt = self.params.law.payload_type();
        let marker = std::mem::take(&mut self.talkspurt);
        let header = self.send.next_at(pt, marker, timestamp, len);
        out.scratch.extend_from_slice(&header.to_bytes());
        let at = out.scratch.len();
        match (self.action, self.tone.as_mut()) {
            (MediaAction::Tone, Some(tone)) => {
                out.scratch.resize(at + len, 0);
                tone.next_frame(&mut out.scratch[at..]);
            }
            _ => out.scratch.resize(at + len, self.params.law.silence()),
        }
        let data = out.take();
        out.items.push(MediaOutput::Rtp { to, data });
    }

    /// Our RTCP report; none with the action `none`, which sends nothing at all.
    fn report(&mut self, now: Instant, cname: &[u8], bye: Option<&[u8]>, out: &mut MediaOut) {
        if self.action == MediaAction::None {
            return;
        }
        let random = self.draw();
        self.reports.write(now, &self.send, self.recv.as_mut(), cname, bye, random, &mut out.scratch);
        let data = out.take();
        // Muxed, RTCP follows RTP to where the peer's packets come from (RFC 5761 4, 4961).
        let to = if self.params.rtcp_mux { self.remote } else { self.remote_rtcp };
        match to {
            Some(to) if !data.is_empty() => out.items.push(MediaOutput::Rtcp { to, data }),
            _ => {}
        }
    }

    /// The call ends: a last report with an RTCP BYE (RFC 3550 6.6), and a key press whose
    /// end never came.
    pub fn close(&mut self, now: Instant, cname: &[u8], out: &mut MediaOut) {
        self.next_frame = None;
        if let Some(digit) = self.dtmf.on_timeout() {
            self.digits += 1;
            out.items.push(MediaOutput::Digit(digit));
        }
        self.report(now, cname, Some(b"call ended"), out);
    }
}
