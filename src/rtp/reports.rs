//! A call's RTCP (RFC 3550 6): when our next report goes, what it says (an SR while we send,
//! else an RR, with a report block on the peer's stream and our CNAME), and what the peer's
//! reports tell us about our own stream: its loss and jitter as the peer sees them, and the
//! round-trip time (6.4.1). Time is `now`; the wall clock for NTP timestamps is a fixed pair
//! given at creation ([`WallClock`]), so the core never reads a clock.

use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::rtcp::interval::{rtcp_bandwidth, transmission_interval, update_avg_rtcp_size, IntervalInput};
use super::rtcp::ntp::{compact_from_duration, ntp_from_unix, ntp_middle, round_trip_time};
use super::rtcp::{write_compound, Compound, CompoundReport, ReportBlock, RtcpPacket, SenderInfo};
use super::send::SendStream;
use super::stream::ReceiveStream;

/// G.711's 64 kb/s plus RTP/UDP/IPv4 headers at 50 packets a second: 80 kb/s (RFC 3550 6.2
/// takes the session bandwidth from `b=AS`, which callshard does not negotiate).
const SESSION_BITS_PER_SECOND: u64 = 80_000;
/// IPv4 and UDP headers, counted in the average RTCP size (6.3.3).
const IP_UDP_HEADERS: usize = 28;

/// The wall-clock time at one `Instant`, from which NTP timestamps of later instants follow.
#[derive(Clone, Copy, Debug)]
pub struct WallClock {
    pub at: Instant,
    /// Time since the UNIX epoch at `at`.
    pub unix: Duration,
}

impl WallClock {
    pub fn ntp(&self, now: Instant) -> u64 {
        ntp_from_unix(self.unix + now.saturating_duration_since(self.at))
    }
}

/// Our stream as the peer's last report described it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PeerView {
    pub fraction_lost: u8,
    pub cumulative_lost: i32,
    /// Interarrival jitter of our packets at the peer, in timestamp units.
    pub jitter: u32,
    pub round_trip: Option<Duration>,
}

#[derive(Clone, Debug)]
pub struct Reports {
    wall: WallClock,
    next: Instant,
    avg_size: f64,
    sent_any: bool,
    /// Packets we had sent at the previous report: whether we are a sender now (6.4).
    packets_at_last: u32,
    /// The peer's last SR: the middle of its NTP time and when it arrived (for LSR, DLSR).
    peer_sr: Option<(u32, Instant)>,
    pub peer: PeerView,
    pub reports_sent: u32,
    pub reports_received: u32,
}

impl Reports {
    /// RTCP for a call whose media starts at `now`; `random` draws the first interval.
    pub fn new(wall: WallClock, now: Instant, random: u32) -> Reports {
        let mut r = Reports {
            wall,
            next: now,
            avg_size: 100.0,
            sent_any: false,
            packets_at_last: 0,
            peer_sr: None,
            peer: PeerView::default(),
            reports_sent: 0,
            reports_received: 0,
        };
        r.next = now + r.interval(false, random);
        r
    }

    /// When the next regular report is due.
    pub fn next_due(&self) -> Instant {
        self.next
    }

    fn interval(&self, we_sent: bool, random: u32) -> Duration {
        let input = IntervalInput {
            members: 2,
            senders: 1 + u32::from(we_sent),
            rtcp_bandwidth: rtcp_bandwidth(SESSION_BITS_PER_SECOND),
            we_sent,
            avg_rtcp_size: self.avg_size,
            initial: !self.sent_any,
        };
        transmission_interval(&input, random)
    }

    /// Writes our report into `out` (with a BYE when `bye` is set: the call ends) and, for a
    /// regular one, schedules the next.
    #[allow(clippy::too_many_arguments)]
    pub fn write(
        &mut self,
        now: Instant,
        send: &SendStream,
        recv: Option<&mut ReceiveStream>,
        cname: &[u8],
        bye: Option<&[u8]>,
        random: u32,
        out: &mut BytesMut,
    ) {
        let we_sent = send.packets != self.packets_at_last;
        let ntp = self.wall.ntp(now);
        let sender_info = we_sent.then(|| SenderInfo {
            ntp,
            // The RTP time of this instant on our clock: the last packet's, as callshard
            // sends packets when their media is due.
            rtp_timestamp: send.last_timestamp().unwrap_or(0),
            packet_count: send.packets,
            octet_count: send.octets,
        });
        let block = recv.map(|r| self.block_on(r, now));
        let blocks: &[ReportBlock] = match &block {
            Some(b) => std::slice::from_ref(b),
            None => &[],
        };
        let start = out.len();
        let report = CompoundReport { ssrc: send.ssrc(), sender_info, blocks, cname, bye };
        if write_compound(out, &report).is_err() {
            out.truncate(start);
            return;
        }
        self.avg_size = update_avg_rtcp_size(self.avg_size, out.len() - start + IP_UDP_HEADERS);
        self.packets_at_last = send.packets;
        self.sent_any = true;
        self.reports_sent += 1;
        self.next = now + self.interval(we_sent, random);
    }

    fn block_on(&self, recv: &mut ReceiveStream, now: Instant) -> ReportBlock {
        let loss = recv.loss_report();
        let (lsr, dlsr) = match self.peer_sr {
            Some((middle, at)) => (middle, compact_from_duration(now.saturating_duration_since(at))),
            None => (0, 0),
        };
        ReportBlock {
            ssrc: recv.ssrc(),
            fraction_lost: loss.fraction_lost,
            cumulative_lost: loss.cumulative_lost,
            highest_seq: loss.extended_highest,
            jitter: recv.jitter(),
            lsr,
            dlsr,
        }
    }

    /// Takes in a compound packet from the peer: its SR time, and its report on `our_ssrc`.
    pub fn on_compound(&mut self, compound: &Compound<'_>, our_ssrc: u32, now: Instant) {
        self.reports_received += 1;
        self.avg_size = update_avg_rtcp_size(self.avg_size, compound.as_bytes().len() + IP_UDP_HEADERS);
        let arrival = ntp_middle(self.wall.ntp(now));
        for packet in compound.packets() {
            let blocks = match packet {
                RtcpPacket::SenderReport(sr) => {
                    self.peer_sr = Some((ntp_middle(sr.sender_info.ntp), now));
                    sr.blocks
                }
                RtcpPacket::ReceiverReport(rr) => rr.blocks,
                _ => continue,
            };
            for b in blocks.iter().filter(|b| b.ssrc == our_ssrc) {
                let round_trip = round_trip_time(&b, arrival).or(self.peer.round_trip);
                self.peer = PeerView {
                    fraction_lost: b.fraction_lost,
                    cumulative_lost: b.cumulative_lost,
                    jitter: b.jitter,
                    round_trip,
                };
            }
        }
    }
}
