#!/usr/bin/env python3
"""Run-time overhead of querysight's Django detector, with django-zeal and nplusone beside it
(a benchmark, not a test).

    python3 scripts/bench_runtime.py [--db sqlite|postgres|both] [--rounds N] [--requests N]
                                     [--profile auto|always|never] [--rebuild]

Workload: an ORM-heavy loop with no N+1, in-process, on a small app the script writes to a temp
dir (publishers, authors, books, tags, reviews). Each "request" does a `.get(pk=...)`, a
`select_related` list, a two-level `prefetch_related` list (every eager-loaded relation is
read), a `count()`, an `update()`, a `create()` in `transaction.atomic()`, an `exists()`, a
`values_list()` and an `aggregate()`: ~12 queries on SQLite, ~11 on PostgreSQL (no BEGIN
statement), so --requests 200 (default) is ~2,400 queries per run.

Variants, timed in the same process and interleaved (the order rotates every round) over
--rounds rounds (default 12):

  bare                      no detector: the tool's patches are swapped out (see below);
  bare, again               a second bare series: the noise floor of the ratios;
  querysight idle           querysight installed (patches, execute wrapper), no scope;
  querysight test mode      every request inside `querysight.scope(mode="log", report=False)`,
                            as the pytest plugin and the middleware at SAMPLE_RATE 1 do;
                            asserted: no finding, and the scopes saw every query;
  querysight, one scope     the whole loop inside one scope: the per-query path without the
                            per-scope cost (it finds the loop repeating the same statements
                            from the same lines, as it should; not checked);
  querysight production     every request through `QuerysightMiddleware` with
                            QUERYSIGHT = {"SAMPLE_RATE": 0.01}: `random.random() < rate` per
                            request, the unwatched path plus the ~1% watched requests;
  django-zeal               every request inside `zeal_context()` (ZEAL_RAISE off, alerts
                            counted through its `nplusone_detected` signal);
  nplusone                  every request inside `nplusone.core.profiler.Profiler` with its
                            Django patches installed (`nplusone.ext.django`), collecting its
                            notifications instead of raising.

Each tool runs in its own worker process and is installed the way a project installs it: its app
is added to INSTALLED_APPS (`override_settings`, so its ready() or import patches Django). The
bare yardstick is Django without the tool, in the same process: before the tool's app is added,
the worker snapshots the namespaces of every `django.*` module, their classes and the app's
models; the attributes the tool changes are then swapped out for the bare runs and back in for
the tool's runs, with the connection's execute wrappers and the related-manager classes Django
caches per descriptor. Each tool's ratios are to the bare runs of its own process.

Per-request pairs (after the rounds, --pair-passes passes, default 3): every request runs
unwatched and watched back to back, with the tool's patches in place, and the ratio of the two
CPU times is kept; the median of those ratios, with its 95% confidence interval, is the
finest estimate there is on a shared machine, where slow drifts of the machine's speed swamp
the differences between runs of whole loops. For querysight, idle against bare is paired per
request too: each half swaps the patches in or out, drops the related-manager classes and runs
the request once untimed before the timed run. The test-mode verdict uses them: test mode vs
bare = (test mode / idle) x (idle / bare), the interval from the two intervals' ends; "ok"
when its upper end meets the target, "MISSED" when its lower end misses it. Production is
estimated from the same pairs too, (idle / bare) x (1 + rate x (test mode / idle - 1)), and
printed beside the rounds' verdict.

Measure: CPU time (of the process, plus its PostgreSQL backend's from /proc), because wall time
on a shared machine mostly measures the other processes; the median wall time is printed too.
"ratio" is best CPU time / best bare CPU time (timeit's rule: the least disturbed run); "paired"
is the median, and min-max, of the per-round ratios. A target is "ok" when both estimates meet
it, "MISSED" when both miss it by more than the noise floor (how far "bare, again" is from 1),
"within noise" otherwise. Targets: querysight test mode <= 1.05x bare, production (sampling)
<= 1.01x bare; for reference, prior art measured django-zeal at ~1.17x.
Also printed: querysight's overhead per query in microseconds. When a querysight target is
clearly missed (or with --profile always), a cProfile run of test mode ranks what querysight adds
per function (cProfile inflates small functions: read it for ranking, not for time).

Databases: SQLite in memory (the hardest case for overhead: its queries are the cheapest) and a
throw-away PostgreSQL server (`bash scripts/pg.sh start`, on QUERYSIGHT_PG_PORT, default 54339
here so it does not collide with the tests' server; stopped in a `finally`).

Environment: run it with any python3. It creates .venvs/bench and installs there, only if
missing, Django 5.2 (`django~=5.2.0`), `psycopg[binary]`, `django-zeal` and `nplusone` (a peer
that cannot be installed or run is reported and left out), and querysight from a release wheel
built by `.venvs/tools/bin/maturin build --release -o target/wheels-release` (.venvs/tools is
created with maturin when missing). The wheel is rebuilt and reinstalled when the source
(python/querysight, crates/, Cargo.*, pyproject.toml) changed since the installed build, or with
--rebuild. Then the script re-executes itself in .venvs/bench. A run takes ~10 minutes.
Exit code: 0 no target clearly missed, 1 a target missed by more than the noise or an assertion
failed, 2 an error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / ".venvs" / "bench"
TOOLS_VENV = ROOT / ".venvs" / "tools"
WHEELS = ROOT / "target" / "wheels-release"
STAMP = BENCH_VENV / "querysight-source.sha256"
PG_PORT = os.environ.get("QUERYSIGHT_PG_PORT", "54339")

TARGET_TEST = 1.05
TARGET_PROD = 1.01
ZEAL_PRIOR_ART = 1.17
SAMPLE_RATE = 0.01
REQUIREMENTS = {  # distribution -> pip requirement
    "Django": "django~=5.2.0",
    "psycopg": "psycopg[binary]",
    "psycopg-binary": "psycopg[binary]",
    "django-zeal": "django-zeal",
    "nplusone": "nplusone",
}
OPTIONAL = {"django-zeal", "nplusone"}  # the bench goes on without them


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# =============================================================================================
# 1. Environment (runs with any python3, stdlib only)
# =============================================================================================


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def in_bench_venv() -> bool:
    return Path(sys.prefix).resolve() == BENCH_VENV.resolve()


def source_hash() -> str:
    """What the wheel is built from: the package's Python files and the Rust workspace."""
    h = hashlib.sha256()
    files = [ROOT / "Cargo.toml", ROOT / "Cargo.lock", ROOT / "pyproject.toml"]
    for base in (ROOT / "python" / "querysight", ROOT / "crates"):
        for path in sorted(base.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or "target" in path.parts:
                continue
            if path.suffix in (".so", ".pyd", ".pyc"):
                continue
            files.append(path)
    for path in files:
        if path.is_file():
            h.update(str(path.relative_to(ROOT)).encode())
            h.update(b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def installed_dists(python: Path) -> dict[str, str]:
    code = (
        "import json, importlib.metadata as m\n"
        f"names = {sorted(set(REQUIREMENTS) | {'querysight'})!r}\n"
        "out = {}\n"
        "for n in names:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    return json.loads(subprocess.check_output([str(python), "-c", code], text=True))


def ensure_tools_venv() -> Path:
    maturin = TOOLS_VENV / "bin" / "maturin"
    if not maturin.exists():
        log(f"creating {TOOLS_VENV.relative_to(ROOT)} with maturin")
        if not venv_python(TOOLS_VENV).exists():
            subprocess.run([sys.executable, "-m", "venv", str(TOOLS_VENV)], check=True)
        subprocess.run([str(venv_python(TOOLS_VENV)), "-m", "pip", "install", "-q", "maturin"], check=True)
    return maturin


def build_wheel() -> Path:
    maturin = ensure_tools_venv()
    WHEELS.mkdir(parents=True, exist_ok=True)
    started = time.time()
    log("building the querysight release wheel (maturin build --release)")
    subprocess.run(
        [str(maturin), "build", "--release", "-o", str(WHEELS), "-i", str(venv_python(BENCH_VENV))],
        cwd=ROOT, check=True, stdout=sys.stderr,
    )
    wheels = sorted(WHEELS.glob("querysight-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels or wheels[-1].stat().st_mtime < started - 1:
        raise SystemExit("maturin build produced no wheel in target/wheels-release")
    return wheels[-1]


def ensure_bench_venv(rebuild: bool) -> None:
    python = venv_python(BENCH_VENV)
    if not python.exists():
        log(f"creating {BENCH_VENV.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    have = installed_dists(python)
    missing = []
    for dist, req in REQUIREMENTS.items():
        ok = dist in have and (dist != "Django" or have[dist].startswith("5.2."))
        if not ok and req not in missing:
            missing.append(req)
    required = [r for r in missing if r not in ("django-zeal", "nplusone")]
    if required:
        log(f"installing into the bench venv: {' '.join(required)}")
        subprocess.run([str(python), "-m", "pip", "install", "-q", *required], check=True)
    for req in (r for r in missing if r in ("django-zeal", "nplusone")):
        log(f"installing into the bench venv: {req}")
        if subprocess.run([str(python), "-m", "pip", "install", "-q", req]).returncode != 0:
            log(f"warning: {req} could not be installed; it is left out")
    digest = source_hash()
    stamp = STAMP.read_text().strip() if STAMP.exists() else ""
    if rebuild or "querysight" not in have or stamp != digest:
        wheel = build_wheel()
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(wheel)],
            check=True,
        )
        STAMP.write_text(digest + "\n")


# =============================================================================================
# 2. Driver (in the bench venv): PostgreSQL, workers, tables
# =============================================================================================

VARIANT_LABELS = {
    "bare": "bare (no detector)",
    "bare2": "bare, again (noise floor)",
    "qs_test": "querysight test mode (scope per request)",
    "qs_one": "querysight, one scope around the loop",
    "qs_idle": "querysight installed, no scope (idle)",
    "qs_prod": f"querysight production (SAMPLE_RATE={SAMPLE_RATE})",
    "zeal": "django-zeal (zeal_context per request)",
    "nplusone": "nplusone (Profiler per request)",
}
TOOLS = ("querysight", "zeal", "nplusone")


def run_worker(tool: str, db: str, args: argparse.Namespace, env: dict[str, str], profile: bool = False) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".json", prefix="qs-bench-") as out:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", tool, "--db", db,
               "--rounds", str(args.rounds), "--requests", str(args.requests), "--out", out.name,
               "--pair-passes", str(args.pair_passes)]
        if profile:
            cmd.append("--profile-worker")
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        text = out.read()
        if proc.returncode != 0 or not text:
            tail = "\n".join(proc.stdout.strip().splitlines()[-15:])
            return {"error": f"worker exited {proc.returncode}:\n{tail}"}
        result = json.loads(text)
        if proc.stdout.strip():
            result["stdout"] = proc.stdout
        return result


def median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def summarize(result: dict) -> dict[str, dict]:
    """Per variant: best and median CPU seconds, median wall seconds, the ratio of best CPU
    times to bare's, and the median and range of the per-round CPU ratios to bare."""
    out = {}
    bare = result["cpu"]["bare"]
    for name in result["times"]:
        wall, cpu = result["times"][name], result["cpu"][name]
        paired = [t / b for t, b in zip(cpu, bare)]
        out[name] = {
            "wall": median(wall),
            "best": min(cpu),
            "median": median(cpu),
            "ratio": min(cpu) / min(bare),
            "paired": median(paired),
            "lo": min(paired),
            "hi": max(paired),
            "queries": result["queries"][name],
            "overhead": min(cpu) - min(bare),
        }
    return out


def print_table(db: str, results: dict[str, dict], args: argparse.Namespace,
                failures: list[str], inconclusive: list[str]) -> None:
    """Prints the table of one database; appends the targets missed (and failed assertions)
    to ``failures``, the targets neither clearly met nor clearly missed to ``inconclusive``."""
    title = {"sqlite": "SQLite (in memory)", "postgres": "PostgreSQL (Unix socket, fsync off)"}[db]
    qs = results.get("querysight", {})
    queries = qs.get("queries", {}).get("bare") if "error" not in qs else None
    per_request = f", ~{queries / args.requests:.0f} queries each" if queries else ""
    print(f"\n== {title}: {args.requests} requests per run{per_request}; {args.rounds} interleaved rounds ==")
    cpu_of = "this process + its PostgreSQL backend" if db == "postgres" else "this process"
    if qs.get("server_version"):
        print(f"server: {qs['server_version']}")
    print(f"CPU = CPU time of {cpu_of}. ratio = best CPU / best CPU of bare in the same process "
          f"(timeit's rule: the least disturbed run);\npaired = median over rounds of CPU / CPU of bare in "
          f"the same round, with its min-max range (the noise shows in bare, again)")
    header = (f"{'variant':<46} {'wall s':>7} {'CPU s':>7} {'queries':>7} {'ratio':>7}  {'paired':>7} "
              f"{'range':<11}  target")
    print(header)
    print("-" * len(header))
    for tool in TOOLS:
        res = results.get(tool)
        if res is None:
            continue
        label = {"querysight": "querysight", "zeal": "django-zeal", "nplusone": "nplusone"}[tool]
        if "error" in res:
            print(f"{label}: could not run with Django 5.2 here: {res['error']}")
            continue
        rows = summarize(res)
        noise = 0.0
        if "bare2" in rows:
            noise = max(abs(rows["bare2"]["ratio"] - 1.0), abs(rows["bare2"]["paired"] - 1.0))

        def verdict(what: str, row: dict, limit: float) -> str:
            """ok when both estimates hold; MISSED when both miss by more than the noise floor."""
            if row["ratio"] <= limit and row["paired"] <= limit:
                return "ok"
            low = min(row["ratio"], row["paired"])
            if low - noise > limit:
                failures.append(f"{db}: querysight {what} {row['ratio']:.3f}x (paired {row['paired']:.3f}x) > {limit}x")
                return "MISSED"
            inconclusive.append(f"{db}: querysight {what} {row['ratio']:.3f}x (paired {row['paired']:.3f}x) vs "
                                f"{limit}x: within the noise floor (+-{noise:.1%})")
            return "within noise"

        for name, row in rows.items():
            if tool != "querysight" and name == "bare":
                title_ = f"  bare, {label}'s process"
            else:
                title_ = VARIANT_LABELS[name]
                if name in ("zeal", "nplusone") and res.get("version"):
                    title_ = title_.replace(" (", f" {res['version']} (", 1)
            target = ""
            if name == "qs_test" and res.get("pairs", {}).get("qs_test"):
                target = f"<= {TARGET_TEST:.2f}x  see the per-request pairs below"
            elif name == "qs_test":
                target = f"<= {TARGET_TEST:.2f}x  {verdict('test mode', row, TARGET_TEST)}"
            elif name == "qs_prod":
                target = f"<= {TARGET_PROD:.2f}x  {verdict('production', row, TARGET_PROD)}"
            elif name == "zeal":
                target = f"(prior art: ~{ZEAL_PRIOR_ART:.2f}x)"
            paired = f"{row['paired']:>6.3f}x {row['lo']:.3f}-{row['hi']:.3f}" if name != "bare" else ""
            print(f"{title_:<46} {row['wall']:>7.3f} {row['best']:>7.3f} {row['queries']:>7} "
                  f"{row['ratio']:>6.3f}x  {paired:<20}  {target}")
        for line in res.get("stdout", "").splitlines():
            if line.startswith("warning:"):
                print(f"  {label} {line}")
        request_pairs = res.get("pairs", {})
        for name, ratios in request_pairs.items():
            med, lo, hi = median_ci(ratios)
            what = {"qs_test": "querysight test mode / the same request unwatched",
                    "qs_idle": "querysight installed, idle / the same request on bare Django",
                    "zeal": "django-zeal / the same request unwatched",
                    "nplusone": "nplusone / the same request unwatched"}[name]
            print(f"  per-request pairs, {what} ({len(ratios)} pairs): median {med:.3f}x, 95% CI {lo:.3f}-{hi:.3f}")
        if tool == "querysight" and request_pairs.get("qs_test") and request_pairs.get("qs_idle"):
            med, lo, hi = median_ci(request_pairs["qs_test"])
            imed, ilo, ihi = median_ci(request_pairs["qs_idle"])
            estimate, low, high = med * imed, lo * ilo, hi * ihi
            if high <= TARGET_TEST:
                word = "ok"
            elif low > TARGET_TEST:
                word = "MISSED"
                failures.append(f"{db}: querysight test mode {estimate:.3f}x (per-request pairs, CI {low:.3f}-{high:.3f})"
                                f" > {TARGET_TEST}x")
            else:
                word = "within noise"
                inconclusive.append(f"{db}: querysight test mode {estimate:.3f}x (per-request pairs, CI "
                                    f"{low:.3f}-{high:.3f}) vs {TARGET_TEST}x")
            print(f"  test mode vs bare = (test / idle) x (idle / bare), per-request pairs: {estimate:.3f}x, "
                  f"CI {low:.3f}-{high:.3f}: target <= {TARGET_TEST:.2f}x {word}")
            # Production watches SAMPLE_RATE of the requests: idle for the rest.
            prod = lambda i, t: i * (1 + SAMPLE_RATE * (t - 1))  # noqa: E731
            p_est, p_low, p_high = prod(imed, med), prod(ilo, lo), prod(ihi, hi)
            p_word = "ok" if p_high <= TARGET_PROD else ("MISSED" if p_low > TARGET_PROD else "within noise")
            print(f"  production from the same pairs, (idle / bare) x (1 + rate x (test / idle - 1)): {p_est:.3f}x, "
                  f"CI {p_low:.3f}-{p_high:.3f}: target <= {TARGET_PROD:.2f}x {p_word} (the rounds' verdict above "
                  f"stands)")
        if tool == "querysight":
            test, one, prod, idle = rows["qs_test"], rows["qs_one"], rows["qs_prod"], rows["qs_idle"]
            us = lambda row: row["overhead"] / row["queries"] * 1e6  # noqa: E731
            facts = res["facts"]
            check = []
            if facts["qs_test_findings"]:
                failures.append(f"{db}: querysight test mode reported {facts['qs_test_findings']} findings")
                check.append(f"FAILED: {facts['qs_test_findings']} findings: {facts['qs_test_example']}")
            else:
                check.append("no finding")
            seen, want = facts["qs_test_seen"], res["queries"]["qs_test"]
            if seen != want:
                failures.append(f"{db}: querysight test mode saw {seen} of {want} queries")
                check.append(f"FAILED: querysight saw {seen} of {want} queries")
            else:
                check.append(f"saw all {seen} queries")
            if facts["log_records"]:
                failures.append(f"{db}: querysight logged: {facts['log_example']}")
                check.append(f"FAILED: querysight logged {facts['log_records']} records: {facts['log_example']}")
            watched = facts["qs_prod_watched"]
            print(f"  querysight overhead per query (best CPU - best bare CPU) / queries: test mode {us(test):.1f} us "
                  f"({test['overhead'] / args.requests * 1e6:.0f} us per request/scope), one scope {us(one):.1f} us, "
                  f"idle {us(idle):.2f} us, production {us(prod):.2f} us")
            expected = (1 - SAMPLE_RATE) * idle["ratio"] + SAMPLE_RATE * test["ratio"]
            print(f"  production expected from the rows above, (1 - rate) * idle + rate * test mode: "
                  f"{expected:.3f}x (the sampled requests alone add {SAMPLE_RATE * (test['ratio'] - 1):.1%}); "
                  f"noise floor (bare, again): +-{noise:.1%}")
            print(f"  test mode: {', '.join(check)}")
            print(f"  one scope: {facts['qs_one_findings']} findings ({facts['qs_one_kinds']}): the loop repeats "
                  f"the same statements from the same lines across requests; expected, not checked")
            print(f"  production: requests watched per run {min(watched)}-{max(watched)} of {args.requests} "
                  f"(mean {sum(watched) / len(watched):.1f}, expected {SAMPLE_RATE * args.requests:.1f}), "
                  f"{facts['qs_prod_findings']} findings logged")
            print(f"  swapped out for bare: {facts['patches']}")
        elif tool == "zeal":
            print(f"  django-zeal: {res['facts']['findings']} alerts; swapped out for bare: {res['facts']['patches']}")
        elif tool == "nplusone":
            f = res["facts"]
            example = f"; e.g. {f['example']}" if f["findings"] else ""
            print(f"  nplusone: {f['findings']} notifications{example}; swapped out for bare: {f['patches']}")


def driver(args: argparse.Namespace) -> int:
    import django

    import querysight

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    load = os.getloadavg()
    source = STAMP.read_text().strip()[:12] if STAMP.exists() else "?"
    print(f"querysight runtime benchmark: Python {sys.version.split()[0]}, Django {django.get_version()}, "
          f"querysight from {Path(querysight.__file__).parent} (source {source}), "
          f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if STAMP.exists() and STAMP.read_text().strip() != source_hash():
        print("warning: the source changed since the installed querysight wheel was built; "
              "run with the system python3 (or --rebuild) to rebuild it")
    failures: list[str] = []
    inconclusive: list[str] = []
    for db in dbs:
        env = dict(os.environ)
        pg_dir = None
        try:
            if db == "postgres":
                env["QUERYSIGHT_PG_PORT"] = PG_PORT
                pg_dir = subprocess.check_output(["bash", str(ROOT / "scripts" / "pg.sh"), "start"],
                                                 env=env, text=True).strip().splitlines()[-1]
                env["PGHOST"] = pg_dir
                env["PGPORT"] = PG_PORT
            results = {}
            for tool in TOOLS:
                log(f"[{db}] {tool} ...")
                results[tool] = run_worker(tool, db, args, env)
            print_table(db, results, args, failures, inconclusive)
            missed = [f for f in failures if f.startswith(f"{db}: querysight") and ") > " in f]
            if args.profile == "always" or (args.profile == "auto" and missed):
                log(f"[{db}] profiling querysight test mode ...")
                prof = run_worker("querysight", db, args, env, profile=True)
                print(f"\n-- cProfile of querysight test mode on {db} --")
                print(prof.get("profile") or prof.get("error"))
        finally:
            if pg_dir:
                subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "stop", pg_dir], env=env)
    print()
    if inconclusive:
        print("INCONCLUSIVE (rerun on a quieter machine or with more --rounds):\n  " + "\n  ".join(inconclusive))
    if failures:
        print("MISSED / FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("no querysight target clearly missed" if inconclusive else "all querysight targets hold")
    return 0


# =============================================================================================
# 3. Worker (in the bench venv, one process per tool and database)
# =============================================================================================

APP_MODELS = '''
from django.db import models


class Publisher(models.Model):
    name = models.CharField(max_length=100)


class Author(models.Model):
    name = models.CharField(max_length=100)
    publisher = models.ForeignKey(Publisher, models.CASCADE, related_name="authors")


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Book(models.Model):
    title = models.CharField(max_length=200)
    pages = models.IntegerField(default=100)
    author = models.ForeignKey(Author, models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag, related_name="books")


class Review(models.Model):
    book = models.ForeignKey(Book, models.CASCADE, related_name="reviews")
    stars = models.IntegerField()
'''

APP_NAME = "qsbenchapp"
PUBLISHERS, AUTHORS_PER, BOOKS_PER, TAGS, TAGS_PER_BOOK = 20, 5, 5, 30, 3
MISSING = object()


def write_app() -> str:
    tmp = tempfile.mkdtemp(prefix="qs-bench-app-")
    pkg = Path(tmp) / APP_NAME
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text(APP_MODELS)
    return tmp


def configure(db: str) -> None:
    from django.conf import settings

    if db == "postgres":
        database = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "postgres",
            "USER": "postgres",
            "HOST": os.environ["PGHOST"],
            "PORT": os.environ.get("PGPORT", PG_PORT),
        }
    else:
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    settings.configure(
        DEBUG=False,
        USE_TZ=True,
        SECRET_KEY="querysight-bench",
        DATABASES={"default": database},
        INSTALLED_APPS=["django.contrib.contenttypes", APP_NAME],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        QUERYSIGHT={"MODE": "log", "SAMPLE_RATE": SAMPLE_RATE},
        ZEAL_RAISE=False,
        NPLUSONE_RAISE=False,
        LOGGING_CONFIG=None,
    )


class Patches:
    """Swaps a tool's changes to Django's namespaces out (bare) and back in (the tool's runs)."""

    _PRELOAD = (
        "django.db.models.query", "django.db.models.query_utils", "django.db.models.manager",
        "django.db.models.sql.compiler", "django.db.models.fields.related_descriptors",
        "django.db.models.deletion", "django.contrib.contenttypes.fields", "django.template.base",
        "django.template.defaulttags", "django.template.loader_tags", "django.template.response",
        "django.core.handlers.base", "django.test.utils", "django.test.signals",
    )

    def __init__(self) -> None:
        import importlib

        from django.db import connections

        for name in self._PRELOAD:
            importlib.import_module(name)
        self.snapshot = [(obj, dict(vars(obj))) for obj in self._tracked()]
        self.modules = {name for name in sys.modules}
        self.connections = connections
        self.wrappers_off = {c.alias: list(c.execute_wrappers) for c in connections.all()}
        self.wrappers_on: dict[str, list] = {}
        self.changes: dict[tuple[int, str], tuple[object, str, object, object]] = {}
        self.state = "off"

    @staticmethod
    def _tracked() -> list:
        seen: set[int] = set()
        out = []
        for name, module in list(sys.modules.items()):
            if module is None or not (name == "django" or name.startswith(("django.", APP_NAME))):
                continue
            out.append(module)
            for value in list(vars(module).values()):
                if isinstance(value, type) and value.__module__ == name and id(value) not in seen:
                    seen.add(id(value))
                    out.append(value)
        return out

    def _diff(self) -> list[tuple[object, str, object, object]]:
        found = []
        for obj, before in self.snapshot:
            now = vars(obj)
            if len(now) == len(before) and all(now.get(k, MISSING) is v for k, v in before.items()):
                continue
            for key in set(before) | set(now):
                old, new = before.get(key, MISSING), now.get(key, MISSING)
                if old is not new:
                    found.append((obj, key, old, new))
        return found

    def installed(self) -> None:
        """Call right after the tool is installed: records its changes; the state is 'on'."""
        self.state = "on"
        self.wrappers_on = {c.alias: list(c.execute_wrappers) for c in self.connections.all()}
        self._collect()
        # django.test.signals imports staticfiles when INSTALLED_APPS changes: not the tool's doing.
        late = sorted(m for m in set(sys.modules) - self.modules
                      if m.startswith("django") and not m.startswith("django.contrib.staticfiles"))
        if late:
            log(f"warning: Django modules first imported by the tool (not swapped): {', '.join(late)}")

    def _collect(self) -> None:
        for obj, key, old, new in self._diff():
            if isinstance(new, types.ModuleType):  # a submodule imported since: not a patch
                continue
            self.changes[(id(obj), key)] = (obj, key, old, new)

    def describe(self) -> str:
        names = sorted(f"{getattr(o, '__qualname__', getattr(o, '__name__', '?'))}.{k}"
                       for o, k, _, _ in self.changes.values())
        wrappers = sum(len(v) for v in self.wrappers_on.values()) - sum(len(v) for v in self.wrappers_off.values())
        shown = ", ".join(names[:12]) + (f", ... ({len(names)} in all)" if len(names) > 12 else "")
        return f"{shown or 'none'}" + (f"; +{wrappers} execute wrapper(s)" if wrappers else "")

    @staticmethod
    def _set(obj: object, key: str, value: object) -> None:
        if value is MISSING:
            if key in vars(obj):
                delattr(obj, key)
        else:
            setattr(obj, key, value)

    def set(self, state: str) -> None:
        if state == self.state:
            return
        if state == "off":
            self._collect()  # patches the tool made lazily, while it was on
            for obj, key, old, _ in self.changes.values():
                self._set(obj, key, old)
            leftover = [c for c in self._diff() if not isinstance(c[3], types.ModuleType)]
            if leftover:
                raise RuntimeError(f"bare state not restored: {[(k, o) for o, k, _, _ in leftover][:5]}")
            wrappers = self.wrappers_off
        else:
            for obj, key, _, new in self.changes.values():
                self._set(obj, key, new)
            wrappers = self.wrappers_on
        for conn in self.connections.all():
            conn.execute_wrappers[:] = wrappers.get(conn.alias, [])
        self.state = state

    def check(self) -> None:
        """After a run: the connection's execute wrappers are those of the current state."""
        expected = self.wrappers_on if self.state == "on" else self.wrappers_off
        for conn in self.connections.all():
            if list(conn.execute_wrappers) != expected.get(conn.alias, []):
                raise RuntimeError(f"execute wrappers changed during a {self.state} run: {conn.execute_wrappers}")


def clear_manager_caches() -> None:
    """Related-manager classes are built by factory functions (which tools patch) and cached
    on the descriptors: dropped before every run, so each run builds them in its own state."""
    from django.apps import apps

    for model in apps.get_models(include_auto_created=True):
        for value in vars(model).values():
            cache = getattr(value, "__dict__", None)
            if isinstance(cache, dict):
                cache.pop("related_manager_cls", None)


class FakeRequest:
    __slots__ = ("i", "method", "path")

    def __init__(self, i: int) -> None:
        self.i = i
        self.method = "GET"
        self.path = f"/bench/{i}/"


class FakeResponse:
    status_code = 200

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}


class Workload:
    def __init__(self, requests: int) -> None:
        from django.apps import apps

        m = apps.get_app_config(APP_NAME)
        self.Publisher, self.Author, self.Tag = m.get_model("Publisher"), m.get_model("Author"), m.get_model("Tag")
        self.Book, self.Review = m.get_model("Book"), m.get_model("Review")
        self.requests = [FakeRequest(i) for i in range(requests)]

    def create_schema(self, db: str) -> None:
        from django.apps import apps
        from django.db import connection

        if db == "postgres":
            with connection.cursor() as cursor:
                cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        with connection.schema_editor() as editor:
            for model in apps.get_app_config(APP_NAME).get_models():
                editor.create_model(model)

    def seed(self) -> None:
        from django.db import transaction

        with transaction.atomic():
            pubs = self.Publisher.objects.bulk_create(self.Publisher(name=f"pub {i}") for i in range(PUBLISHERS))
            authors = self.Author.objects.bulk_create(
                self.Author(name=f"author {p.pk}.{j}", publisher=p) for p in pubs for j in range(AUTHORS_PER))
            books = self.Book.objects.bulk_create(
                self.Book(title=f"book {a.pk}.{j}", pages=100 + j, author=a) for a in authors for j in range(BOOKS_PER))
            tags = self.Tag.objects.bulk_create(self.Tag(name=f"tag {i}") for i in range(TAGS))
            through = self.Book.tags.through
            through.objects.bulk_create(
                through(book=b, tag=tags[(k * 7 + j) % TAGS])
                for k, b in enumerate(books) for j in range(TAGS_PER_BOOK))
            self.Review.objects.bulk_create(
                self.Review(book=b, stars=1 + (k + j) % 5) for k, b in enumerate(books) for j in range(2))
        self.pub_ids = [p.pk for p in pubs]
        self.author_ids = [a.pk for a in authors]
        self.book_ids = [b.pk for b in books]
        self.tag_ids = [t.pk for t in tags]
        self.review_max = self.Review.objects.order_by("-pk").values_list("pk", flat=True).first()

    def reset(self) -> None:
        """Untimed, after each run: the reviews a run created are deleted."""
        self.Review.objects.filter(pk__gt=self.review_max).delete()

    def handle(self, request: FakeRequest) -> FakeResponse:
        """One request: ~12 queries, every relation eager-loaded, no N+1."""
        from django.db import transaction
        from django.db.models import F, Prefetch, Sum

        i = request.i
        pid = self.pub_ids[i % len(self.pub_ids)]
        aid = self.author_ids[(i * 7) % len(self.author_ids)]
        bid = self.book_ids[(i * 13) % len(self.book_ids)]
        tid = self.tag_ids[i % len(self.tag_ids)]
        Book = self.Book

        author = self.Author.objects.get(pk=aid)
        total = len(author.name)
        books = list(
            Book.objects.filter(author__publisher_id=pid).select_related("author__publisher").order_by("pk")[:20])
        for book in books:
            total += len(book.title) + len(book.author.name) + len(book.author.publisher.name)
        authors = list(
            self.Author.objects.filter(publisher_id=pid)
            .order_by("pk")
            .prefetch_related(Prefetch("books", queryset=Book.objects.order_by("pk")), "books__tags")
        )
        for a in authors:
            for book in a.books.all():
                for tag in book.tags.all():
                    total += len(tag.name)
        total += Book.objects.filter(author_id=aid).count()
        Book.objects.filter(pk=bid).update(pages=F("pages") + 1)
        with transaction.atomic():
            self.Review.objects.create(book_id=bid, stars=1 + i % 5)
        total += self.Review.objects.filter(book_id=bid, stars__gte=3).exists()
        total += len(list(Book.objects.filter(tags__id=tid).order_by("pk").values_list("title", flat=True)[:10]))
        total += Book.objects.filter(author__publisher_id=pid).aggregate(s=Sum("pages"))["s"] or 0
        response = FakeResponse()
        response.total = total  # type: ignore[attr-defined]
        return response


class Facts(dict):
    pass


#: variant -> the same watching for one request (for the per-request pairs; see `pairs`).
PER_REQUEST: dict[str, object] = {}


def pairs(work: Workload, watched, passes: int) -> list[float]:
    """Per-request pairs, the finest pairing there is: each request runs once with the tool
    installed and not watching ("idle") and once watched, back to back (which goes first
    alternates), and the ratio of the two CPU times is kept; `passes` passes over the
    requests. Both halves run with the tool's patches in place, so no patch is swapped and no
    cache rebuilt between them; the idle-to-bare factor comes from the interleaved rounds.
    CPU time of this thread only: on PostgreSQL the server's CPU (the same SQL in both
    halves) is left out, which makes the ratio larger, never smaller."""
    import gc

    handle = work.handle
    ratios = []
    clock = time.thread_time_ns
    for p in range(passes):
        gc.collect()
        for i, req in enumerate(work.requests):
            if (i + p) % 2:
                t0 = clock(); watched(req); t1 = clock(); handle(req); t2 = clock()
                ratios.append((t1 - t0) / max(t2 - t1, 1))
            else:
                t0 = clock(); handle(req); t1 = clock(); watched(req); t2 = clock()
                ratios.append((t2 - t1) / max(t1 - t0, 1))
        work.reset()
    return ratios


def pairs_bare(work: Workload, patches: "Patches", passes: int) -> list[float]:
    """Per-request pairs of the tool installed and idle against bare Django: each half sets
    its state (the tool's patches swapped in or out, the related-manager classes dropped),
    runs the request once untimed (the classes are rebuilt there) and then times it. Which
    half goes first alternates."""
    import gc

    handle = work.handle
    ratios = []
    clock = time.thread_time_ns

    def timed(state: str, req: FakeRequest) -> int:
        patches.set(state)
        clear_manager_caches()
        handle(req)
        t0 = clock()
        handle(req)
        return clock() - t0

    for p in range(passes):
        gc.collect()
        for i, req in enumerate(work.requests):
            if (i + p) % 2:
                on = timed("on", req)
                off = timed("off", req)
            else:
                off = timed("off", req)
                on = timed("on", req)
            ratios.append(on / max(off, 1))
        patches.set("off")
        work.reset()
    return ratios


def median_ci(values: list[float]) -> tuple[float, float, float]:
    """The median and a distribution-free 95% confidence interval for it (order statistics:
    ranks n/2 -+ 0.98 sqrt(n))."""
    s = sorted(values)
    n = len(s)
    half = int(0.98 * n ** 0.5) + 1
    return median(s), s[max(n // 2 - half, 0)], s[min(n // 2 + half, n - 1)]


def make_variants(tool: str, work: Workload, facts: Facts) -> dict[str, tuple[str, object]]:
    """name -> (state of the tool's patches, run function)."""
    reqs, handle = work.requests, work.handle

    def bare() -> None:
        for req in reqs:
            handle(req)

    variants: dict[str, tuple[str, object]] = {"bare": ("off", bare)}
    if tool == "querysight":
        import querysight
        from querysight.middleware import QuerysightMiddleware

        def qs_test() -> None:
            findings, seen, example = 0, 0, ""
            for req in reqs:
                with querysight.scope("bench", mode="log", report=False) as s:
                    handle(req)
                if s.findings:
                    findings += len(s.findings)
                    example = example or s.findings[0].describe()
                seen += s.query_count
            facts.update(qs_test_findings=findings, qs_test_seen=seen, qs_test_example=example)

        def qs_one() -> None:
            with querysight.scope("bench", mode="log", report=False) as s:
                for req in reqs:
                    handle(req)
            kinds: dict[str, int] = {}
            for f in s.findings:
                kinds[f.kind] = kinds.get(f.kind, 0) + 1
            facts.update(qs_one_findings=len(s.findings), qs_one_kinds=", ".join(f"{k} {v}" for k, v in kinds.items()))

        watched = [0]

        def get_response(req: FakeRequest) -> FakeResponse:
            if querysight.current() is not None:
                watched[0] += 1
            return handle(req)

        middleware = QuerysightMiddleware(get_response)

        seeds = iter(range(1, 1_000_000))

        def qs_prod() -> None:
            import random

            random.seed(next(seeds))  # another draw every run, the same draws every time
            watched[0] = 0
            for req in reqs:
                middleware(req)
            facts.setdefault("qs_prod_watched", []).append(watched[0])

        variants.update(bare2=("off", bare), qs_idle=("on", bare), qs_test=("on", qs_test), qs_one=("on", qs_one),
                        qs_prod=("on", qs_prod))

        def one_scope(req: FakeRequest) -> None:
            with querysight.scope("bench", mode="log", report=False):
                handle(req)

        PER_REQUEST["qs_test"] = one_scope
    elif tool == "zeal":
        from zeal import zeal_context

        def zeal() -> None:
            for req in reqs:
                with zeal_context():
                    handle(req)

        def zeal_one(req: FakeRequest) -> None:
            with zeal_context():
                handle(req)

        variants["zeal"] = ("on", zeal)
        PER_REQUEST["zeal"] = zeal_one
    elif tool == "nplusone":
        from nplusone.core.profiler import Profiler

        notes: list[str] = []

        class Collecting(Profiler):
            def notify(self, message):  # collect instead of raising, like a logging notifier
                notes.append(message.message)

        def nplusone() -> None:
            for req in reqs:
                with Collecting():
                    handle(req)
            facts.update(findings=len(notes), example=notes[0] if notes else "")

        def nplusone_one(req: FakeRequest) -> None:
            with Collecting():
                handle(req)

        facts["notes"] = notes
        variants["nplusone"] = ("on", nplusone)
        PER_REQUEST["nplusone"] = nplusone_one
    return variants


def install_tool(tool: str) -> str:
    """Adds the tool's app to INSTALLED_APPS (its ready() / import patches Django)."""
    from importlib.metadata import version

    from django.conf import settings
    from django.test.utils import override_settings

    app = {"querysight": "querysight", "zeal": "zeal", "nplusone": "nplusone.ext.django"}[tool]
    override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, app]).enable()
    dist = {"querysight": "querysight", "zeal": "django-zeal", "nplusone": "nplusone"}[tool]
    return version(dist)


def worker(args: argparse.Namespace) -> int:
    import gc
    import logging

    import atexit
    import shutil

    app_dir = write_app()
    atexit.register(shutil.rmtree, app_dir, True)
    sys.path.insert(0, app_dir)
    configure(args.db)
    import django

    django.setup()
    from django.db import connection

    work = Workload(args.requests)
    work.create_schema(args.db)
    work.seed()
    patches = Patches()
    version = install_tool(args.worker)
    patches.installed()
    clear_manager_caches()

    facts = Facts(patches=patches.describe())
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logging.getLogger("querysight").addHandler(Keep(logging.WARNING))
    logging.getLogger("querysight").propagate = False
    if args.worker == "zeal":
        import warnings

        from zeal.signals import nplusone_detected

        warnings.simplefilter("ignore")
        alerts = [0]

        def count(**kwargs: object) -> None:
            alerts[0] += 1

        nplusone_detected.connect(count, weak=False)
    variants = make_variants(args.worker, work, facts)

    backend_pid = None
    if args.db == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend_pid = cursor.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        """CPU seconds of this process, plus its PostgreSQL backend's (from /proc)."""
        seconds = time.process_time()
        if backend_pid is not None:
            fields = Path(f"/proc/{backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        return seconds

    def run(name: str) -> tuple[float, float]:
        state, fn = variants[name]
        patches.set(state)
        clear_manager_caches()
        gc.collect()
        start, start_cpu = time.perf_counter(), cpu()
        fn()
        elapsed, elapsed_cpu = time.perf_counter() - start, cpu() - start_cpu
        patches.check()
        work.reset()
        return elapsed, elapsed_cpu

    if args.profile_worker:
        return profile_worker(args, run)

    # Untimed pass: warms caches up and counts each variant's queries.
    queries: dict[str, int] = {}
    for name in variants:
        n = [0]

        def counter(execute, sql, params, many, context):
            n[0] += 1
            return execute(sql, params, many, context)

        patches.set(variants[name][0])
        with connection.execute_wrapper(counter):
            state, fn = variants[name]
            clear_manager_caches()
            fn()
        work.reset()
        queries[name] = n[0]

    facts["qs_prod_watched"] = []
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu_times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds):
        if args.db == "postgres":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            wall, cpu_s = run(name)
            times[name].append(wall)
            cpu_times[name].append(cpu_s)
    request_pairs: dict[str, list[float]] = {}
    for name, watched in PER_REQUEST.items():
        patches.set("on")
        clear_manager_caches()
        request_pairs[name] = pairs(work, watched, args.pair_passes)
    if args.worker == "querysight":
        request_pairs["qs_idle"] = pairs_bare(work, patches, args.pair_passes)
    patches.set("off")
    if backend_pid is not None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            if cursor.fetchone()[0] != backend_pid:
                raise RuntimeError("the PostgreSQL connection was reopened during the runs")

    if args.worker == "querysight":
        prod_findings = sum(1 for r in records if "N+1" in r.getMessage() or "duplicate" in r.getMessage())
        facts.update(
            qs_prod_findings=prod_findings,
            log_records=len(records) - prod_findings,
            log_example=next((r.getMessage() for r in records), ""),
        )
    elif args.worker == "zeal":
        facts["findings"] = alerts[0]
    facts.pop("notes", None)
    server = None
    if args.db == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = f"PostgreSQL {cursor.fetchone()[0]}, psycopg {__import__('psycopg').__version__}"
    result = {"times": times, "cpu": cpu_times, "queries": queries, "facts": dict(facts), "version": version,
              "server_version": server, "pairs": request_pairs}
    Path(args.out).write_text(json.dumps(result))
    return 0


def profile_worker(args: argparse.Namespace, run) -> int:
    """cProfile of querysight test mode: where querysight's time goes, per function.

    "added" is a function's cumulative time without the Django originals it wraps (callees
    outside querysight named like a querysight function, and the cursor's `_execute`), so for
    a patch it is what the patch adds, Django work it forces included."""
    import cProfile
    import io
    import pstats

    run("qs_test")  # warm-up
    profiler = cProfile.Profile()
    runs = 3
    profiler.enable()
    for _ in range(runs):
        run("qs_test")
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # (file, line, func) -> (cc, nc, tt, ct, callers)
    total = sum(v[2] for v in stats.values())

    def is_qs(key: tuple) -> bool:
        filename, _, func = key
        return f"{os.sep}querysight{os.sep}" in filename or "querysight" in func

    def name(key: tuple) -> str:
        filename, line, func = key
        if filename == "~":
            return func
        parts = Path(filename).parts
        short = "/".join(parts[parts.index("querysight"):]) if "querysight" in parts else "/".join(parts[-2:])
        return f"{short}:{line}({func})"

    callees: dict[tuple, list[tuple[tuple, float]]] = {}
    for callee, (_, _, _, _, callers) in stats.items():
        for caller, (_, _, _, ct) in callers.items():
            callees.setdefault(caller, []).append((callee, ct))
    # A Django function named like a querysight function is the original that one wraps;
    # `_execute` is the cursor's, below the execute wrapper; `next()` resumes the rows generator
    # that a querysight generator wraps.
    originals = {k[2] for k in stats if is_qs(k)} | {"_execute", "<built-in method builtins.next>"}
    memo: dict[tuple, float] = {}

    def added(key: tuple, stack: tuple = ()) -> float:
        if key in memo:
            return memo[key]
        if key in stack:
            return 0.0
        value = stats[key][2]
        for callee, edge in callees.get(key, []):
            if callee == key:
                continue
            if is_qs(callee):
                cum = stats[callee][3]
                value += added(callee, (*stack, key)) * (edge / cum if cum else 0.0)
            elif callee[2] not in originals:
                value += edge
        memo[key] = value
        return value

    qs_keys = [k for k in stats if is_qs(k)]
    own_qs = sum(stats[k][2] for k in qs_keys)
    requests = runs * args.requests
    out = io.StringIO()
    out.write(f"{runs} runs x {args.requests} requests, {total:.2f} s under cProfile; own time inside querysight's "
              f"code {own_qs:.2f} s ({own_qs / total:.0%}). us/req = per request, us/call = per call; cProfile "
              f"inflates small functions: use it to rank, the table above for time.\n")
    out.write("\nquerysight functions by time added (cumulative minus the wrapped Django original), top 20:\n")
    out.write(f"  {'function':<64} {'calls':>7} {'added s':>8} {'share':>6} {'us/req':>7} {'us/call':>8} {'own s':>7}\n")
    for key in sorted(qs_keys, key=lambda k: -added(k))[:20]:
        nc, tt = stats[key][1], stats[key][2]
        a = added(key)
        out.write(f"  {name(key):<64} {nc:>7} {a:>8.3f} {a / total:>6.1%} {a / requests * 1e6:>7.0f} "
                  f"{a / nc * 1e6:>8.2f} {tt:>7.3f}\n")
    out.write("\nwhere the top 6 spend it (callees by time added, originals left out):\n")
    for key in sorted(qs_keys, key=lambda k: -added(k))[:6]:
        parts = []
        for callee, edge in callees.get(key, []):
            if callee == key:
                continue
            if is_qs(callee):
                cum = stats[callee][3]
                parts.append((added(callee) * (edge / cum if cum else 0.0), callee))
            elif callee[2] not in originals:
                parts.append((edge, callee))
        parts.sort(key=lambda p: -p[0])
        shown = ", ".join(f"{name(c)} {t:.3f} s" for t, c in parts[:4] if t > 0.0005)
        out.write(f"  {name(key)}: {shown or 'own time'}\n")
    out.write("\nthe per-query path:\n")
    wanted = ("Capture' objects", "Scope.record", "call_site", "record' of", "locate", "find_frame", "_is_library")
    for key in sorted(qs_keys, key=lambda k: -stats[k][3]):
        filename, line, func = key
        qual = func
        if filename != "~":
            code_name = {"capture.py": "QueryCapture.", "scope.py": "Scope."}.get(Path(filename).name, "")
            qual = code_name + func
        if any(w in qual for w in wanted):
            nc, tt, ct = stats[key][1], stats[key][2], stats[key][3]
            out.write(f"  {name(key):<64} {nc:>7} calls  cum {ct:6.3f} s  added {added(key):6.3f} s  "
                      f"{added(key) / nc * 1e6:6.2f} us/call  own {tt:6.3f} s\n")
    out.write("\nwhole process by own time, top 15:\n")
    for key in sorted(stats, key=lambda k: -stats[k][2])[:15]:
        out.write(f"  {name(key):<64} {stats[key][1]:>7} calls  own {stats[key][2]:6.3f} s "
                  f"({stats[key][2] / total:5.1%})\n")
    # The unwatched path (production's 99%): what querysight's patches cost with no scope.
    idle = cProfile.Profile()
    idle.enable()
    for _ in range(runs):
        run("qs_idle")
    idle.disable()
    idle_stats = pstats.Stats(idle).stats
    idle_total = sum(v[2] for v in idle_stats.values())
    idle_keys = sorted((k for k in idle_stats if is_qs(k)), key=lambda k: -idle_stats[k][2])
    idle_own = sum(idle_stats[k][2] for k in idle_keys)
    out.write(f"\nidle path (querysight installed, no scope), {runs} runs: own time inside querysight "
              f"{idle_own:.3f} s of {idle_total:.2f} s ({idle_own / idle_total:.1%}):\n")
    for key in idle_keys[:8]:
        nc, tt = idle_stats[key][1], idle_stats[key][2]
        out.write(f"  {name(key):<64} {nc / requests:>6.1f} calls/req  own {tt:6.3f} s  {tt / nc * 1e6:5.2f} us/call\n")
    Path(args.out).write_text(json.dumps({"profile": out.getvalue()}))
    return 0


# =============================================================================================


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=12, help="interleaved rounds (default 12)")
    parser.add_argument("--requests", type=int, default=200, help="requests per run (default 200)")
    parser.add_argument("--pair-passes", type=int, default=3,
                        help="passes over the requests for the per-request pairs (default 3)")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="cProfile querysight test mode: when a target is missed (auto), always, never")
    parser.add_argument("--rebuild", action="store_true", help="rebuild and reinstall the querysight wheel")
    parser.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--profile-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if not in_bench_venv():
        try:
            ensure_bench_venv(args.rebuild)
        except subprocess.CalledProcessError as exc:
            log(f"error: {exc}")
            return 2
        python = str(venv_python(BENCH_VENV))
        argv = [a for a in sys.argv[1:] if a != "--rebuild"]
        os.execv(python, [python, str(Path(__file__).resolve()), *argv])
    try:
        return driver(args)
    except (subprocess.CalledProcessError, OSError) as exc:
        log(f"error: {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
