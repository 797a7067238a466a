#!/usr/bin/env python3
"""Benchmark of `querysight logs` (not a timed test): MB/s and peak memory on a generated 1 GB
PostgreSQL log, next to pgBadger and pt-query-digest measured in the same run when installed
(Debian packages `pgbadger` and `percona-toolkit`; skipped when absent).

    python3 scripts/bench_logs.py [--size 1G] [--yardstick-size 100M] [--keep]

The log comes from scripts/gen_logs.py (deterministic). The yardsticks are an order of
magnitude slower, so they read the first --yardstick-size bytes of the log (pgBadger) and a
MySQL slow log of that size (pt-query-digest); MB/s figures are comparable across sizes.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from gen_logs import size_arg  # noqa: E402


def timed(cmd, stdout=subprocess.DEVNULL):
    """Runs cmd under /usr/bin/time -v when available: (seconds, peak RSS in MB or None, exit code)."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if os.path.exists(gnu_time):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
            start = time.perf_counter()
            rc = subprocess.call([gnu_time, "-v", "-o", t.name] + cmd, stdout=stdout, stderr=subprocess.DEVNULL)
            secs = time.perf_counter() - start
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", t.read())
            return secs, (int(m.group(1)) / 1024 if m else None), rc
    start = time.perf_counter()
    rc = subprocess.call(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, None, rc


def report(name, nbytes, secs, rss):
    mbs = nbytes / (1 << 20) / secs
    rss_text = "%.0f MB" % rss if rss is not None else "n/a"
    print("%-34s %8.0f MB  %7.2f s  %8.1f MB/s  peak RSS %s" % (name, nbytes / (1 << 20), secs, mbs, rss_text))
    return mbs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=size_arg, default=size_arg("1G"))
    ap.add_argument("--yardstick-size", type=size_arg, default=size_arg("100M"))
    ap.add_argument("--dir", default=os.path.join(ROOT, "target", "bench-logs"))
    ap.add_argument("--keep", action="store_true", help="keep the generated logs")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "querysight"], cwd=ROOT)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    qs = os.path.join(target, "release", "querysight")

    big = os.path.join(args.dir, "postgresql-%d.log" % args.size)
    if not os.path.exists(big) or os.path.getsize(big) < args.size:
        subprocess.check_call([sys.executable, os.path.join(ROOT, "scripts", "gen_logs.py"), big, "--size", str(args.size)])
    size = os.path.getsize(big)
    print("cores: %d; input: %s" % (os.cpu_count() or 0, big))
    # Warm the page cache so that every tool reads from memory.
    with open(big, "rb") as f:
        while f.read(1 << 24):
            pass
    secs, rss, rc = timed([qs, "logs", "--output", "json", big])
    if rc not in (0, 1):
        sys.exit("querysight logs failed with exit code %d" % rc)
    ours = report("querysight logs (all cores)", size, secs, rss)
    secs1, rss1, _ = timed([qs, "logs", "--threads", "1", "--output", "json", big])
    report("querysight logs (1 thread)", size, secs1, rss1)

    small = os.path.join(args.dir, "postgresql-head.log")
    with open(big, "rb") as src, open(small, "wb") as dst:
        dst.write(src.read(args.yardstick_size))
        dst.write(src.readline())
    small_size = os.path.getsize(small)
    secs_s, rss_s, _ = timed([qs, "logs", "--output", "json", small])
    report("querysight logs (yardstick input)", small_size, secs_s, rss_s)
    if shutil.which("pgbadger"):
        with tempfile.TemporaryDirectory() as out:
            secs, rss, rc = timed(["pgbadger", "--prefix", "%m [%p] %q%u@%d ", "-j", str(os.cpu_count() or 1),
                                   "-o", os.path.join(out, "out.html"), small])
        theirs = report("pgbadger -j %d" % (os.cpu_count() or 1), small_size, secs, rss)
        print("  querysight / pgbadger: %.1fx" % (ours / theirs))
    else:
        print("pgbadger: not installed (apt-get install pgbadger), skipped")
    if shutil.which("pt-query-digest"):
        slow = os.path.join(args.dir, "mysql-slow.log")
        if not os.path.exists(slow) or os.path.getsize(slow) < args.yardstick_size:
            subprocess.check_call([sys.executable, os.path.join(ROOT, "scripts", "gen_logs.py"), slow,
                                   "--size", str(args.yardstick_size), "--format", "mysql-slow"])
        slow_size = os.path.getsize(slow)
        secs_q, rss_q, _ = timed([qs, "logs", "--output", "json", slow])
        ours_slow = report("querysight logs (mysql slow)", slow_size, secs_q, rss_q)
        secs, rss, _ = timed(["pt-query-digest", slow])
        theirs = report("pt-query-digest", slow_size, secs, rss)
        print("  querysight / pt-query-digest: %.1fx" % (ours_slow / theirs))
    else:
        print("pt-query-digest: not installed (apt-get install percona-toolkit), skipped")
    if not args.keep:
        shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
