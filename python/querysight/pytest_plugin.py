"""pytest plugin (entry point ``pytest11: querysight``), in pytest-django's habits.

* ``pytest --querysight``: every test body runs in a scope; an N+1 or a duplicate in the code
  under test fails the test with the findings and their fixes. Findings whose call site is in
  test code itself (test modules, ``conftest.py``: data making, loops over cases, re-reads for
  expected values) are not reported; a marked test reports them too. ``--querysight-mode=warn`` (or ``log``) reports them as
  warnings (or log records) instead, for adopting it on a large suite.
* ``@pytest.mark.querysight``: the same for one test, its own body's queries included;
  ``@pytest.mark.querysight(max_queries=5)``
  also fails it above 5 queries (all databases, test-client requests included);
  ``threshold=3`` changes the N+1 threshold; ``enabled=False`` opts a test out of
  ``--querysight``.
* the ``querysight`` fixture: the test body's scope, for explicit assertions
  (``querysight.assert_no_n_plus_one()``, ``querysight.assert_max_queries(5)``,
  ``querysight.query_count``, ``querysight.findings``). On its own it fails nothing.

Only the test body is watched, never fixture setup: for a pytest function, the call phase; for a
``unittest.TestCase`` (Django's ``TestCase``), the test method alone, not ``setUp`` or
``tearDown``, which pytest runs in the same phase. The plugin's state lives in ``config.stash``
and ``item.stash``; Django is imported only when a test is actually watched.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Generator

import pytest

if TYPE_CHECKING:
    from .capture import QueryCounter
    from .scope import Finding, Scope

MARKER = "querysight"
MARKER_KWARGS = ("max_queries", "threshold", "enabled")

_ENABLED = pytest.StashKey[bool]()
_MODE = pytest.StashKey[str]()
_WATCH = pytest.StashKey["_Watch"]()
MODES = ("raise", "warn", "log")


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
    group.addoption(
        "--querysight-mode",
        action="store",
        dest="querysight_mode",
        choices=MODES,
        default="raise",
        help="What --querysight does with a finding: fail the test (raise, the default), or "
        "report it as a warning (warn) or a log record (log). A test marked "
        "@pytest.mark.querysight always fails.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "querysight(max_queries=None, threshold=None, enabled=True): fail the test on an N+1 "
        "or duplicate query, or on more than max_queries queries (all databases).",
    )
    config.stash[_ENABLED] = bool(config.getoption("querysight"))
    config.stash[_MODE] = str(config.getoption("querysight_mode") or "raise")
    from . import callsite

    # pytest's test modules are the harness whose calls into the code under test are units of
    # work of their own (a loop over cases is no N+1 of the code it calls).
    callsite.set_test_files(config.getini("python_files") or ["test_*.py", "*_test.py"])


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

    threshold = options.get("threshold")
    with _watching(item, threshold) as watch:
        result = yield
    s = watch.scope
    if not enforce or s is None:
        return result
    findings = s.findings
    if marker is None:
        findings = [f for f in findings if not _in_test_code(f.call_site)]
    if findings:
        mode = "raise" if marker is not None else item.config.stash.get(_MODE, "raise")
        if mode == "raise":
            pytest.fail(_findings_message(findings), pytrace=False)
        if mode == "warn":
            # Attributed to the test, not to pytest's hook machinery.
            from .scope import QuerysightWarning, format_findings

            path, line, _ = item.location
            warnings.warn_explicit(
                format_findings(findings), QuerysightWarning, str(item.path), (line or 0) + 1
            )
        else:
            s.mode = mode
            s.report(findings)
    max_queries = options.get("max_queries")
    if max_queries is not None and watch.counter.total > max_queries:
        pytest.fail(
            f"{watch.counter.total} queries ran, more than max_queries={max_queries} ({watch.counter.describe()})",
            pytrace=False,
        )
    return result


def _in_test_code(call_site: str) -> bool:
    """Whether ``call_site`` (``path:line``) is in test code (``callsite.is_test_file``:
    pytest's ``python_files`` patterns, ``conftest.py``, a module directly in a ``tests``
    package): the harness's own loops and re-reads (data making, expected values, loops over
    cases), not the code under test. ``--querysight`` reports only what the code under test
    ran; a marked test reports its own body's queries too."""
    from .callsite import is_test_file

    return is_test_file(call_site.rpartition(":")[0] or call_site)


class _watching:
    """Watches the body of ``item`` while the call phase runs (``with _watching(...) as w``):
    for a pytest function, the whole phase; for a ``unittest.TestCase`` method, the method
    alone (pytest runs ``setUp`` and ``tearDown`` in the same phase): the test case instance
    gets a watching wrapper as an attribute named like the method, which ``unittest`` calls,
    and so does ``item.obj``, which pytest's own ``runtest`` sets there (pytest-django's does
    not). Afterwards ``w.scope`` is the ended scope (``None`` when the body never ran)."""

    def __init__(self, item: pytest.Item, threshold: int | None) -> None:
        from .capture import QueryCounter

        self.item = item
        self.threshold = threshold
        self.scope: "Scope | None" = None
        self.counter = QueryCounter()
        self._original: Any = None

    def __enter__(self) -> "_watching":
        if _is_unittest(self.item):
            item: Any = self.item
            self._original = item.obj
            item.obj = _watched_method(self._original, self)
            setattr(item.instance, item.name, item.obj)
        else:
            self._start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._original is not None:
            item: Any = self.item
            if vars(item.instance).get(item.name) is item.obj:
                delattr(item.instance, item.name)
            item.obj = self._original
        else:
            self._stop()

    def _start(self) -> None:
        from .capture import count_queries
        from .scope import scope

        self._counting = count_queries()
        self.counter = self._counting.__enter__()
        self._scope = scope(self.item.nodeid, mode="raise", threshold=self.threshold, report=False)
        self.item.stash[_WATCH] = _Watch(self._scope.__enter__(), self.counter)

    def _stop(self) -> None:
        if _WATCH in self.item.stash:
            del self.item.stash[_WATCH]
        try:
            self._scope.__exit__(None, None, None)
        finally:
            self._counting.__exit__(None, None, None)
        self.scope = self._scope.scope


def _is_unittest(item: pytest.Item) -> bool:
    from _pytest.unittest import TestCaseFunction

    return isinstance(item, TestCaseFunction)


def _watched_method(method: Any, watch: _watching) -> Any:
    """``method`` (a test case's bound test method) running inside ``watch``; async stays
    async (Django's ``SimpleTestCase`` runs an async test method with ``async_to_sync``)."""
    import functools
    import inspect

    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            watch._start()
            try:
                return await method(*args, **kwargs)
            finally:
                watch._stop()

        return run_async

    @functools.wraps(method)
    def run(*args: Any, **kwargs: Any) -> Any:
        watch._start()
        try:
            return method(*args, **kwargs)
        finally:
            watch._stop()

    return run
