"""pytest plugin (entry point ``pytest11: querysight``), in pytest-django's habits.

* ``pytest --querysight``: every test body runs in a scope; an N+1 or a duplicate fails the test
  with the findings and their fixes.
* ``@pytest.mark.querysight``: the same for one test; ``@pytest.mark.querysight(max_queries=5)``
  also fails it above 5 queries (all databases, test-client requests included);
  ``threshold=3`` changes the N+1 threshold; ``enabled=False`` opts a test out of
  ``--querysight``.
* the ``querysight`` fixture: the test body's scope, for explicit assertions
  (``querysight.assert_no_n_plus_one()``, ``querysight.assert_max_queries(5)``,
  ``querysight.query_count``, ``querysight.findings``). On its own it fails nothing.

Only the test body (the call phase) is watched, never fixture setup. The plugin's state lives in
``config.stash`` and ``item.stash``; Django is imported only when a test is actually watched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

import pytest

if TYPE_CHECKING:
    from .capture import QueryCounter
    from .scope import Finding, Scope

MARKER = "querysight"
MARKER_KWARGS = ("max_queries", "threshold", "enabled")

_ENABLED = pytest.StashKey[bool]()
_WATCH = pytest.StashKey["_Watch"]()


class _Watch:
    """What one watched test holds while its body runs."""

    def __init__(self, scope: "Scope", counter: "QueryCounter") -> None:
        self.scope = scope
        self.counter = counter


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("querysight", "querysight (N+1 query detection)")
    group.addoption(
        "--querysight",
        action="store_true",
        dest="querysight",
        default=False,
        help="Fail any test whose body runs an N+1 query or a duplicate query.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "querysight(max_queries=None, threshold=None, enabled=True): fail the test on an N+1 "
        "or duplicate query, or on more than max_queries queries (all databases).",
    )
    config.stash[_ENABLED] = bool(config.getoption("querysight"))


class QuerysightFixture:
    """The ``querysight`` fixture: the live scope of the test body."""

    def __init__(self, item: pytest.Item) -> None:
        self._item = item

    @property
    def _watch(self) -> _Watch:
        watch = self._item.stash.get(_WATCH, None)
        if watch is None:
            raise RuntimeError("the querysight fixture watches the test body only: use it in the test function")
        return watch

    @property
    def query_count(self) -> int:
        """Queries run so far in the test body, on every database."""
        return self._watch.counter.total

    def queries_by_alias(self) -> dict[str, int]:
        return dict(self._watch.counter.by_alias)

    @property
    def findings(self) -> list["Finding"]:
        """Ends detection for this test and returns its findings (the same list afterwards)."""
        return self._watch.scope.finish()

    def assert_no_n_plus_one(self) -> None:
        """Ends detection for this test; fails when it found an N+1 or a duplicate."""
        findings = self.findings
        if findings:
            pytest.fail(_findings_message(findings), pytrace=False)

    def assert_max_queries(self, n: int) -> None:
        counter = self._watch.counter
        if counter.total > n:
            pytest.fail(f"{counter.total} queries ran, more than {n} ({counter.describe()})", pytrace=False)


@pytest.fixture
def querysight(request: pytest.FixtureRequest) -> QuerysightFixture:
    """The scope of the test body: ``querysight.assert_no_n_plus_one()``,
    ``querysight.assert_max_queries(n)``, ``querysight.query_count``, ``querysight.findings``."""
    return QuerysightFixture(request.node)


def _findings_message(findings: list["Finding"]) -> str:
    from .scope import format_findings

    return f"querysight found {len(findings)} problem(s):\n{format_findings(findings)}"


def _django_ready() -> bool:
    import sys

    if "django" not in sys.modules:
        return False
    from django.conf import settings

    return bool(settings.configured)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    marker = item.get_closest_marker(MARKER)
    options = dict(marker.kwargs) if marker is not None else {}
    enforce = bool(options.get("enabled", True)) and (marker is not None or item.config.stash.get(_ENABLED, False))
    wants_fixture = "querysight" in getattr(item, "fixturenames", ())
    if not enforce and not wants_fixture:
        return (yield)
    unknown = sorted(set(options) - set(MARKER_KWARGS))
    if unknown or (marker is not None and marker.args):
        pytest.fail(
            f"@pytest.mark.querysight takes only keyword arguments {', '.join(MARKER_KWARGS)}; got "
            f"{', '.join(unknown) or repr(marker.args if marker else ())}",
            pytrace=False,
        )
    if not _django_ready():
        if (marker is not None and enforce) or wants_fixture:
            pytest.fail("querysight needs Django settings (DJANGO_SETTINGS_MODULE) to watch a test", pytrace=False)
        return (yield)

    from .capture import count_queries
    from .scope import scope

    max_queries = options.get("max_queries")
    threshold = options.get("threshold")
    watcher = scope(item.nodeid, mode="raise", threshold=threshold, report=False)
    with count_queries() as counter:
        item.stash[_WATCH] = _Watch(watcher.__enter__(), counter)
        try:
            result = yield
        finally:
            del item.stash[_WATCH]
            watcher.__exit__(None, None, None)
    s = watcher.scope
    if not enforce or s is None:
        return result
    if s.findings:
        pytest.fail(_findings_message(s.findings), pytrace=False)
    if max_queries is not None and counter.total > max_queries:
        pytest.fail(
            f"{counter.total} queries ran, more than max_queries={max_queries} ({counter.describe()})",
            pytrace=False,
        )
    return result
