"""Query capture with Django's public ``connection.execute_wrapper``.

The wrapper is installed on every connection alias, in every thread: on the connections of the
thread that calls :func:`install` (the app's ``ready()``, and every scope that starts), and on
every connection opened later, in any thread, through the ``connection_created`` signal. It is a
pass-through when nothing in the current context watches queries:

* a scope (``querysight.scope``, the middleware, the pytest plugin, a Celery task) gets every
  query of its context (a ``ContextVar``: threads and asyncio tasks are isolated);
* a :func:`count_queries` counter gets every query of its context, including queries of nested
  scopes (the pytest plugin's ``max_queries`` and ``assertMaxQueries`` count with it, so the
  queries of a test-client request, which runs in its own request scope, are counted);
* inside :func:`ignore`, nothing is recorded or counted.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from typing import Any, Callable, Iterator

from . import relations
from .scope import _current

_lock = threading.Lock()
_installed = False
# Threads whose existing connections were wrapped: connections opened later are wrapped by the
# `connection_created` signal, so one pass per thread suffices (scopes start often).
_thread_wrapped = threading.local()

_ignored: contextvars.ContextVar[bool] = contextvars.ContextVar("querysight_ignored", default=False)


class QueryCounter:
    """Queries run in a block, per database alias (see :func:`count_queries`)."""

    __slots__ = ("by_alias",)

    def __init__(self) -> None:
        self.by_alias: dict[str, int] = {}

    @property
    def total(self) -> int:
        return sum(self.by_alias.values())

    def describe(self) -> str:
        return ", ".join(f"{alias}: {n}" for alias, n in sorted(self.by_alias.items())) or "none"


_counters: contextvars.ContextVar[tuple[QueryCounter, ...]] = contextvars.ContextVar(
    "querysight_counters", default=()
)


@contextlib.contextmanager
def count_queries() -> Iterator[QueryCounter]:
    """Counts the queries of this context, on every database alias, nested scopes included."""
    install()
    counter = QueryCounter()
    token = _counters.set(_counters.get() + (counter,))
    try:
        yield counter
    finally:
        _counters.reset(token)


@contextlib.contextmanager
def ignore() -> Iterator[None]:
    """``with querysight.ignore(): ...``: the block's queries are recorded by no scope and
    counted by no counter. Blocks nest; leaving one restores what was there before."""
    token = _ignored.set(True)
    try:
        yield
    finally:
        _ignored.reset(token)


class QueryCapture:
    """The execute wrapper: times the query and forwards it to the current scope."""

    __slots__ = ("alias", "vendor")

    def __init__(self, alias: str, vendor: str) -> None:
        self.alias = alias
        self.vendor = vendor

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        if _ignored.get():
            return execute(sql, params, many, context)
        for counter in _counters.get():
            counter.by_alias[self.alias] = counter.by_alias.get(self.alias, 0) + 1
        scope = _current.get()
        if scope is None or scope.disabled:
            return execute(sql, params, many, context)
        start = time.perf_counter_ns()
        try:
            return execute(sql, params, many, context)
        finally:
            scope.record(sql, params, self.alias, self.vendor, time.perf_counter_ns() - start)


def _wrap(connection: Any) -> None:
    if any(isinstance(w, QueryCapture) for w in connection.execute_wrappers):
        return
    connection.execute_wrappers.append(QueryCapture(connection.alias, connection.vendor))


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    _wrap(connection)


def wrap_all() -> None:
    """Wraps every connection of this thread (Django keeps connections per thread); a
    connection is only created here, not opened."""
    from django.db import connections

    for alias in connections:
        _wrap(connections[alias])


def install() -> None:
    """Installs capture once per process; wraps this thread's connections once per thread
    (connections opened later are wrapped when Django opens them)."""
    global _installed
    if _installed and getattr(_thread_wrapped, "done", False):
        return
    with _lock:
        if not _installed:
            from django.db.backends.signals import connection_created

            relations.install()
            connection_created.connect(_on_connection_created, dispatch_uid="querysight_capture")
            _installed = True
    wrap_all()
    _thread_wrapped.done = True
