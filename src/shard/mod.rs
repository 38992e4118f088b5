//! The shard runtime behind `callshard serve`: one pinned thread per core, each driving its
//! sockets through one I/O backend (io_uring, or `recvmmsg` + `ppoll` where io_uring is
//! unavailable), the sans-IO endpoint and the route-table policy.

mod config;
mod event_loop;
pub mod io;
mod media;
pub mod media_sockets;
mod owner;
mod policy;
pub mod poll;
pub mod ring;
mod route;
mod runtime;
mod sockaddr;
mod sockets;
mod stats;
mod worker;

pub use config::{allowed_cpus, online_cores, IoChoice, ServeConfig};
pub use media::{follow_call_event, MediaCounters, ShardMedia};
pub use media_sockets::{bind_media_socket, MediaSockets};
pub use owner::owner_of;
pub use policy::Policy;
pub use route::{Action, Route, RouteError, Routes};
pub use runtime::{choose_backend, run};
pub use stats::ShardStats;
