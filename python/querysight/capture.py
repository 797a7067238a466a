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
import sys
import threading
from typing import Any, Callable, Iterator

from . import callsite, relations
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


def _count(counters: tuple[QueryCounter, ...], alias: str) -> None:
    """Counts one query on ``alias`` for each counter of the context (called by the wrapper)."""
    for counter in counters:
        counter.by_alias[alias] = counter.by_alias.get(alias, 0) + 1


#: The execute wrapper's class (native, ``querysight._native.Capture``): one per connection;
#: it times each watched query and forwards it to the scope of the current context.
QueryCapture: Any = None


def _capture_class() -> Any:
    global QueryCapture
    if QueryCapture is None:
        from ._native import Capture

        QueryCapture = Capture
    return QueryCapture


def _new_capture(alias: str, vendor: str) -> Any:
    return _capture_class()(
        alias,
        vendor,
        callsite.walker(),
        _ignored,
        _counters,
        _count,
        _current,
        sys._getframe,
        [
            relations.uncounted,
            relations.current_relation,
            relations.current_template,
            relations.current_serializer_field,
            relations.async_site,
        ],
    )


def _wrap(connection: Any) -> None:
    cls = _capture_class()
    if any(isinstance(w, cls) for w in connection.execute_wrappers):
        return
    connection.execute_wrappers.append(_new_capture(connection.alias, connection.vendor))


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    _wrap(connection)


def _on_request_started(sender: Any, **kwargs: Any) -> None:
    """A request starts (Django's ``request_started``) inside a scope: a test-client request
    inside a test's scope, whose queries are no N+1 or duplicate of another request's. The
    middleware's own request scope starts after this signal, inside it."""
    current = _current.get()
    if current is not None and not current.disabled:
        current.barrier()


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

            from django.core.signals import request_started

            relations.install()
            connection_created.connect(_on_connection_created, dispatch_uid="querysight_capture")
            request_started.connect(_on_request_started, dispatch_uid="querysight_request_started")
            _installed = True
    wrap_all()
    _thread_wrapped.done = True
