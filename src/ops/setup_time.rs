//! The INVITE-to-final-response histogram of each shard (an hdrhistogram in microseconds) as
//! a Prometheus histogram in seconds with fixed buckets.

use std::fmt;

use hdrhistogram::Histogram;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::encoding::NoLabelSet;
use prometheus_client::metrics::MetricType;

use crate::shard::ShardStats;

/// Bucket bounds, seconds: 100 µs to 10 s, where a SIP server's answers fall (a route's
/// `ring:MS` delay included), then +Inf.
pub const BUCKETS: [f64; 14] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 10.0];

const HELP: &str = "INVITE to our final response, seconds (calls the serve routes answer or reject; \
                    an embedding application's calls are not timed)";

/// Encodes `callshard_setup_seconds`, one series per shard.
pub fn encode(encoder: &mut DescriptorEncoder, labels: &[String], shards: &[ShardStats]) -> fmt::Result {
    let mut metric = encoder.encode_descriptor("callshard_setup_seconds", HELP, None, MetricType::Histogram)?;
    for (shard, stats) in labels.iter().zip(shards) {
        let (sum, count, buckets) = buckets(&stats.latency_us);
        let set = [("shard", shard.as_str())];
        metric.encode_family(&set)?.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
    }
    Ok(())
}

/// (sum in seconds, count, per-bucket counts): each recorded value goes to the first bucket
/// whose bound is at least the lowest value it stands for (hdrhistogram keeps three
/// significant digits, so a value may sit up to 0.1 % below its true place).
pub fn buckets(h: &Histogram<u64>) -> (f64, u64, Vec<(f64, u64)>) {
    let mut counts: Vec<(f64, u64)> = BUCKETS.iter().map(|&b| (b, 0)).collect();
    counts.push((f64::INFINITY, 0));
    for v in h.iter_recorded() {
        let seconds = h.lowest_equivalent(v.value_iterated_to()) as f64 / 1e6;
        let at = counts.iter().position(|(bound, _)| seconds <= *bound).unwrap_or(counts.len() - 1);
        counts[at].1 += v.count_at_value();
    }
    (h.mean() * h.len() as f64 / 1e6, h.len(), counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fall_into_the_bucket_at_or_above_them() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for us in [50, 100, 1_000, 10_000, 10_005, 20_000_000] {
            h.record(us).unwrap();
        }
        let (sum, count, b) = buckets(&h);
        assert_eq!(count, 6);
        assert!((sum - 20.02115).abs() < 0.01, "{sum}");
        let at = |bound: f64| b.iter().find(|(x, _)| *x == bound).unwrap().1;
        assert_eq!(at(0.0001), 2);
        assert_eq!(at(0.001), 1);
        assert_eq!(at(0.01), 2);
        assert_eq!(at(f64::INFINITY), 1);
    }
}
