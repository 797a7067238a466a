#!/usr/bin/env bash
# querysight's test command, run by CI (.ci/run) and by hand:
#   bash scripts/test.sh                       # everything, as CI runs it
#   QUERYSIGHT_SKIP_LINT=1 bash scripts/test.sh  # skip cargo fmt/clippy for a quick local run
# Steps: cargo fmt --check, cargo clippy -D warnings, cargo test, build the debug binary and the
# Python wheel (maturin), start a throw-away PostgreSQL server (scripts/pg.sh), then
# pytest tests/python (static checker truth tests) and tests/runtime (runtime package, on SQLite and
# PostgreSQL) under Django 4.2 and 5.2, each in its own venv in .venvs/
# (created on first run; pip is skipped while the venv's stamp matches the requirement list).
# Ends with "querysight tests: all passed" only when every step passed.
set -euo pipefail
cd "$(dirname "$0")/.."

DJANGO_SERIES=(4.2 5.2)
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT
step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nerror: %s\n' "$*" >&2; exit 1; }
total_passed=0

if [[ "${QUERYSIGHT_SKIP_LINT:-}" == 1 ]]; then
  step "skipping cargo fmt and clippy (QUERYSIGHT_SKIP_LINT=1)"
else
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    command -v rustup >/dev/null || fail "cargo fmt/clippy missing and no rustup to install them"
    rustup component add rustfmt clippy
  fi
  step "cargo fmt --all -- --check"
  cargo fmt --all -- --check || fail "code is not formatted: run 'cargo fmt --all'"
  step "cargo clippy --workspace --all-targets -- -D warnings"
  cargo clippy --workspace --all-targets -- -D warnings || fail "clippy found problems"
fi

step "cargo test --workspace"
rc=0
cargo test --workspace 2>&1 | tee "$LOGS/cargo-test.log" || rc=$?
[[ $rc == 0 ]] || fail "cargo test failed (exit $rc)"
read -r passed failed ignored < <(awk '/^test result:/ { p += $4; f += $6; i += $8 }
  END { print p + 0, f + 0, i + 0 }' "$LOGS/cargo-test.log")
echo "cargo test summary: $passed passed, $failed failed, $ignored ignored"
total_passed=$((total_passed + passed))

step "cargo build -p querysight"
cargo build -p querysight || fail "cargo build -p querysight failed"
QUERYSIGHT_BIN="$PWD/target/debug/querysight"
[[ -x "$QUERYSIGHT_BIN" ]] || fail "cargo build -p querysight produced no binary at $QUERYSIGHT_BIN"
export QUERYSIGHT_BIN

# Creates .venvs/django-$1 with the test requirements, unless its stamp says it already has them.
ensure_venv() {
  local venv=".venvs/django-$1" reqs=("django~=$1.0" djangorestframework pytest pytest-django "psycopg[binary]" celery django-debug-toolbar mypy)
  local stamp="$venv/.querysight-requirements" want
  want="$(python3 --version 2>&1) ${reqs[*]}"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$venv/bin/python" -c '' 2>/dev/null; then
    echo "$venv is up to date"; return 0
  fi
  rm -rf "$venv"
  if ! python3 -m venv "$venv"; then
    # Debian's system python3 ships venv support separately.
    rm -rf "$venv"
    [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null || fail "python3 -m venv failed; install python3-venv"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    python3 -m venv "$venv" || fail "python3 -m venv failed even after installing python3-venv"
  fi
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${reqs[@]}" \
    || fail "pip install into $venv failed"
  echo "$want" >"$stamp"
}

step "build the Python package (maturin wheel)"
if [[ ! -x .venvs/tools/bin/maturin ]]; then
  python3 -m venv .venvs/tools && .venvs/tools/bin/python -m pip install -q --disable-pip-version-check "maturin>=1.5,<2" \
    || fail "could not install maturin"
fi
rm -rf target/wheels
.venvs/tools/bin/maturin build -q -o target/wheels || fail "maturin build failed"
WHEEL=$(ls target/wheels/querysight-*.whl | head -n 1)
[[ -f "$WHEEL" ]] || fail "maturin produced no wheel"

step "start a throw-away PostgreSQL server"
PGDIR=$(bash scripts/pg.sh start) || fail "could not start PostgreSQL (scripts/pg.sh)"
trap 'bash scripts/pg.sh stop "$PGDIR"; rm -rf "$LOGS"' EXIT

[[ -d tests/python ]] || fail "tests/python does not exist: there are no Python tests to run"
for series in "${DJANGO_SERIES[@]}"; do
  step "pytest tests/python with Django $series"
  ensure_venv "$series"
  ".venvs/django-$series/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$WHEEL" \
    || fail "could not install $WHEEL into .venvs/django-$series"
  rc=0
  ".venvs/django-$series/bin/python" -m pytest tests/python -q 2>&1 | tee "$LOGS/pytest-$series.log" || rc=$?
  case $rc in
    0) ;;
    5) fail "pytest collected no tests in tests/python under Django $series (exit 5): counted as a failure" ;;
    *) fail "pytest failed under Django $series (exit $rc)" ;;
  esac
  passed=$(tail -n 1 "$LOGS/pytest-$series.log" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || echo 0)
  total_passed=$((total_passed + passed))

  for db in sqlite postgres; do
    step "runtime tests (tests/runtime) with Django $series on $db"
    rc=0
    (cd tests/runtime && QUERYSIGHT_TEST_DB=$db PGHOST="$PGDIR" \
      "../../.venvs/django-$series/bin/python" -m pytest -q 2>&1) | tee "$LOGS/runtime-$series-$db.log" || rc=$?
    case $rc in
      0) ;;
      5) fail "pytest collected no tests in tests/runtime (Django $series, $db): counted as a failure" ;;
      *) fail "runtime tests failed under Django $series on $db (exit $rc)" ;;
    esac
    passed=$(tail -n 1 "$LOGS/runtime-$series-$db.log" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || echo 0)
    total_passed=$((total_passed + passed))
  done
done

echo
echo "totals: $total_passed passed, 0 failed"
echo "querysight tests: all passed"
