//! Sending a key press as RFC 4733 telephone events on a call: the packets of one event
//! share the timestamp of the audio frame they replace (2.5.1.2), follow at the packet time,
//! and end with the end packet three times (2.5.1.4); paced audio pauses meanwhile and
//! resumes on the media clock, so the event leaves exactly its gap.

use std::time::{Duration, Instant};

use super::action::MediaAction;
use super::dtmf::DtmfSender;
use super::media::MediaSession;
use super::media_out::{MediaOut, MediaOutput};

/// One queued telephone-event packet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DigitPacket {
    marker: bool,
    timestamp: u32,
    payload: [u8; 4],
}

impl MediaSession {
    /// Queues `digit` (0-9, *, #, A-D) for `duration_ms`, starting now. `false` when the call
    /// cannot send one: no telephone-event was agreed, it is held, or the digit is unknown.
    pub fn send_digit(&mut self, digit: char, duration_ms: u32, now: Instant) -> bool {
        let (Some(_), false, Some(_)) = (self.params.telephone_event, self.held, self.remote) else {
            return false;
        };
        let ptime = self.params.ptime_ms.max(1);
        let Some(packets) = DtmfSender::digit(digit, duration_ms, ptime, 8000) else { return false };
        // The event replaces the next audio frame: paced actions have a media clock; echo and
        // none continue from the last packet sent.
        let start = match self.action.is_paced() {
            true => self.frame_timestamp(),
            false => self
                .send
                .last_timestamp()
                .map_or(self.first_timestamp, |t| t.wrapping_add(self.params.samples_per_packet())),
        };
        let begin = self.digit_queue.back().map_or(now, |&(at, _)| at.max(now));
        for p in packets {
            let at = begin + Duration::from_micros(u64::from(p.send_offset) * 125);
            let packet = DigitPacket {
                marker: p.marker,
                timestamp: start.wrapping_add(p.timestamp_offset),
                payload: p.payload(),
            };
            self.digit_queue.push_back((at, packet));
        }
        true
    }

    /// Sends the queued event packets that are due.
    pub(super) fn send_digits(&mut self, now: Instant, out: &mut MediaOut) {
        let Some(pt) = self.params.telephone_event else { return };
        let mut sent = false;
        while let Some(&(at, p)) = self.digit_queue.front() {
            if at > now {
                break;
            }
            self.digit_queue.pop_front();
            sent = true;
            let (Some(to), false) = (self.remote, self.held) else { continue };
            let header = self.send.next_at(pt, p.marker, p.timestamp, p.payload.len());
            out.scratch.extend_from_slice(&header.to_bytes());
            out.scratch.extend_from_slice(&p.payload);
            let data = out.take();
            out.items.push(MediaOutput::Rtp { to, data });
        }
        if sent && self.digit_queue.is_empty() && self.action != MediaAction::None {
            // The first audio packet after the event starts a talkspurt (RFC 4733 2.5.1.1).
            self.talkspurt = true;
        }
    }
}
