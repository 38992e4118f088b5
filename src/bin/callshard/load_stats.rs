//! What one shard of the load generator counts, merged over the shards for the report.

use std::collections::BTreeMap;
use std::time::Instant;

use hdrhistogram::Histogram;

/// One shard's figures, merged for the report.
#[derive(Clone, Debug)]
pub struct LoadStats {
    pub started: u64,
    pub answered: u64,
    pub failed: u64,
    /// Calls not sent: the server asked for fewer (RFC 7339), so they are neither placed
    /// nor failed; `started` counts them, as calls the plan offered.
    pub held_back: u64,
    /// Failures by final status ("486"), or "timeout", "cancelled", "local-limit", ...
    pub failures: BTreeMap<String, u64>,
    /// Microseconds from our INVITE to its 2xx.
    pub setup_us: Histogram<u64>,
    /// When the first and the last call were placed.
    pub first: Option<Instant>,
    pub last: Option<Instant>,
    /// When the first call after the ramp was placed, and how many were placed from then:
    /// the achieved rate is theirs.
    pub steady: Option<Instant>,
    pub steady_started: u64,
}

impl LoadStats {
    pub fn new() -> LoadStats {
        let setup_us = Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid constant bounds");
        let (first, last, steady) = (None, None, None);
        LoadStats {
            started: 0,
            answered: 0,
            failed: 0,
            held_back: 0,
            failures: BTreeMap::new(),
            setup_us,
            first,
            last,
            steady,
            steady_started: 0,
        }
    }

    pub fn merge(&mut self, o: &LoadStats) {
        (self.started, self.answered, self.failed) =
            (self.started + o.started, self.answered + o.answered, self.failed + o.failed);
        self.held_back += o.held_back;
        for (k, v) in &o.failures {
            *self.failures.entry(k.clone()).or_default() += v;
        }
        let _ = self.setup_us.add(&o.setup_us);
        self.first = [self.first, o.first].into_iter().flatten().min();
        self.last = [self.last, o.last].into_iter().flatten().max();
        self.steady = [self.steady, o.steady].into_iter().flatten().min();
        self.steady_started += o.steady_started;
    }

    pub(super) fn fail(&mut self, why: String) {
        self.failed += 1;
        *self.failures.entry(why).or_default() += 1;
    }
}
