//! Which figure of a shard's snapshot each metric shows, and what its help says. A new
//! counter of `ShardStats` becomes a metric with one line here.

use super::metrics::Family;

/// Counters; the encoder adds `_total` to each name.
pub const COUNTERS: &[Family] = &[
    Family {
        name: "calls_incoming",
        help: "New calls received (INVITEs that made a call)",
        series: &[(None, |s| s.calls.incoming)],
    },
    Family { name: "calls_outgoing", help: "Calls placed", series: &[(None, |s| s.calls.outgoing)] },
    Family {
        name: "calls_held_back",
        help: "New calls of ours not sent: the server asked (RFC 7339) to hold back a share",
        series: &[(None, |s| s.calls.held_back)],
    },
    Family {
        name: "calls",
        help: "Calls by outcome: answered (established), rejected (a final answer above 2xx, by a \
               route or the peer), cancelled, timeout (no answer, or no ACK for our 2xx), refused \
               (503: call table full, no free media port, or shutting down)",
        series: &[
            (Some(("outcome", "answered")), |s| s.calls.established),
            (Some(("outcome", "rejected")), |s| s.calls.rejected),
            (Some(("outcome", "cancelled")), |s| s.calls.cancelled),
            (Some(("outcome", "timeout")), |s| s.calls.timeouts),
            (Some(("outcome", "refused")), |s| s.calls.refused_busy),
        ],
    },
    Family {
        name: "calls_ended",
        help: "Answered calls hung up, by the side that sent the BYE",
        series: &[(Some(("by", "local")), |s| s.calls.ended_local), (Some(("by", "remote")), |s| s.calls.ended_remote)],
    },
    Family {
        name: "transactions",
        help: "Transactions created, by side",
        series: &[
            (Some(("side", "server")), |s| s.tx.server_created),
            (Some(("side", "client")), |s| s.tx.client_created),
        ],
    },
    Family {
        name: "transaction_timeouts",
        help: "Transactions that ended on a timeout (Timer B, F or H)",
        series: &[(None, |s| s.tx.timeouts)],
    },
    Family {
        name: "retransmissions",
        help: "Requests and responses we sent again on a timer (2xx for want of an ACK included)",
        series: &[(None, |s| s.tx.retransmissions_sent + s.calls.retransmitted_2xx)],
    },
    Family {
        name: "retransmissions_absorbed",
        help: "Retransmitted requests answered from their transaction",
        series: &[(None, |s| s.tx.retransmissions_absorbed)],
    },
    Family {
        name: "malformed_answered",
        help: "Malformed requests answered with a 4xx/5xx naming the defect (400 Bad CSeq, ...)",
        series: &[(None, |s| s.calls.malformed_answered)],
    },
    Family {
        name: "dropped",
        help: "Datagrams dropped, by cause: unreadable (no Via to answer), truncated (above \
               --max-message), send (refused by the kernel), handoff (owner shard's queue full), \
               table_full (requests answered 503 statelessly, the transaction table being full), \
               kernel (the SIP sockets' receive buffers were full: SO_MEMINFO, this shard's own)",
        series: &[
            (Some(("cause", "unreadable")), |s| s.calls.dropped),
            (Some(("cause", "truncated")), |s| s.io.truncated),
            (Some(("cause", "send")), |s| s.io.send_failed),
            (Some(("cause", "handoff")), |s| s.io.handoff_dropped),
            (Some(("cause", "table_full")), |s| s.tx.rejected_full),
            (Some(("cause", "kernel")), |s| s.io.kernel_dropped),
        ],
    },
    Family {
        name: "overload_shed",
        help: "New INVITEs refused with 503 Overloaded while the shard was overloaded (its SIP \
               sockets kept a queue for --overload-onset-ms), before any state was made for them",
        series: &[(None, |s| s.tx.shed)],
    },
    Family {
        name: "overload_episodes",
        help: "Times the shard started shedding new calls",
        series: &[(None, |s| s.overload_episodes)],
    },
    Family {
        name: "overload_shedding_milliseconds",
        help: "Time the shard spent shedding new calls, summed over the episodes that ended",
        series: &[(None, |s| s.shedding_time.as_millis() as u64)],
    },
    Family {
        name: "datagrams_received",
        help: "Datagrams read from the shard's sockets",
        series: &[(None, |s| s.io.received)],
    },
    Family {
        name: "handoffs",
        help: "SIP datagrams handed between shards: out (to the shard owning the Call-ID), in (taken over)",
        series: &[(Some(("direction", "out")), |s| s.handed_off), (Some(("direction", "in")), |s| s.taken_over)],
    },
    Family {
        name: "ring_empty",
        help: "Times the io_uring buffer ring ran empty (datagrams wait in the socket; they are lost \
               only when its buffer overflows too: callshard_udp_rcvbuf_errors_total)",
        series: &[(None, |s| s.io.ring_empty)],
    },
    Family {
        name: "ring_rearmed",
        help: "Multishot receives armed again after the kernel ended them (io_uring)",
        series: &[(None, |s| s.io.rearmed)],
    },
    Family { name: "waits", help: "Waits for I/O or a timer, one system call each", series: &[(None, |s| s.io.waits)] },
    Family {
        name: "app_commands_refused",
        help: "Application commands the endpoint refused (a call that ended meanwhile, say)",
        series: &[(None, |s| s.policy_refused)],
    },
    Family {
        name: "rtp_packets",
        help: "RTP packets of the calls that ended, by direction",
        series: &[
            (Some(("direction", "received")), |s| s.media.ended.packets_received),
            (Some(("direction", "sent")), |s| s.media.ended.packets_sent),
        ],
    },
    Family {
        name: "rtp_lost",
        help: "RTP packets lost in the calls that ended (RFC 3550 A.3 cumulative loss, at least 0)",
        series: &[(None, |s| s.media.ended.lost.max(0) as u64)],
    },
    Family { name: "rtp_stray", help: "Datagrams on a media port with no call", series: &[(None, |s| s.media.stray)] },
    Family { name: "rtp_digits", help: "RFC 4733 key presses received", series: &[(None, |s| s.media.digits)] },
    Family {
        name: "media_timeouts",
        help: "Calls hung up for silence (--media-timeout)",
        series: &[(None, |s| s.media.timeouts)],
    },
    Family {
        name: "media_bind_failures",
        help: "Media ports skipped because another process holds them",
        series: &[(None, |s| s.media.bind_failures)],
    },
];

/// Gauges: the state now.
pub const GAUGES: &[Family] = &[
    Family { name: "active_calls", help: "Calls alive now", series: &[(None, |s| s.active_calls as u64)] },
    Family {
        name: "active_transactions",
        help: "Transactions alive now, server and client (a call's linger 32 s after it ends)",
        series: &[(None, |s| s.active_transactions as u64)],
    },
    Family {
        name: "media_active_calls",
        help: "Calls with media running now",
        series: &[(None, |s| s.media.active as u64)],
    },
    Family {
        name: "media_ports_bound",
        help: "Media ports bound (each with its RTCP port)",
        series: &[(None, |s| s.media.ports_bound as u64)],
    },
    Family {
        name: "overload_hold_back_percent",
        help: "Share of new calls clients that speak RFC 7339 are asked to hold back now",
        series: &[(None, |s| u64::from(s.held_back_share))],
    },
];
