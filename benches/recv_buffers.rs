//! Receive buffers: what it costs per datagram to turn a provided buffer into the `Bytes` the
//! shard hands on, with the two strategies of issue 9. Findings: perf/udp_path.md.
//!
//! - `copy`: what `src/shard/ring/complete.rs` does. The datagram is copied out of the
//!   provided buffer into a packed `BytesMut` shared by many datagrams, split off as `Bytes`,
//!   and the buffer goes back to the ring in the same turn.
//! - `lease`: zero copy. The provided buffer itself becomes the `Bytes`
//!   (`Bytes::from_owner` with a guard); when the last `Bytes` drops, the guard pushes the
//!   buffer id into the shard's lock-free return queue (it may drop on another shard), and the
//!   shard gives the queued ids back to the ring at the start of each turn.
//! - `in place` (the floor): the consumer reads the provided buffer directly and it goes back
//!   at once; no `Bytes` at all, which the shard's API cannot offer.
//!
//! A turn receives 32 datagrams: a stand-in for the kernel copies each into the next buffer of
//! a ring laid out as `RingConfig::default()` lays it out (1024 buffers of 65 600 bytes), the
//! strategy makes `Bytes`, a consumer reads every byte (`memchr` for line ends, as the SIP
//! indexer does) and the `Bytes` drop: at the end of the turn (`same turn`), one turn later
//! (`next turn`: a reply sent from them completes), or on another thread (`other shard`,
//! CPU 0, through a queue, as a hand-off does). Time is the CPU time of the pinned thread
//! (CLOCK_THREAD_CPUTIME_ID, so that other work preempting it does not count), median of 7
//! runs of 2 000 000 datagrams. `cargo bench --bench recv_buffers`; under
//! `cargo test` each case runs once, briefly, as a check.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use common::{bench_mode, can_pin, cpu_now, median, pin_current_thread, CLIENT_CPU, SERVER_CPU};
use crossbeam::queue::ArrayQueue;

const BUFFERS: usize = 1024;
/// `(16 + 28 + 65 535 + 1)` rounded up to 64, as `RingIo` sizes its buffers by default.
const STRIDE: usize = 65_600;
const TURN: usize = 32;
const PACK: usize = 256 * 1024;

#[derive(Clone, Copy, PartialEq)]
enum Strategy {
    InPlace,
    Copy,
    Lease,
}

/// When the consumer lets go of the `Bytes`.
#[derive(Clone, Copy, PartialEq)]
enum Release {
    SameTurn,
    NextTurn,
    OtherShard,
}

/// The provided buffers and the ring's free list (our stand-in for the kernel's ring).
struct Ring {
    memory: Vec<u8>,
    free: std::collections::VecDeque<u16>,
    returns: &'static ArrayQueue<u16>,
}

/// A provided buffer lent out as `Bytes`; its id goes back through the return queue.
struct Lease {
    ptr: *const u8,
    len: usize,
    id: u16,
    returns: &'static ArrayQueue<u16>,
}

// SAFETY: the buffer is not written while lent (the ring does not hand it to the kernel until
// its id comes back), so reading it from any thread is sound.
unsafe impl Send for Lease {}

impl AsRef<[u8]> for Lease {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `ptr..ptr+len` lies inside the ring's memory, which outlives every lease.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let _ = self.returns.push(self.id);
    }
}

impl Ring {
    fn new() -> Ring {
        let returns = Box::leak(Box::new(ArrayQueue::new(BUFFERS)));
        Ring { memory: vec![0; BUFFERS * STRIDE], free: (0..BUFFERS as u16).collect(), returns }
    }

    /// The kernel's part: the next free buffer, with `payload` copied in at the data offset.
    fn receive(&mut self, payload: &[u8]) -> u16 {
        let id = loop {
            // Leases still out on the other shard: wait for one to come back.
            match self.free.pop_front().or_else(|| self.returns.pop()) {
                Some(id) => break id,
                None => std::hint::spin_loop(),
            }
        };
        let at = usize::from(id) * STRIDE + 64;
        self.memory[at..at + payload.len()].copy_from_slice(payload);
        id
    }

    fn data(&self, id: u16, len: usize) -> &[u8] {
        let at = usize::from(id) * STRIDE + 64;
        &self.memory[at..at + len]
    }
}

fn consume(d: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', d).count()
}

/// The other shard for `Release::OtherShard`: a thread on CPU 0 that drops what it is given.
/// Started per run, so that its spinning does not disturb the other cases.
fn other_shard(pin: bool) -> (Arc<ArrayQueue<Bytes>>, Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let sink: Arc<ArrayQueue<Bytes>> = Arc::new(ArrayQueue::new(4096));
    let stop = Arc::new(AtomicBool::new(false));
    let (q, s) = (sink.clone(), stop.clone());
    let handle = std::thread::spawn(move || {
        if pin {
            pin_current_thread(CLIENT_CPU);
        }
        while !s.load(Ordering::Relaxed) {
            if q.pop().is_none() {
                std::hint::spin_loop();
            }
        }
    });
    (sink, stop, handle)
}

/// ns of CPU per datagram for `n` datagrams of `size` bytes.
fn run(strategy: Strategy, release: Release, size: usize, n: usize, pin: bool) -> f64 {
    let other = (release == Release::OtherShard).then(|| other_shard(pin));
    let mut ring = Ring::new();
    let payload: Vec<u8> = (0..size).map(|i| if i % 40 == 39 { b'\n' } else { b'a' }).collect();
    let mut packed = BytesMut::new();
    let (mut now, mut held) = (Vec::with_capacity(TURN), Vec::with_capacity(TURN));
    let mut lines = 0;
    let t0 = cpu_now();
    for _ in 0..n / TURN {
        while let Some(id) = ring.returns.pop() {
            ring.free.push_back(id);
        }
        for _ in 0..TURN {
            let id = ring.receive(&payload);
            match strategy {
                Strategy::InPlace => {
                    lines += consume(ring.data(id, size));
                    ring.free.push_back(id);
                }
                Strategy::Copy => {
                    if packed.capacity() - packed.len() < size {
                        packed = BytesMut::with_capacity(PACK);
                    }
                    packed.extend_from_slice(ring.data(id, size));
                    ring.free.push_back(id);
                    now.push(packed.split().freeze());
                }
                Strategy::Lease => {
                    let ptr = ring.data(id, size).as_ptr();
                    now.push(Bytes::from_owner(Lease { ptr, len: size, id, returns: ring.returns }));
                }
            }
        }
        for b in &now {
            lines += consume(b);
        }
        match release {
            Release::SameTurn => now.clear(),
            Release::NextTurn => std::mem::swap(&mut now, &mut held),
            Release::OtherShard => {
                for b in now.drain(..) {
                    let mut b = Some(b);
                    let sink = &other.as_ref().expect("the other shard").0;
                    while let Err(back) = sink.push(b.take().unwrap()) {
                        b = Some(back);
                        std::hint::spin_loop();
                    }
                }
            }
        }
        now.clear();
    }
    std::hint::black_box(lines);
    let ns = (cpu_now() - t0) as f64 / n as f64;
    if let Some((_, stop, handle)) = other {
        stop.store(true, Ordering::Relaxed);
        handle.join().expect("the other shard");
    }
    ns
}

fn main() {
    let bench = bench_mode();
    let pin = can_pin() && bench;
    let (n, runs) = if bench { (2_000_000, 7) } else { (3_200, 1) };
    let cases = [
        (Strategy::InPlace, Release::SameTurn, "in place (floor)"),
        (Strategy::Copy, Release::SameTurn, "copy, same turn"),
        (Strategy::Lease, Release::SameTurn, "lease, same turn"),
        (Strategy::Copy, Release::NextTurn, "copy, next turn"),
        (Strategy::Lease, Release::NextTurn, "lease, next turn"),
        (Strategy::Copy, Release::OtherShard, "copy, other shard"),
        (Strategy::Lease, Release::OtherShard, "lease, other shard"),
    ];
    let sizes = [172, 600, 1400];
    if pin {
        pin_current_thread(SERVER_CPU);
    }
    let mut results = vec![vec![Vec::new(); sizes.len()]; cases.len()];
    for _ in 0..runs {
        for (c, &(strategy, release, _)) in cases.iter().enumerate() {
            for (s, &size) in sizes.iter().enumerate() {
                results[c][s].push(run(strategy, release, size, n, pin));
            }
        }
    }
    if !bench {
        println!("recv_buffers check: every strategy ran ({} cases)", cases.len() * sizes.len());
        return;
    }
    let medians: Vec<Vec<f64>> = results.iter_mut().map(|r| r.iter_mut().map(|v| median(v)).collect()).collect();
    println!("\nrecv_buffers: ns of CPU per datagram (median of {runs} runs of {n}), turns of {TURN}");
    for (title, floor) in [("total", false), ("over the floor (what the strategy costs)", true)] {
        print!("\n{title}\n{:<22}", "strategy");
        sizes.iter().for_each(|s| print!(" {:>9}", format!("{s} B")));
        println!();
        for (c, (_, _, name)) in cases.iter().enumerate().skip(usize::from(floor)) {
            print!("{name:<22}");
            for (s, m) in medians[c].iter().enumerate() {
                print!(" {:>9.1}", if floor { m - medians[0][s] } else { *m });
            }
            println!();
        }
    }
}
