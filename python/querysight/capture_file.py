"""Writes every query a scope records as one JSON line, for ``querysight logs``.

Enabled with ``QUERYSIGHT = {"CAPTURE_FILE": "queries.jsonl"}`` (a path; appended to, shared
by threads and scopes of the process). Each line is the capture format that
``querysight logs --format jsonl`` reads (see the `querysight_logs` crate documentation):

    {"sql": "...", "params": [...], "duration_us": 120, "scope": "GET /books/#12",
     "call_site": "shop/views.py:12", "ts": 1795298632.0029, "vendor": "postgresql",
     "alias": "default", "relation": "shop.Book.author"}

``params`` are made JSON-safe with ``str()`` for values JSON has no type for (dates, decimals,
UUIDs). A write that fails (disk full, a closed file) turns capture off for the process and is
logged once: the application never sees it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import IO, Any

_lock = threading.Lock()
_files: dict[str, IO[str]] = {}
_failed: set[str] = set()


def _json_params(params: Any) -> Any:
    if params is None:
        return None
    if isinstance(params, dict):
        return {str(k): v for k, v in params.items()}
    if isinstance(params, (list, tuple)):
        return list(params)
    return [params]


def write(
    path: str,
    *,
    sql: str,
    params: Any,
    duration_us: int,
    scope: str,
    call_site: str,
    vendor: str,
    alias: str,
    relation: str | None,
    logger: str,
) -> None:
    """Appends one query to ``path`` (never raises)."""
    if path in _failed:
        return
    record = {
        "sql": sql,
        "params": _json_params(params),
        "duration_us": duration_us,
        "scope": scope,
        "call_site": call_site,
        "ts": time.time(),
        "vendor": vendor,
        "alias": alias,
    }
    if relation is not None:
        record["relation"] = relation
    try:
        line = json.dumps(record, default=str, ensure_ascii=False) + "\n"
        with _lock:
            handle = _files.get(path)
            if handle is None:
                handle = _files[path] = open(path, "a", encoding="utf-8", buffering=1)
            handle.write(line)
    except Exception:
        _failed.add(path)
        logging.getLogger(logger).exception("querysight: cannot write the capture file %r; capture is off", path)


def close_all() -> None:
    """Closes the capture files (tests; at exit Python closes them anyway)."""
    with _lock:
        for handle in _files.values():
            try:
                handle.close()
            except Exception:
                pass
        _files.clear()
        _failed.clear()
