"""`querysight logs` on a real Django debug log: the example's views run against SQLite with the
`django.db.backends` logger at DEBUG, and the captured log is fed to the binary.

The N+1 view must give one burst on `catalog_author` after the book query, with the fix
`select_related("author")` from the example's model graph (`--project`); its fixed twin must
give none. Uses QUERYSIGHT_BIN like test_check_example.py (a missing binary fails).
"""

import json
import logging
import subprocess

import pytest
from django.db import connection
from django.test import RequestFactory

from expectations import BOOKSHOP, REPO
from test_check_example import querysight_bin


def capture_debug_log(path, view, rows, seeded):
    """Runs `view` on `rows` rows of everything with Django's SQL debug log written to `path`
    (the message only, as the default `django.db.backends` format writes it)."""
    logger = logging.getLogger("django.db.backends")
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    old_level, old_debug = logger.level, connection.force_debug_cursor
    with seeded(rows):
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        connection.force_debug_cursor = True
        try:
            view(RequestFactory().get("/"))
        finally:
            connection.force_debug_cursor = old_debug
            logger.setLevel(old_level)
            logger.removeHandler(handler)
            handler.close()


def run_logs(log, *extra):
    done = subprocess.run(
        [str(querysight_bin()), "logs", "--output", "json", *extra, str(log)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def test_debug_log_burst_has_the_fix(tmp_path, seeded):
    from catalog import views

    log = tmp_path / "django-sql.log"
    capture_debug_log(log, views.book_authors, 6, seeded)
    code, report = run_logs(log, "--project", str(BOOKSHOP))
    assert code == 1, report
    assert report["format"] == "django"
    assert report["skipped_count"] == 0, report["skipped"]
    bursts = [b for b in report["bursts"] if "from catalog_author where catalog_author.id" in b["query"]]
    assert len(bursts) == 1, report["bursts"]
    burst = bursts[0]
    assert burst["queries"] >= 6
    assert burst["worst"]["distinct_params"] >= 2
    assert "from catalog_book" in burst["source"]["query"]
    assert burst["fix"] == {
        "relation": "Book.author",
        "call": 'select_related("author")',
        "model": "catalog.Book",
    }


def test_fixed_twin_has_no_burst(tmp_path, seeded):
    from catalog import views

    log = tmp_path / "django-sql.log"
    capture_debug_log(log, views.book_authors_fixed, 6, seeded)
    code, report = run_logs(log)
    assert report["statements"] > 0
    assert not [b for b in report["bursts"] if "catalog_author" in b["query"]], report["bursts"]


@pytest.mark.parametrize("rows", [2, 20])
def test_burst_grows_with_rows(tmp_path, seeded, rows):
    from catalog import views

    log = tmp_path / "django-sql.log"
    capture_debug_log(log, views.author_book_lengths, rows, seeded)
    code, report = run_logs(log, "--min-repeats", "2", "--project", str(BOOKSHOP))
    bursts = [b for b in report["bursts"] if "from catalog_book where catalog_book.author_id" in b["query"]]
    assert len(bursts) == 1, report["bursts"]
    assert bursts[0]["queries"] >= rows
    assert bursts[0]["fix"]["call"] == 'prefetch_related("books")'
