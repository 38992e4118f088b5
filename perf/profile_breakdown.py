#!/usr/bin/env python3
"""Where a loaded callshard shard (or another server) spends its CPU, by layer, from `perf script` output.

Reads `perf script` text (samples with call stacks, recorded with --call-graph dwarf) on stdin
and assigns each sample to one bucket, judged from the whole stack: a sample inside the
kernel's UDP send path counts as "kernel: UDP send", however deep; a user-space sample counts
by the callshard module of its innermost callshard frame. Prints a table of shares.

  perf script -i perf.data | perf/profile_breakdown.py
"""
import re
import sys
from collections import Counter

# (bucket, frame pattern): the first pattern found anywhere in a sample's stack decides,
# so specific kernel paths come before general ones.
KERNEL = [
    ("kernel: page faults (memory first touched)", re.compile(r"exc_page_fault|do_anonymous_page")),
    # On loopback the sender's CPU delivers the datagram and wakes the receiving process; the
    # wake-up (an IPI to the peer's CPU, a VM exit under virtualisation) is counted apart.
    ("kernel: waking the peer on send (sock_def_readable)", re.compile(r"sock_def_readable")),
    ("kernel: UDP send (incl. loopback delivery to the peer)", re.compile(r"udp_sendmsg|io_sendmsg|io_send_zc")),
    ("kernel: UDP receive", re.compile(r"udp_recvmsg|io_recvmsg|io_recv\b")),
    ("kernel: hand-off (MSG_RING)", re.compile(r"io_msg_ring")),
    ("kernel: wait, wake-up, scheduling", re.compile(r"io_cqring_wait|schedule|finish_task_switch|do_idle|ppoll|do_sys_poll")),
    ("kernel: memory map calls (allocator)", re.compile(r"__x64_sys_mprotect|__x64_sys_mmap|__x64_sys_munmap|__x64_sys_madvise|__x64_sys_brk")),
    ("kernel: io_uring other", re.compile(r"io_uring|io_submit_sqes|__io_")),
    ("kernel: other syscalls", re.compile(r"entry_SYSCALL|do_syscall_64")),
]
USER = [
    ("allocator (malloc/free)", re.compile(r"malloc|_int_free|\bfree\b|cfree|realloc|unlink_chunk|mi_|__rust_alloc|__rust_dealloc")),
    ("SIP parse and write (sip::)", re.compile(r"callshard::sip::")),
    ("SDP (sdp::)", re.compile(r"callshard::sdp::")),
    ("transactions (transaction::)", re.compile(r"callshard::transaction::")),
    ("timers (timer::)", re.compile(r"callshard::timer::")),
    ("calls and dialogs (session::, dialog::)", re.compile(r"callshard::session::|callshard::dialog::")),
    ("serve policy and statistics", re.compile(r"callshard::shard::policy|callshard::shard::stats|hdrhistogram")),
    ("shard runtime and I/O backend (shard::)", re.compile(r"callshard::shard::")),
]


def frames(block):
    """The symbol of each frame line of one sample, innermost first."""
    out = []
    for line in block[1:]:
        parts = line.strip().split(None, 1)
        if len(parts) == 2:
            out.append(parts[1])
    return out


def bucket(stack):
    for name, pattern in KERNEL:
        if any(pattern.search(f) for f in stack):
            return name
    kernel_top = stack and "[kernel.kallsyms]" in stack[0]
    if kernel_top:
        return "kernel: other"
    # The innermost frame decides for shared helpers (memcpy, memchr, hashing): they are
    # charged to the callshard module that called them.
    for f in stack:
        for name, pattern in USER:
            if pattern.search(f):
                return name
    if stack and re.search(r"memmove|memcpy|memset|memcmp", stack[0]):
        return "memory copies outside callshard"
    return "other user space"


def main():
    counts = Counter()
    block = []
    for line in sys.stdin:
        if line.strip():
            block.append(line)
            continue
        if block:
            counts[bucket(frames(block))] += 1
            block = []
    if block:
        counts[bucket(frames(block))] += 1
    total = sum(counts.values())
    if not total:
        sys.exit("no samples on stdin")
    print(f"{total} samples")
    for name, n in counts.most_common():
        print(f"{100 * n / total:6.1f} %  {name}")


if __name__ == "__main__":
    main()
