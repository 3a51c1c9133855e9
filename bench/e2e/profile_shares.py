#!/usr/bin/env python3
"""Where a server's CPU went, by activity, from a `perf record -g` profile.

    perf script -i /tmp/perf/ours-1.perf.data | python3 bench/e2e/profile_shares.py

(`bench-e2e --perf DIR` records each server's send phase.) Each sample goes to the first
activity below that one of its frames matches, so the order matters: a socket write made from
the fan-out counts as a socket write, a JSON decode inside a query as a decode. The shares of
two profiles compare like for like; their sample counts compare the CPU they took.
"""
import collections
import sys

ACTIVITIES = [
    ("creating files (ext4 inode allocation)", ["ext4_create", "ext4_mkdir", "__ext4_new_inode"]),
    ("fsync (SQLite commit)", ["fsync"]),
    ("socket writes (kernel TCP, incl. waking the receiver)", ["__send", "writev", "__GI___libc_write", "uv_try_write"]),
    ("socket reads", ["__recv", "__libc_recv", "__GI___libc_read"]),
    ("sleeping and waking threads (scheduler)",
     ["park_internal", "futex_wait", "epoll_wait", "Condvar", "io_schedule", "finish_task_switch"]),
    ("archiver (local S3 twin)", ["run_archiver"]),
    ("search indexer", ["run_search_indexer"]),
    ("JSON decode of stored items", ["parse_attrs"]),
    ("SQLite write (transaction, WAL frames)",
     ["commit_pending", "apply_writes", "sqlite::run", "pagerWalFrames", "sqlite3VdbeHalt"]),
    ("SQLite reads", ["sqlite3_step", "read_live", "sqlite3_prepare", "Rows::next"]),
    ("allocator", ["_mi_", "mi_free", "mi_theap", "mi_malloc"]),
    ("WebSocket writer (user space)", ["serve_socket"]),
    ("fan-out (audience, queue twin)", ["fanout_queue::work", "post_many", "fanout_to", "audience"]),
    ("send use case (other)", ["messages::<impl shared::app::Chat>::send"]),
    ("HTTP (hyper, axum, routing)", ["hyper::", "axum::"]),
    ("node: JavaScript and runtime", ["(/usr/bin/node)", "[JIT]", "Builtins_", "v8::", "node::"]),
]


def main() -> None:
    counts: collections.Counter = collections.Counter()
    total = 0
    stack: list = []

    def sample() -> None:
        nonlocal total
        if not stack:
            return
        total += 1
        for name, keys in ACTIVITIES:
            if any(k in frame for frame in stack for k in keys):
                counts[name] += 1
                return
        counts["other"] += 1

    for line in sys.stdin:
        if not line.strip():
            sample()
            stack = []
        elif line[0] in " \t":
            stack.append(line.strip())
    sample()
    for name, n in counts.most_common():
        print(f"{100 * n / max(total, 1):5.1f}%  {name}")
    print(f"{total} samples")


if __name__ == "__main__":
    main()
