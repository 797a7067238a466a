"""Celery: one scope per task.

Two ways, the same scope:

* :func:`connect`, once (for example in your Celery app module), watches every task through
  Celery's ``task_prerun``/``task_postrun`` signals. Each task runs in its own scope, in a
  worker or eagerly (``task_always_eager``, ``task.apply()``; an eager task inside a request
  or a test gets its own scope too). The scope is closed when the task ends, whether it
  succeeded or failed; only successful tasks report their findings, by
  ``QUERYSIGHT["MODE"]``. ``warn`` and ``log`` never fail a task. In ``raise`` mode the
  error is raised from the ``task_postrun`` handler, which Celery only logs: a finished task
  cannot be failed from a signal.
* :class:`WatchedTask` as the task class (``@app.task(base=WatchedTask)``, or
  ``Celery(..., task_cls="querysight.celery:WatchedTask")`` for every task) runs the task body
  inside the scope. In ``raise`` mode an N+1 fails the task itself with
  :class:`~querysight.NPlusOneError` (its state is ``FAILURE``; an eager call with
  ``task_eager_propagates`` raises it in the caller, as a test wants). The signals skip tasks
  of this class, so both can be used together.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from .conf import get_settings
from .scope import scope

#: Scopes of the tasks that are running, by task id.
_RUNNING: dict[str, scope] = {}


def _prerun(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    settings = get_settings()
    if not settings.enabled or getattr(task, "querysight_watched", False):
        return
    watcher = scope(f"task {getattr(task, 'name', task_id)}", report=False)
    try:
        watcher.__enter__()
    except Exception:
        if settings.mode == "raise":
            raise
        logging.getLogger(settings.logger).exception("querysight: could not watch task %s", task_id)
        return
    _RUNNING[task_id] = watcher


def _postrun(task_id: str = "", state: str | None = None, **kwargs: Any) -> None:
    watcher = _RUNNING.pop(task_id, None)
    if watcher is None:
        return
    s = watcher.scope
    try:
        watcher.__exit__(None, None, None)
    except Exception:
        if s is None or s.mode == "raise":
            raise
        logging.getLogger(s.settings.logger).exception("querysight: internal error in task %s", task_id)
        return
    if s is not None and state == "SUCCESS" and s.findings:
        s.report(s.findings)


class WatchedTask(Task):  # type: ignore[misc]
    """A Celery task class whose body runs inside a querysight scope (see the module
    documentation): ``raise`` mode fails the task on an N+1."""

    querysight_watched = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        settings = get_settings()
        if not settings.enabled:
            return super().__call__(*args, **kwargs)
        with scope(f"task {self.name}", report=False) as s:
            result = super().__call__(*args, **kwargs)
        if s.findings:
            s.report(s.findings)  # raise mode: NPlusOneError, and the task fails
        return result


def running() -> int:
    """How many task scopes are open (0 when no task is running)."""
    return len(_RUNNING)


def connect() -> None:
    """Connects the task signals (idempotent)."""
    from celery import signals

    signals.task_prerun.connect(_prerun, weak=False, dispatch_uid="querysight_prerun")
    signals.task_postrun.connect(_postrun, weak=False, dispatch_uid="querysight_postrun")


def disconnect() -> None:
    """Disconnects the task signals."""
    from celery import signals

    signals.task_prerun.disconnect(_prerun, dispatch_uid="querysight_prerun")
    signals.task_postrun.disconnect(_postrun, dispatch_uid="querysight_postrun")
