#!/usr/bin/env python3
"""Media CPU and loss of callshard against a minimal C reflector and rtpengine, side by side.

Each run starts one server pinned to CPU 0 (`callshard serve --media echo --shards 1`, the
reflector of perf/reflector.c, or rtpengine in userspace with one worker), then
`callshard rtp-load` pinned to CPU 1 opens N streams on it and sends G.711 at a total rate R
(after a warm-up at the same rate), and reports loss, round-trip time and the server's CPU
time (utime + stime from /proc) per packet that came back. Servers are interleaved per rate
(callshard, reflector, rtpengine, then the next rate) so the host's noise spreads over all of
them. A search then looks for each server's highest rate with under 0.1 % loss (bisection,
all servers per step). Everything is on 127.0.0.1 and every process is bounded in time.

    perf/media_compare.py                                  # defaults below
    perf/media_compare.py --calls 500 --rates 100000 --no-search --servers callshard reflector

rtpengine relays (offer and answer both name the load tool's socket, so a stream goes in on
one leg and out of the other): one pass through its forwarding, measured like an echo.
"""
import argparse, json, os, signal, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("CALLSHARD_BIN", os.path.join(ROOT, "target/release/callshard"))
SIP_PORT, NG_PORT, REFLECTOR_BASE = 5096, 2224, 40000


def server_cmd(name, calls, reflector):
    if name in ("callshard", "callshard_poll"):
        io = "poll" if name.endswith("_poll") else "uring"
        return [BIN, "serve", "--listen", f"127.0.0.1:{SIP_PORT}", "--shards", "1", "--io", io, "--media",
                "echo", "--rtp-ports", "20000-39999", "--stats-interval", "0", "--media-timeout", "0"]
    if name == "reflector":
        return [reflector, str(REFLECTOR_BASE), str(calls)]
    if name == "rtpengine":
        return ["rtpengine", "--config-file=none", "--foreground", "--log-stderr", "--log-level=3", "--table=-1",
                "--interface=127.0.0.1", f"--listen-ng=127.0.0.1:{NG_PORT}", "--num-threads=1",
                "--port-min=44000", "--port-max=64999"]
    sys.exit(f"media_compare.py: unknown server '{name}'")


def load_cmd(name, calls, rate, args, pid):
    cmd = ["taskset", "-c", "1", BIN, "rtp-load", "--calls", str(calls), "--rate", str(rate), "--duration",
           str(args.duration), "--warmup", str(args.warmup), "--json", "--server-pid", str(pid)]
    if name.startswith("callshard"):
        return cmd + ["--target", f"127.0.0.1:{SIP_PORT}"]
    if name == "reflector":
        return cmd + ["--no-sip", "--target", "127.0.0.1:1", "--ports", f"{REFLECTOR_BASE}-{REFLECTOR_BASE + calls}"]
    return cmd + ["--ng", f"127.0.0.1:{NG_PORT}", "--target", "127.0.0.1:1"]


def cpu_busy():
    """Per-CPU busy fractions over the next second, from /proc/stat."""
    def sample():
        rows = [l.split() for l in open("/proc/stat") if l.startswith("cpu") and not l.startswith("cpu ")]
        return [(sum(map(int, r[1:])), int(r[4]) + int(r[5])) for r in rows]
    a = sample()
    time.sleep(1)
    b = sample()
    return [1 - (bi[1] - ai[1]) / max(1, bi[0] - ai[0]) for ai, bi in zip(a, b)]


def wait_quiet(max_wait):
    """Waits up to max_wait seconds for every CPU to be under 15 % busy for a second (others
    compile on this 2-core host); says whether it got there."""
    deadline = time.time() + max_wait
    while time.time() < deadline:
        if max(cpu_busy()) < 0.15:
            return True
    return False


def run_one(name, calls, rate, args, log):
    """One server, one load; returns rtp-load's JSON (plus the server name) or None."""
    quiet = wait_quiet(args.quiet_wait)
    err = open(f"{log}.server", "w")
    srv = subprocess.Popen(["taskset", "-c", "0"] + server_cmd(name, calls, args.reflector), stdout=err, stderr=err)
    try:
        time.sleep(1.0 if name == "rtpengine" else 0.5)
        bound = args.warmup + args.duration + 30
        try:
            out = subprocess.run(load_cmd(name, calls, rate, args, srv.pid), capture_output=True, text=True,
                                 timeout=bound)
        except subprocess.TimeoutExpired:
            print(f"  {name} {calls} {rate}: rtp-load timed out", file=sys.stderr)
            return None
        if out.returncode != 0 or not out.stdout.strip():
            print(f"  {name} {calls} {rate}: {out.stderr.strip()}", file=sys.stderr)
            return None
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["server"], r["quiet"] = name, quiet
        return r
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(5)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()
        err.close()


def show(r):
    return (f"{r['server']:<15} {r['calls']:>5} {r['rate']:>7} {r['achieved_pps']:>8} {r['loss_pct']:>8.3f} "
            f"{r.get('server_ns_per_pkt', 0):>7} {r['rtt_us']['p50']:>8} {r['rtt_us']['p99']:>9} {r['load_cpu_pct']:>5}"
            f"{'' if r['quiet'] else '  (host busy)'}")


HEAD = f"{'server':<15} {'calls':>5} {'rate':>7} {'achieved':>8} {'loss%':>8} {'ns/pkt':>7} {'p50us':>8} {'p99us':>9} {'load%':>5}"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--servers", nargs="+", default=["callshard", "reflector", "rtpengine"])
    p.add_argument("--calls", nargs="+", type=int, default=[500, 2000])
    p.add_argument("--rates", nargs="+", type=int, default=[50000, 100000, 150000, 200000])
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--no-search", action="store_true")
    p.add_argument("--search", nargs=2, type=int, default=[100000, 400000], metavar=("LOW", "HIGH"))
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--quiet-wait", type=float, default=60, help="seconds to wait for idle CPUs before each run")
    p.add_argument("--out", default=tempfile.mkdtemp(prefix="callshard-media."))
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    args.reflector = os.path.join(args.out, "reflector")
    subprocess.run(["cc", "-O2", "-o", args.reflector, os.path.join(ROOT, "perf/reflector.c")], check=True)
    if not os.access(BIN, os.X_OK):
        sys.exit("media_compare.py: build first (cargo build --release)")
    runs = open(os.path.join(args.out, "runs.jsonl"), "a")
    print(f"# media_compare: {' '.join(args.servers)}; load: {os.getloadavg()[0]:.2f}; out: {args.out}")
    print(HEAD)

    def measure(name, calls, rate):
        r = run_one(name, calls, rate, args, os.path.join(args.out, f"{name}.{calls}.{rate}"))
        if r:
            runs.write(json.dumps(r) + "\n")
            runs.flush()
            print(show(r), flush=True)
        return r

    for calls in args.calls:
        for rate in args.rates:
            for name in args.servers:
                measure(name, calls, rate)
    if args.no_search:
        return
    print(f"\n# highest rate with < 0.1 % loss, bisection {args.search[0]}-{args.search[1]} in {args.steps} steps")
    print(HEAD)
    for calls in args.calls:
        bounds = {name: list(args.search) for name in args.servers}
        for _ in range(args.steps):
            for name in args.servers:
                low, high = bounds[name]
                rate = (low + high) // 2 // 1000 * 1000
                r = measure(name, calls, rate)
                ok = r is not None and r["loss_pct"] < 0.1 and r["achieved_pps"] >= 0.98 * rate
                bounds[name] = [rate, high] if ok else [low, rate]
        for name in args.servers:
            print(f"{name:<15} {calls:>5} clean up to at least {bounds[name][0]} packets/s (failed at {bounds[name][1]})")


if __name__ == "__main__":
    main()
