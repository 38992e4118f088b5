//! The shard runtime behind `callshard serve` and every embedding program ([`Server`]): one
//! pinned thread per core, each driving its sockets through one I/O backend (io_uring, or
//! `recvmmsg` + `ppoll` where io_uring is unavailable) and an [`crate::app::AppCore`] (the
//! sans-IO endpoint, media plane and application).

mod config;
mod conn;
mod conns;
mod event_loop;
pub mod io;
mod loss_control;
mod media;
pub mod media_sockets;
mod overload;
mod owner;
mod policy;
pub mod poll;
pub mod ring;
mod route;
mod runtime;
mod server;
mod server_streams;
mod sockaddr;
mod sockets;
mod stats;
mod worker;

pub use config::{allowed_cpus, online_cores, IoChoice, OverloadConfig, ServerConfig, DEFAULT_SEND_EARLY};
pub use media::{MediaCounters, ShardMedia};
pub use media_sockets::{bind_media_socket, MediaSockets};
pub use owner::owner_of;
pub use policy::Policy;
pub use route::{Action, Route, RouteError, Routes};
pub use runtime::{choose_backend, start, Running};
pub use server::{Server, ServerBuilder};
pub use sockets::local_address_toward;
pub use stats::ShardStats;
