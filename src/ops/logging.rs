//! Logs through `tracing` to stderr: the level from `--log` or else `RUST_LOG` (an
//! `EnvFilter`: `info`, `warn,callshard::session=debug`, ...), `info` when neither is given.
//! At info the library writes one line per refused or failed call and nothing per message;
//! a bound on lines a second keeps an overload or a flood of bad requests from turning into
//! a flood of writes on the shards' threads.

use std::io::Write;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Instant;

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{EnvFilter, FilterExt};
use tracing_subscriber::layer::{Context, Filter, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// The filter when neither `--log` nor `RUST_LOG` says one.
pub const DEFAULT_FILTER: &str = "info";
/// Lines written a second at most (errors excepted) unless configured otherwise.
pub const DEFAULT_LINES_PER_SECOND: u32 = 100;

/// Checks a filter (`--log`), for a one-line error at start.
pub fn check_filter(spec: &str) -> Result<(), String> {
    EnvFilter::try_new(spec).map(drop).map_err(|e| format!("`{spec}` is not a log filter: {e}"))
}

/// Installs the process's subscriber: `spec` (else `RUST_LOG`, else [`DEFAULT_FILTER`]),
/// formatted lines on stderr, at most `lines_per_second` of them (0: no bound).
pub fn init(spec: Option<&str>, lines_per_second: u32) -> Result<(), String> {
    let env = std::env::var("RUST_LOG").ok().filter(|s| !s.trim().is_empty());
    let spec = spec.map(str::to_string).or(env).unwrap_or_else(|| DEFAULT_FILTER.to_string());
    let filter = EnvFilter::try_new(&spec).map_err(|e| format!("`{spec}` is not a log filter: {e}"))?;
    let budget = LineBudget::new(lines_per_second);
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter.and(budget));
    tracing_subscriber::registry().with(layer).try_init().map_err(|e| e.to_string())
}

/// Lets through at most `limit` events a second (errors always); says how many it held back
/// when the next second's first line comes.
pub struct LineBudget {
    limit: u32,
    start: Instant,
    second: AtomicU64,
    used: AtomicU32,
    held_back: AtomicU64,
}

impl LineBudget {
    /// A budget of `limit` lines a second; 0 lets everything through.
    pub fn new(limit: u32) -> LineBudget {
        let (second, used, held_back) = (AtomicU64::new(0), AtomicU32::new(0), AtomicU64::new(0));
        LineBudget { limit, start: Instant::now(), second, used, held_back }
    }

    /// Whether a line at `level` may be written now. Only events that passed the level
    /// filter get here, so the successful calls' path never does.
    pub fn admit(&self, level: Level) -> bool {
        if self.limit == 0 || level == Level::ERROR {
            return true;
        }
        let now = self.start.elapsed().as_secs();
        if self.second.swap(now, Ordering::Relaxed) != now {
            self.used.store(0, Ordering::Relaxed);
            let held = self.held_back.swap(0, Ordering::Relaxed);
            if held > 0 {
                // Written directly: an event raised inside the subscriber would be dropped.
                let line = format!("callshard: {held} log lines held back (at most {} a second)\n", self.limit);
                let _ = std::io::stderr().write_all(line.as_bytes());
            }
        }
        if self.used.fetch_add(1, Ordering::Relaxed) < self.limit {
            return true;
        }
        self.held_back.fetch_add(1, Ordering::Relaxed);
        false
    }
}

impl<S> Filter<S> for LineBudget {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        // Spans carry no lines of their own.
        !meta.is_event() || self.admit(*meta.level())
    }

    fn callsite_enabled(&self, _: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        // Asked each time: the answer changes with the second.
        tracing::subscriber::Interest::sometimes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_holds_back_what_is_over_it_but_errors() {
        let b = LineBudget::new(2);
        assert!(b.admit(Level::INFO) && b.admit(Level::WARN));
        assert!(!b.admit(Level::INFO));
        assert!(b.admit(Level::ERROR));
        assert_eq!(b.held_back.load(Ordering::Relaxed), 1);
        assert!((0..1000).all(|_| LineBudget::new(0).admit(Level::DEBUG)));
    }

    #[test]
    fn filters_are_checked() {
        assert!(check_filter("info,callshard::session=debug").is_ok());
        assert!(check_filter("info,=[").is_err());
    }
}
