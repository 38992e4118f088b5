//! The shard runtime behind `callshard serve`: glommio executors, one per core, driving the
//! sans-IO endpoint with real sockets and the route-table policy.

mod config;
mod event_loop;
mod inbox;
mod owner;
mod policy;
mod route;
mod runtime;
mod socket;
mod stats;
mod worker;

pub use config::{allowed_cpus, online_cores, ServeConfig};
pub use owner::owner_of;
pub use policy::Policy;
pub use route::{Action, RouteError, Routes};
pub use runtime::run;
pub use stats::ShardStats;
