#!/usr/bin/env bash
# Runs `querysight check --format json` on real Django projects (django-oscar, wagtail, django-cms,
# unpacked by scripts/fetch_corpus.sh), saves the JSON to .cache/real/<name>.json (stderr beside it)
# and prints, per project: findings by code, file errors (stderr lines starting with "error:"),
# the exit code, and a reproducible random sample of 20 findings with their source lines, for a
# human to judge. Not a test: it exits non-zero only when a run fails outright (exit code other
# than 0 = clean or 1 = findings, or output that is not JSON).
#   bash scripts/real_input.sh              # SEED=n to draw another sample, QUERYSIGHT_BIN=path
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${QUERYSIGHT_BIN:-target/release/querysight}
OUT=.cache/real
PROJECTS=(django-oscar wagtail django-cms)

if [[ ! -x "$BIN" && "$BIN" == target/release/querysight ]]; then
  echo "building $BIN: cargo build --release -p querysight" >&2
  cargo build --release -p querysight
fi
[[ -x "$BIN" ]] || { echo "error: no querysight binary at $BIN (does crates/querysight build a binary yet?)" >&2; exit 2; }
for name in "${PROJECTS[@]}"; do
  [[ -d .cache/corpus/$name ]] || { bash scripts/fetch_corpus.sh >/dev/null; break; }
done
mkdir -p "$OUT"

status=0
for name in "${PROJECTS[@]}"; do
  rc=0
  "$BIN" check --format json ".cache/corpus/$name" >"$OUT/$name.json" 2>"$OUT/$name.stderr" || rc=$?
  python3 - "$name" "$OUT/$name.json" "$OUT/$name.stderr" "$rc" "${SEED:-0}" <<'PY' || status=1
import collections, json, random, sys
name, json_path, stderr_path, rc, seed = sys.argv[1:]
print(f"\n=== {name}: exit code {rc}" + ("" if rc in ("0", "1") else " (an error)"))
with open(stderr_path, encoding="utf-8", errors="replace") as f:
    errors = [line for line in f if line.startswith("error:")]
print(f"file errors: {len(errors)}" + "".join(f"\n  {line.rstrip()}" for line in errors[:5]))
try:
    with open(json_path, encoding="utf-8") as f:
        findings = json.load(f)
except ValueError as err:
    sys.exit(f"error: {json_path} is not JSON: {err}")
counts = collections.Counter(f["code"] for f in findings)
print(f"findings: {len(findings)}" + "".join(f"\n  {code}: {n}" for code, n in sorted(counts.items())))
sample = random.Random(f"{seed}:{name}").sample(findings, min(20, len(findings)))
if sample:
    print(f"sample of {len(sample)} (SEED={seed}):")
for f in sorted(sample, key=lambda f: (f["path"], f["line"])):
    try:
        with open(f["path"], encoding="utf-8", errors="replace") as src:
            line = src.read().splitlines()[f["line"] - 1].strip()
    except (OSError, IndexError):
        line = "<source line unavailable>"
    print(f"{f['path']}:{f['line']} {f['code']} {f['message']}\n    | {line}")
sys.exit(0 if rc in ("0", "1") else 1)
PY
done
exit $status
