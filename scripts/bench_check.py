#!/usr/bin/env python3
"""Benchmark of `querysight check` on real code, against Ruff as the yardstick (not a test).

    python3 scripts/bench_check.py [--bin target/release/querysight] [--runs 3]

Corpora: Django 5.2's `django/` package and django-oscar's `src/` (fetched by
scripts/fetch_corpus.sh into .cache/corpus/ when missing). For each one it measures, as best
wall time of --runs runs:
  querysight check --threads 1 --format json DIR     (single-threaded)
  querysight check --format json DIR                 (all cores)
  ruff check --isolated --select DJ --no-cache --exit-zero DIR   (RAYON_NUM_THREADS=1, then all cores)
plus querysight's peak RSS (/usr/bin/time -v, else getrusage of a child), and prints a table and
whether the targets hold: >= 500,000 lines/s single-threaded, not slower than Ruff, peak RSS
below 2x the corpus's .py source size. Ruff runs with --isolated so that no project's own Ruff
configuration changes what it checks. The default binary is built (cargo build --release -p
querysight) when missing; Ruff is installed into .cache/bench-venv when not on PATH.
Exit code: 0 targets hold, 1 a target missed, 2 an error (missing binary, querysight exit 2).
Stdlib only.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = {
    "django": ROOT / ".cache/corpus/django/django",
    "django-oscar": ROOT / ".cache/corpus/django-oscar/src",
}
DEFAULT_BIN = ROOT / "target/release/querysight"
BENCH_VENV = ROOT / ".cache/bench-venv"
MIN_LINES_PER_SEC = 500_000  # single-threaded, i.e. per core
MAX_RSS_RATIO = 2.0  # peak RSS / .py source bytes


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def ensure_corpora():
    if not all(d.is_dir() for d in CORPORA.values()):
        log("corpus missing: running scripts/fetch_corpus.sh")
        subprocess.run(["bash", str(ROOT / "scripts/fetch_corpus.sh")], check=True, stdout=subprocess.DEVNULL)


def ensure_querysight(path):
    if not path.exists() and path == DEFAULT_BIN:
        log("building the release binary: cargo build --release -p querysight")
        subprocess.run(["cargo", "build", "--release", "-p", "querysight"], cwd=ROOT, check=False)
    if path.exists() and os.access(path, os.X_OK):
        return path
    log(f"error: no querysight binary at {path} (does crates/querysight build a binary yet?); "
        "querysight columns will read n/a")
    return None


def ensure_ruff():
    found = shutil.which("ruff") or (BENCH_VENV / "bin/ruff")
    if not Path(found).exists():
        log(f"ruff not found: installing it into {BENCH_VENV.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run([str(BENCH_VENV / "bin/python"), "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", "ruff"], check=True)
    return str(found)


def measure_source(directory):
    """Lines and bytes of every .py file under directory."""
    lines = size = 0
    for path in directory.rglob("*.py"):
        if path.is_file():
            data = path.read_bytes()
            lines += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
            size += len(data)
    return lines, size


def env_with(threads):
    env = dict(os.environ)
    env.pop("RAYON_NUM_THREADS", None)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    return env


class RunError(Exception):
    pass


def best_time(cmd, runs, ok_codes, env):
    """Best wall time of `runs` runs, in seconds; RunError on an unexpected exit code."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        elapsed = time.perf_counter() - start
        if proc.returncode not in ok_codes:
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-5:]
            raise RunError(f"exit {proc.returncode}: {' '.join(cmd)}\n    " + "\n    ".join(tail))
        best = min(best, elapsed)
    return best


def peak_rss_bytes(cmd, env):
    """Peak RSS of cmd in bytes, and the least this method can report (values at it are upper bounds)."""
    if Path("/usr/bin/time").exists():
        proc = subprocess.run(["/usr/bin/time", "-v", *cmd], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env, text=True, errors="replace")
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        if match:
            return int(match.group(1)) * 1024, 0
    # A fresh interpreter, so that RUSAGE_CHILDREN covers this one command only (ru_maxrss is KiB).
    # Linux counts the spawning interpreter's own peak at exec, so what `true` gives is the floor.
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
             "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    def run(argv):
        out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, env=env)
        return int(out.stdout.strip()) * 1024
    return run(cmd), run(["true"])


def bench(name, directory, qs_bin, ruff, runs):
    lines, size = measure_source(directory)
    log(f"{name}: {lines:,} lines, {size / 1e6:.1f} MB of .py in {directory.relative_to(ROOT)}")
    row = {"corpus": name, "lines": lines, "size": size, "errors": []}
    ruff_cmd = [ruff, "check", "--isolated", "--select", "DJ", "--no-cache", "--exit-zero", str(directory)]
    row["ruff_1"] = lines / best_time(ruff_cmd, runs, {0}, env_with(1))
    row["ruff_all"] = lines / best_time(ruff_cmd, runs, {0}, env_with(None))
    if qs_bin:
        qs_cmd = [str(qs_bin), "check", "--format", "json", str(directory)]
        qs_cmd_1 = [str(qs_bin), "check", "--threads", "1", "--format", "json", str(directory)]
        try:  # exit 1 means findings, 2 an error
            row["qs_1"] = lines / best_time(qs_cmd_1, runs, {0, 1}, env_with(None))
            row["qs_all"] = lines / best_time(qs_cmd, runs, {0, 1}, env_with(None))
            row["rss"], row["rss_floor"] = peak_rss_bytes(qs_cmd, env_with(None))
        except RunError as err:
            row["errors"].append(f"querysight {err}")
    return row


def judge(row):
    """(text for the targets column, list of missed targets)."""
    if row["errors"]:
        return "ERROR (see below)", row["errors"]
    if "rss" not in row:
        return "n/a (no querysight run)", ["querysight did not run"]
    missed = []
    if row["qs_1"] < MIN_LINES_PER_SEC:
        missed.append(f"single-threaded {row['qs_1']:,.0f} lines/s < {MIN_LINES_PER_SEC:,}")
    if row["qs_1"] < row["ruff_1"] or row["qs_all"] < row["ruff_all"]:
        missed.append("slower than ruff")
    if row["rss"] >= MAX_RSS_RATIO * row["size"]:
        missed.append(f"peak RSS >= {MAX_RSS_RATIO:g}x source size")
    return ("all hold" if not missed else "MISSED: " + "; ".join(missed)), missed


def fmt_rate(value):
    return "n/a" if value is None else f"{value:,.0f}"


def print_table(rows):
    header = ["corpus", "lines", "qs 1-thread l/s", "qs all-cores l/s", "ruff 1-thread l/s",
              "ruff all-cores l/s", "qs/ruff 1t | all", "peak RSS MB", "RSS/source", "targets"]
    table = [header]
    for row in rows:
        qs_1, qs_all, rss = row.get("qs_1"), row.get("qs_all"), row.get("rss")
        ratio = "n/a" if rss is None else f"{qs_1 / row['ruff_1']:.2f} | {qs_all / row['ruff_all']:.2f}"
        table.append([
            row["corpus"], f"{row['lines']:,}", fmt_rate(qs_1), fmt_rate(qs_all),
            fmt_rate(row["ruff_1"]), fmt_rate(row["ruff_all"]), ratio,
            "n/a" if rss is None else ("<=" if rss <= row["rss_floor"] else "") + f"{rss / 2**20:.1f}",
            "n/a" if rss is None else f"{rss / row['size']:.2f}",
            judge(row)[0],
        ])
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for i, r in enumerate(table):
        print("  ".join(cell.ljust(w) if j in (0, 9) else cell.rjust(w)
                        for j, (cell, w) in enumerate(zip(r, widths))).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", type=Path, default=DEFAULT_BIN, help="querysight binary")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the best counts")
    args = parser.parse_args()

    ensure_corpora()
    qs_bin = ensure_querysight(args.bin.resolve())
    ruff = ensure_ruff()
    versions = subprocess.run([ruff, "--version"], capture_output=True, text=True).stdout.strip()
    if qs_bin:
        qs_version = subprocess.run([str(qs_bin), "--version"], capture_output=True, text=True)
        versions += ", " + (qs_version.stdout.strip() or "querysight (no --version)")
    print(f"{os.cpu_count()} cores; {versions}; best of {args.runs} runs")
    if qs_bin:  # what any run costs, whatever the corpus: context for the RSS target
        with tempfile.TemporaryDirectory() as empty:
            rss, _ = peak_rss_bytes([str(qs_bin), "check", "--format", "json", empty], env_with(None))
        print(f"querysight peak RSS on an empty directory: {rss / 2**20:.1f} MB")
    print()

    rows = [bench(name, directory, qs_bin, ruff, args.runs) for name, directory in CORPORA.items()]
    print_table(rows)
    templates_ok = True
    if qs_bin:  # issue 4: templates cost at most 1.5x the Python-only run of the same project
        oscar = CORPORA["django-oscar"]
        base = [str(qs_bin), "check", "--format", "json", "--threads", "1", str(oscar)]
        with_t = best_time(base, max(args.runs, 5), (0, 1), env_with(1))
        without = best_time(base + ["--no-templates"], max(args.runs, 5), (0, 1), env_with(1))
        ratio = with_t / without
        templates_ok = ratio <= 1.5
        print(f"\ndjango-oscar, one thread: Python and templates {with_t * 1000:.0f} ms, Python only "
              f"{without * 1000:.0f} ms: {ratio:.2f}x (target <= 1.5x: {'ok' if templates_ok else 'MISSED'})")
    errors = [e for row in rows for e in row["errors"]]
    for err in errors:
        print(f"\nerror: {err}")
    if not qs_bin or errors:
        return 2
    return 0 if all(not judge(row)[1] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
