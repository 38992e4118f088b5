//! Operations, all off the per-message path: the Prometheus exposition of the shards'
//! published statistics ([`MetricsServer`]), the kernel's UDP drop count, and the logging
//! setup.

pub mod config;
pub mod families;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod setup_time;
pub mod snmp;

pub use http::MetricsServer;
pub use metrics::{render, ShardCollector};
