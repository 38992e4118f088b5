//! RFC 3550 A.1: which packets of a source count. A source is believed after
//! `MIN_SEQUENTIAL` packets in sequence; sequence numbers are extended past their 16-bit
//! wrap; a large jump is a restart only when the next packet confirms it. Duplicates, which
//! A.1 counts as received, are told apart here so that loss is not hidden by them.

/// A.1: a source is believed after this many packets in sequence.
pub const MIN_SEQUENTIAL: u16 = 2;
/// A.1: a forward jump smaller than this is packets lost, not a restart.
pub const MAX_DROPOUT: u16 = 3000;
/// A.1: a packet at most this far behind the highest is late, not a restart.
pub const MAX_MISORDER: u16 = 100;
/// How far behind the highest packet a duplicate is still recognised: all of A.1's
/// misorder range, so that no packet it counts as late can be counted twice.
const WINDOW: u16 = 128;

/// What one arriving packet was to the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// The next packet, or one after a gap (the gap counts as lost until they come).
    InOrder,
    /// Behind the highest packet, not seen before: counted, and no longer lost.
    Late,
    /// Seen before: not counted again.
    Duplicate,
    /// From a source not yet believed (A.1 probation), or a jump waiting for the packet after
    /// it; not counted.
    Unconfirmed,
}

/// A.1's per-source sequence state.
#[derive(Clone, Debug)]
pub struct Sequence {
    probation: u16,
    base_seq: u16,
    max_seq: u16,
    bad_seq: u32,
    cycles: u32,
    /// Bit `i` set: the packet `i` behind the highest has arrived (bit 0 is the highest).
    seen: u128,
    received: u32,
    pub duplicates: u64,
    pub late: u64,
    /// Confirmed jumps (the sender started a new sequence): derived state starts again too.
    pub restarts: u64,
}

impl Sequence {
    /// A.1 `init_seq` for a source whose first packet is `seq`, on probation.
    pub fn new(seq: u16) -> Sequence {
        let mut s = Sequence {
            probation: MIN_SEQUENTIAL,
            base_seq: seq,
            max_seq: seq,
            bad_seq: 0,
            cycles: 0,
            seen: 0,
            received: 0,
            duplicates: 0,
            late: 0,
            restarts: 0,
        };
        s.restart(seq);
        s.max_seq = seq.wrapping_sub(1);
        s
    }

    fn restart(&mut self, seq: u16) {
        self.base_seq = seq;
        self.max_seq = seq;
        self.bad_seq = u32::from(u16::MAX) + 2;
        self.cycles = 0;
        self.seen = 1;
        self.received = 0;
    }

    /// A.1 `update_seq`, with duplicates told apart. A restart begins the counts again (and
    /// adds one to `restarts`, so the caller can reset what it derived from them).
    pub fn update(&mut self, seq: u16) -> Arrival {
        let delta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            // Only packets in sequence end the probation; anything else starts it again.
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.restart(seq);
                    self.received = 1;
                    return Arrival::InOrder;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return Arrival::Unconfirmed;
        }
        if delta == 0 {
            self.duplicates += 1;
            return Arrival::Duplicate;
        }
        if delta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(1 << 16);
            }
            self.max_seq = seq;
            self.seen = if delta < WINDOW { (self.seen << delta) | 1 } else { 1 };
        } else if delta <= u16::MAX - MAX_MISORDER + 1 {
            // A very large jump: believed (as a restart of the sequence) only when the packet
            // right after it follows.
            if u32::from(seq) != self.bad_seq {
                self.bad_seq = u32::from(seq.wrapping_add(1));
                return Arrival::Unconfirmed;
            }
            self.restart(seq);
            self.restarts += 1;
        } else {
            let behind = self.max_seq.wrapping_sub(seq);
            if behind < WINDOW {
                if self.seen & (1 << behind) != 0 {
                    self.duplicates += 1;
                    return Arrival::Duplicate;
                }
                self.seen |= 1 << behind;
            }
            self.late += 1;
            self.received += 1;
            return Arrival::Late;
        }
        self.received += 1;
        Arrival::InOrder
    }

    /// Packets counted (in order or late, not duplicates) since the source was believed.
    pub fn received(&self) -> u32 {
        self.received
    }

    /// The highest sequence number with its wrap count (A.1 `cycles + max_seq`).
    pub fn extended_highest(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets from the first counted to the highest (A.3 `expected`); none on probation.
    pub fn expected(&self) -> u32 {
        match self.probation {
            0 => self.extended_highest().wrapping_sub(u32::from(self.base_seq)).wrapping_add(1),
            _ => 0,
        }
    }
}
