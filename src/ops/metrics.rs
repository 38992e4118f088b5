//! The shards' statistics as Prometheus metrics, encoded by `prometheus-client` at scrape
//! time from the snapshots the shards already publish (`ShardStats`, at most every half
//! second): a scrape takes one lock to copy them and touches nothing on the per-message path.
//! Every figure is labelled with its shard (`shard="0"`).

use std::fmt;
use std::sync::{Arc, Mutex};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::families::{COUNTERS, GAUGES};
use super::setup_time;
use super::snmp;
use crate::shard::ShardStats;

/// What a metric reads from one shard's snapshot.
pub type Read = fn(&ShardStats) -> u64;

/// A metric family: its name (without `callshard_` and, for counters, without the `_total`
/// the encoder adds), its help, and its series: a label (name, value) and what it reads.
pub struct Family {
    pub name: &'static str,
    pub help: &'static str,
    pub series: &'static [(Option<(&'static str, &'static str)>, Read)],
}

/// Reads the shards' published snapshots at each scrape.
#[derive(Debug)]
pub struct ShardCollector {
    live: Arc<Mutex<Vec<ShardStats>>>,
}

impl ShardCollector {
    /// A collector over the vector the shards publish into (index = shard).
    pub fn new(live: Arc<Mutex<Vec<ShardStats>>>) -> ShardCollector {
        ShardCollector { live }
    }
}

/// The whole exposition in the text format (OpenMetrics, which Prometheus reads).
pub fn render(live: &Arc<Mutex<Vec<ShardStats>>>) -> Result<String, fmt::Error> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(ShardCollector::new(live.clone())));
    let mut text = String::with_capacity(16 * 1024);
    prometheus_client::encoding::text::encode(&mut text, &registry)?;
    Ok(text)
}

impl Collector for ShardCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        // Copied under the lock, encoded without it: the shards publish into the same vector.
        let shards = self.live.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let labels: Vec<String> = (0..shards.len()).map(|i| i.to_string()).collect();
        for (families, kind) in [(COUNTERS, MetricType::Counter), (GAUGES, MetricType::Gauge)] {
            for family in families {
                let name = format!("callshard_{}", family.name);
                let mut metric = encoder.encode_descriptor(&name, family.help, None, kind)?;
                for (shard, stats) in labels.iter().zip(&shards) {
                    for (label, read) in family.series {
                        let value = read(stats);
                        let mut set = vec![("shard", shard.as_str())];
                        set.extend(*label);
                        let series = metric.encode_family(&set)?;
                        match kind {
                            MetricType::Counter => ConstCounter::new(value).encode(series)?,
                            _ => ConstGauge::new(value as i64).encode(series)?,
                        }
                    }
                }
            }
        }
        setup_time::encode(&mut encoder, &labels, &shards)?;
        if let Some(errors) = snmp::udp_rcvbuf_errors() {
            let help = "UDP datagrams the kernel dropped for a full socket receive buffer (RcvbufErrors \
                        of /proc/net/snmp and snmp6): machine-wide, every process's sockets, not only ours";
            let counter = ConstCounter::new(errors);
            counter.encode(encoder.encode_descriptor(
                "callshard_udp_rcvbuf_errors",
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        Ok(())
    }
}
