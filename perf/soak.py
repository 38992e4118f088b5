#!/usr/bin/env python3
"""Soak: `callshard serve` (one shard, CPU 0) under `callshard load` (CPU 1) at a steady rate for
MINUTES, reporting the server's RSS every minute, failed calls, retransmissions, and what is
left at the end once every transaction has had its 32 s to expire (calls, transactions, media
ports in use). Passes when the RSS grew under 5 % from the end of minute 2 to the end, no call
failed, and nothing was left.

    perf/soak.py --rate 38000 --minutes 10                  # 80 % of a whole core's 48 000
    perf/soak.py --rate 9000 --minutes 10 --quota-pct 25    # 80 % of a quarter core's capacity

Loopback only; every process is bounded in time. --quota-pct holds the server to that share of
CPU 0 with a cgroup (root), as perf/overload.sh does, so that a soak can run beside other work.
"""
import argparse, json, os, re, signal, subprocess, sys, tempfile, time

LINGER_S = 35  # RFC 3261 Timer J/L and RFC 6026 Timer L: 64*T1 = 32 s, plus a margin
# Every call, with or without media, holds an RTP port pair on both sides while it is in
# progress. At a clean rate a call lasts milliseconds, but a stall of the host holds calls
# back, and the generator's default 10 000 pairs (40000-59999) are 260 ms of calls at 38 000/s.
# The server's calls in progress stay few, so the generator gets most of the ports.
SERVE_RTP_PORTS, LOAD_RTP_PORTS = "10000-19999", "20000-64999"


def stat(line, name):
    m = re.search(r"(?:^|[ |,:])" + re.escape(name) + r"=(\d+)", line)
    return int(m.group(1)) if m else None


def last_stats_line(path):
    lines = [l for l in open(path, errors="replace") if "calls in=" in l]
    return lines[-1] if lines else ""


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def sipp_result(path):
    """SIPp's final statistics in `callshard load --json`'s shape."""
    import csv
    rows = list(csv.reader(open(path), delimiter=";"))
    v = dict(zip(rows[0], rows[-1]))
    failures = {k[6:-3]: int(x) for k, x in v.items()
                if k.startswith("Failed") and k.endswith("(C)") and k != "FailedCall(C)" and int(x)}
    ok, failed = int(v["SuccessfulCall(C)"]), int(v["FailedCall(C)"])
    return {"started": ok + failed, "answered": ok, "failed": failed, "failures": failures,
            "retransmissions": int(v["Retransmissions(C)"]), "rate": float(v["CallRate(C)"])}


def quota_cgroup(pct):
    """The procs file of a cgroup holding its processes to pct % of one CPU over 10 ms periods:
    perf/lib.sh's make_cgroup, the one perf/overload.sh uses."""
    script = f"source perf/lib.sh && make_cgroup callshard-soak {int(pct)} 10000"
    return subprocess.check_output(["bash", "-c", script], text=True).strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=int, required=True, help="calls per second")
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--quota-pct", type=int, default=0, help="hold the server to this share of CPU 0")
    ap.add_argument("--port", type=int, default=5099)
    ap.add_argument("--serve-args", default="", help="more `callshard serve` flags")
    ap.add_argument("--generator", choices=["callshard", "sipp"], default="callshard",
                    help="`callshard load`, or SIPp's built-in uac (INVITE, 100/180/200, ACK, BYE)")
    ap.add_argument("--bin", default="target/release/callshard")
    ap.add_argument("--out-dir", default=None)
    a = ap.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    if not os.access(a.bin, os.X_OK):
        sys.exit("soak.py: build first (cargo build --release)")
    out = a.out_dir or tempfile.mkdtemp(prefix="callshard-soak.")
    os.makedirs(out, exist_ok=True)
    seconds = a.minutes * 60
    nice = ["nice", "-n", "-10"] if os.geteuid() == 0 else []
    serve_log = open(f"{out}/serve.log", "w")
    serve = subprocess.Popen(
        nice + ["taskset", "-c", "0", "timeout", str(seconds + LINGER_S + 120), a.bin, "serve",
                "--listen", f"127.0.0.1:{a.port}", "--shards", "1", "--stats-interval", "1",
                "--rtp-ports", SERVE_RTP_PORTS]
        + a.serve_args.split(), stderr=serve_log, stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    # nice and taskset exec; `timeout` forks the server: its child is the process to watch.
    server_pid = int(subprocess.check_output(["pgrep", "-P", str(serve.pid)]).split()[0])
    if a.quota_pct:
        open(quota_cgroup(a.quota_pct), "w").write(str(server_pid))
    print(f"soak: {a.rate} calls/s for {a.minutes} min, one shard{' held to %d %%' % a.quota_pct if a.quota_pct else ''}; logs in {out}")
    if a.generator == "sipp":
        generator = ["sipp", "-sn", "uac", f"127.0.0.1:{a.port}", "-i", "127.0.0.1", "-r", str(a.rate),
                     "-m", str(a.rate * seconds), "-nostdin", "-buff_size", str(32 << 20), "-trace_stat",
                     "-stf", f"{out}/sipp.csv", "-timeout", f"{seconds + 60}s"]
    else:
        generator = [a.bin, "load", "--shards", "1", "--target", f"127.0.0.1:{a.port}", "--rate", str(a.rate),
                     "--duration", str(seconds), "--json", "--rtp-ports", LOAD_RTP_PORTS]
    load = subprocess.Popen(nice + ["taskset", "-c", "1", "timeout", str(seconds + 90)] + generator,
                            stdout=open(f"{out}/load.out", "w"), stderr=open(f"{out}/load.err", "w"), cwd=out)
    start, rss = time.time(), []
    print(" minute  RSS MiB  calls established  active  transactions  retransmissions  shed")
    for minute in range(1, a.minutes + 1):
        time.sleep(max(0, start + minute * 60 - time.time()))
        line = last_stats_line(f"{out}/serve.log")
        rss.append(rss_kib(server_pid))
        print("%7d %8.0f %18s %7s %13s %16s %5s" % (
            minute, rss[-1] / 1024, stat(line, "established"), stat(line, "active"),
            stat(line, "transactions"), stat(line, "retrans"), stat(line, "overload:shed")), flush=True)
    load.wait()
    time.sleep(LINGER_S)
    end = last_stats_line(f"{out}/serve.log")
    serve.send_signal(signal.SIGTERM)
    serve.wait()
    result = sipp_result(f"{out}/sipp.csv") if a.generator == "sipp" else \
        json.loads(open(f"{out}/load.out").read().strip().splitlines()[-1])
    growth = 100.0 * (rss[-1] - rss[1]) / rss[1] if len(rss) > 2 else 0.0
    left = {k: stat(end, k) for k in ("active", "transactions")}
    left["media ports in use"] = stat(end.split("media ", 1)[-1], "active")
    print(f"load: started={result['started']} answered={result['answered']} failed={result['failed']} "
          f"{result['failures']} retransmissions={result['retransmissions']} rate={result['rate']}/s")
    print(f"server retransmissions={stat(end, 'retrans')} RSS growth after minute 2: {growth:+.1f} %")
    print(f"left {LINGER_S} s after the last call: calls={left['active']} transactions={left['transactions']} "
          f"media ports in use={left['media ports in use']}")
    ok = growth < 5 and result["failed"] == 0 and not any(left.values())
    print("soak:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
