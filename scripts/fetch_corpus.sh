#!/usr/bin/env bash
# Fetches the real-world corpus used by scripts/bench_check.py and scripts/real_input.sh:
# sdists (wheels if a project has no sdist) of Django 5.2.x (only its django/ package counts),
# django-oscar, wagtail and django-cms, unpacked under .cache/corpus/<name>/ (gitignored).
# Idempotent: a project already unpacked is not downloaded again (delete its directory to refresh).
# Prints the corpus directories, one per line.
#   bash scripts/fetch_corpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=.cache/corpus

# name            pip requirement     corpus directory (relative to .cache/corpus/<name>)
PROJECTS=(
  "django         django~=5.2.0       django"
  "django-oscar   django-oscar        ."
  "wagtail        wagtail             ."
  "django-cms     django-cms          ."
)

fetch() { # name requirement
  local name=$1 req=$2 dl="$CORPUS/.download/$1" tmp="$CORPUS/.unpack-$1"
  [[ -f "$CORPUS/$name/.querysight-complete" ]] && return 0
  echo "fetching $req ..." >&2
  rm -rf "$dl" "$tmp" "${CORPUS:?}/$name"
  mkdir -p "$dl" "$tmp"
  local pip=(python3 -m pip download -q --disable-pip-version-check --no-deps -d "$dl")
  if ! "${pip[@]}" --no-binary :all: "$req" >&2; then
    echo "no usable sdist for $req; falling back to a wheel" >&2
    "${pip[@]}" --only-binary :all: "$req" >&2
  fi
  local archive
  archive=$(find "$dl" -maxdepth 1 -type f | head -n 1)
  [[ -n "$archive" ]] || { echo "error: pip downloaded nothing for $req" >&2; exit 1; }
  python3 - "$archive" "$tmp" <<'PY'
import shutil, sys
archive, dest = sys.argv[1:]
shutil.unpack_archive(archive, dest, format="zip" if archive.endswith(".whl") else None)
PY
  # An sdist holds one top-level directory (project-version/); a wheel holds the packages directly.
  local entries=("$tmp"/*)
  if [[ ${#entries[@]} -eq 1 && -d "${entries[0]}" ]]; then
    mv "${entries[0]}" "$CORPUS/$name"
    rmdir "$tmp"
  else
    mv "$tmp" "$CORPUS/$name"
  fi
  basename "$archive" >"$CORPUS/$name/.querysight-complete"
}

mkdir -p "$CORPUS"
for entry in "${PROJECTS[@]}"; do
  read -r name req sub <<<"$entry"
  fetch "$name" "$req"
  echo "$CORPUS/$name/$sub" | sed 's#/\.$##'
done
