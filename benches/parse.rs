//! Parse benchmark: callshard against rsip 0.4 on three messages (a typical INVITE with SDP,
//! a 200 OK with three Vias, and the RFC 4475 3.1.1.1 "short tortuous INVITE").
//!
//! Before the timed runs, the bench counts heap allocations per parse with a counting global
//! allocator and prints a table; it panics if callshard allocates at all to parse or index
//! one of these messages (the target is zero).
//!
//! Run with `cargo bench --bench parse` or `perf/parse_bench.sh` (adds the ns/message summary).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use bytes::Bytes;
use callshard::sip::{Message, ParseLimits};
use criterion::Criterion;
use rsip::prelude::{HeadersExt, ToTypedHeader, UntypedHeader};

// ---------------------------------------------------------------------------------------------
// Allocation counting.

/// `System`, counting allocations and bytes while `COUNTING` is set. Off during the criterion
/// runs, so the timed loops pay one relaxed load per allocation and no atomic increments.
struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

#[inline]
fn count(size: usize) {
    if COUNTING.load(Relaxed) {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(size as u64, Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to `System`; counting has no effect on the memory.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    /// A reallocation counts as one allocation of `new_size` bytes.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Allocations and bytes allocated per call of `f`, averaged over `iters` calls.
fn allocs_per_call(iters: u64, mut f: impl FnMut()) -> (f64, f64) {
    ALLOCS.store(0, Relaxed);
    BYTES.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    for _ in 0..iters {
        f();
    }
    COUNTING.store(false, Relaxed);
    let (n, b) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    (n as f64 / iters as f64, b as f64 / iters as f64)
}

// ---------------------------------------------------------------------------------------------
// The messages.

const INVITE_SDP: &[u8] = include_bytes!("../tests/corpus/invite_sdp.sip");
const OK_200: &[u8] = include_bytes!("../tests/corpus/ok_200.sip");
/// RFC 4475 3.1.1.1, "A Short Tortuous INVITE".
const WSINV: &[u8] = include_bytes!("../tests/fixtures/rfc4475/wsinv.dat");

/// `(criterion group name, message)`.
const MESSAGES: [(&str, &[u8]); 3] = [("invite_sdp", INVITE_SDP), ("ok_200", OK_200), ("wsinv", WSINV)];

/// A received datagram as the transport hands it over: a heap `Bytes` (not `from_static`),
/// so `clone()` is a reference-count bump.
fn datagram(raw: &[u8]) -> Bytes {
    let b = Bytes::copy_from_slice(raw);
    // The first clone of a `Vec`-backed `Bytes` promotes it to a shared one (one allocation);
    // do it here so every clone in the measured loops is a plain refcount bump.
    drop(b.clone());
    b
}

// ---------------------------------------------------------------------------------------------
// What each parser does per message: parse, then read the fields a server needs to match a
// transaction and a dialog (Call-ID, CSeq, top Via branch, From tag, To tag).

/// The fields, owned, to check both parsers read the same thing (outside the timed loops).
#[derive(Debug, PartialEq, Eq)]
struct Fields {
    call_id: String,
    cseq: u32,
    cseq_method: String,
    branch: Option<String>,
    from_tag: Option<String>,
    to_tag: Option<String>,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Full parse (index + validation) only.
#[inline(never)]
fn callshard_validated(bytes: &Bytes) {
    black_box(Message::parse(bytes.clone()).expect("callshard parses the message"));
}

/// rsip's whole-message parse only (its headers stay untyped until asked for).
#[inline(never)]
fn rsip_parse_only(raw: &[u8]) {
    black_box(rsip::SipMessage::try_from(raw).expect("rsip parses the message"));
}

/// Full parse (index + validation) and the lazy typed accessors.
#[inline(never)]
fn callshard_parse(bytes: &Bytes) {
    read_fields(&Message::parse(bytes.clone()).expect("callshard parses the message"));
}

/// Only the checks the transaction layer relies on (Request-URI, Date and Contact left for
/// later), then the same typed fields: the typed path a transaction layer pays for.
#[inline(never)]
fn callshard_typed(bytes: &Bytes) {
    read_fields(&Message::parse_for_transaction(bytes.clone()).expect("callshard parses the message"));
}

/// The five fields a transaction layer reads, through the typed accessors. Inlined into each
/// caller, so that the timed function is the same code as before it was shared.
#[inline(always)]
fn read_fields(msg: &Message) {
    let call_id = msg.call_id().expect("Call-ID");
    let cseq = msg.cseq().expect("CSeq");
    let via = msg.top_via().expect("Via");
    let from = msg.from().expect("From");
    let to = msg.to().expect("To");
    black_box((call_id, cseq.seq, cseq.method_bytes, via.branch(), from.tag(), to.tag()));
}

/// The index only: start line and header spans, no header value checked.
#[inline(never)]
fn callshard_index(bytes: &Bytes, limits: &ParseLimits) {
    let msg = Message::index(bytes.clone(), limits).expect("callshard indexes the message");
    black_box(&msg);
}

fn callshard_fields(bytes: &Bytes) -> Fields {
    let msg = Message::parse(bytes.clone()).expect("callshard parses the message");
    let cseq = msg.cseq().unwrap();
    Fields {
        call_id: text(msg.call_id().unwrap()),
        cseq: cseq.seq,
        cseq_method: text(cseq.method_bytes),
        branch: msg.top_via().unwrap().branch().map(text),
        from_tag: msg.from().unwrap().tag().map(text),
        to_tag: msg.to().unwrap().tag().map(text),
    }
}

/// rsip's whole-message parse, then the same fields through its typed headers.
fn rsip_fields(raw: &[u8]) -> Result<Fields, rsip::Error> {
    let msg = rsip::SipMessage::try_from(raw)?;
    let cseq = msg.cseq_header()?.typed()?;
    Ok(Fields {
        call_id: msg.call_id_header()?.value().to_owned(),
        cseq: cseq.seq,
        cseq_method: cseq.method.to_string(),
        branch: msg.via_header()?.typed()?.branch().map(|b| b.to_string()),
        from_tag: msg.from_header()?.typed()?.tag().map(|t| t.to_string()),
        to_tag: msg.to_header()?.typed()?.tag().map(|t| t.to_string()),
    })
}

#[inline(never)]
fn rsip_parse(raw: &[u8]) {
    let msg = rsip::SipMessage::try_from(raw).expect("rsip parses the message");
    let call_id = msg.call_id_header().expect("Call-ID");
    let cseq = msg.cseq_header().and_then(|c| c.typed()).expect("CSeq");
    let via = msg.via_header().and_then(|v| v.typed()).expect("Via");
    let from = msg.from_header().and_then(|f| f.typed()).expect("From");
    let to = msg.to_header().and_then(|t| t.typed()).expect("To");
    black_box((call_id.value(), cseq.seq, &cseq.method, via.branch(), from.tag(), to.tag()));
}

// ---------------------------------------------------------------------------------------------

/// Whether rsip can read each message (and its fields); printed and used to skip its bench.
fn rsip_supported(name: &str, raw: &[u8], bytes: &Bytes) -> bool {
    let ours = callshard_fields(bytes);
    println!("{name}: callshard reads {ours:?}");
    match rsip_fields(raw) {
        Ok(theirs) if theirs == ours => true,
        Ok(theirs) => {
            println!("{name}: NOTE rsip reads different fields: {theirs:?}");
            true
        }
        Err(e) => {
            println!("{name}: NOTE rsip cannot parse it; benching callshard only. rsip says:");
            // rsip's error quotes the whole message for each alternative it tried; keep the
            // first line of each.
            let e = e.to_string();
            for part in e.split('\n').filter(|l| l.contains("tokenize")) {
                println!("    {}", part.chars().take(110).collect::<String>());
            }
            false
        }
    }
}

fn allocation_table(messages: &[(&str, &[u8], Bytes, bool)]) {
    const ITERS: u64 = 1000;
    let limits = ParseLimits::default();
    println!("\nallocations per parse (mean over {ITERS} parses, after one warm-up parse)");
    println!("{:<12} {:<16} {:>14} {:>14}", "message", "parser", "allocs/parse", "bytes/parse");
    let mut failures = Vec::new();
    for (name, raw, bytes, rsip_ok) in messages {
        callshard_parse(bytes);
        let full = allocs_per_call(ITERS, || callshard_parse(bytes));
        callshard_typed(bytes);
        let typed = allocs_per_call(ITERS, || callshard_typed(bytes));
        callshard_index(bytes, &limits);
        let index = allocs_per_call(ITERS, || callshard_index(bytes, &limits));
        for (parser, (n, b)) in [("callshard", full), ("callshard_typed", typed), ("callshard_index", index)] {
            println!("{name:<12} {parser:<16} {n:>14.2} {b:>14.1}");
            if n != 0.0 {
                failures.push(format!("{parser} on {name}: {n} allocations/parse"));
            }
        }
        if *rsip_ok {
            rsip_parse(raw);
            let (n, b) = allocs_per_call(ITERS, || rsip_parse(raw));
            println!("{name:<12} {:<16} {n:>14.2} {b:>14.1}", "rsip");
        } else {
            println!("{name:<12} {:<16} {:>14} {:>14}", "rsip", "parse fails", "-");
        }
    }
    println!();
    assert!(failures.is_empty(), "callshard must parse and index without allocating: {failures:?}");
}

fn main() {
    let messages: Vec<(&str, &[u8], Bytes, bool)> = MESSAGES
        .iter()
        .map(|&(name, raw)| {
            let bytes = datagram(raw);
            let rsip_ok = rsip_supported(name, raw, &bytes);
            (name, raw, bytes, rsip_ok)
        })
        .collect();

    allocation_table(&messages);

    // Sized for a 2-core box: 3 messages x 3 functions x ~4 s each.
    let mut c = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let limits = ParseLimits::default();
    for (name, raw, bytes, rsip_ok) in &messages {
        let mut g = c.benchmark_group(*name);
        // Parse and index: what rsip's `try_from` does too (values kept as text).
        g.bench_function("callshard_index", |b| b.iter(|| callshard_index(bytes, &limits)));
        // Plus validation of every header a transaction and dialog rely on (rsip has no such step).
        g.bench_function("callshard_validated", |b| b.iter(|| callshard_validated(bytes)));
        // Plus reading Call-ID, CSeq, branch and tags through the typed accessors.
        g.bench_function("callshard", |b| b.iter(|| callshard_parse(bytes)));
        // The same fields after only the checks the transaction layer relies on.
        g.bench_function("callshard_typed", |b| b.iter(|| callshard_typed(bytes)));
        if *rsip_ok {
            g.bench_function("rsip_parse", |b| b.iter(|| rsip_parse_only(raw)));
            g.bench_function("rsip", |b| b.iter(|| rsip_parse(raw)));
        }
        g.finish();
    }
    c.final_summary();
}
