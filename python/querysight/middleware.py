"""``MIDDLEWARE += ["querysight.middleware.QuerysightMiddleware"]``: one scope per request.

Works in sync and async stacks; the scope is closed in ``finally`` whatever the view does.
Findings are raised, warned or logged by ``QUERYSIGHT["MODE"]`` (``raise`` turns the response
into an error, for development and tests) and counted in the ``X-Querysight-Findings`` response
header. Error responses (4xx/5xx) are not reported. With ``SAMPLE_RATE`` below 1 only that
fraction of requests is watched; ``ENABLED: False`` turns the middleware off.

The scope is per request even inside a test's scope, so two requests to a detail view are never
an N+1; a test's query count (``max_queries``, ``assertMaxQueries``) still includes them.

Outside ``raise`` mode querysight never breaks a request: if a scope cannot be set up, the
request runs unwatched and the error is logged.
"""

from __future__ import annotations

import logging
import random
from typing import Any, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from . import checks
from .conf import get_settings
from .scope import Scope, scope

_checked_without_app = False


def _watch() -> bool:
    settings = get_settings()
    if not settings.enabled:
        return False
    return settings.sample_rate >= 1.0 or random.random() < settings.sample_rate


def _check_without_app() -> None:
    """Without the app in ``INSTALLED_APPS`` no system check validates the settings: log the
    checks' messages once, when the first middleware is built."""
    global _checked_without_app
    from django.apps import apps

    if _checked_without_app or apps.is_installed("querysight"):
        return
    _checked_without_app = True
    logger = logging.getLogger(get_settings().logger)
    for message in checks.check_settings():
        logger.warning("%s", message)


class QuerysightMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
        _check_without_app()

    def __call__(self, request: Any) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        watcher = _start(request)
        if watcher is None:
            return self.get_response(request)
        try:
            response = self.get_response(request)
        finally:
            s = _stop(watcher)
        _report(s, response)
        return response

    async def __acall__(self, request: Any) -> Any:
        watcher = _start(request)
        if watcher is None:
            return await self.get_response(request)
        try:
            response = await self.get_response(request)
        finally:
            s = _stop(watcher)
        _report(s, response)
        return response


def _start(request: Any) -> scope | None:
    """A started scope for this request, or None when it is not watched."""
    try:
        if not _watch():
            return None
        watcher = scope(f"{request.method} {request.path}", report=False)
        watcher.__enter__()
    except Exception:
        settings = get_settings()
        if settings.mode == "raise":
            raise
        logging.getLogger(settings.logger).exception("querysight: could not watch %s", request.path)
        return None
    return watcher


def _stop(watcher: scope) -> Scope | None:
    """Ends the scope; in warn/log mode an internal error ends it silently (logged)."""
    try:
        watcher.__exit__(None, None, None)
    except Exception:
        if watcher.scope is None or watcher.scope.mode == "raise":
            raise
        logging.getLogger(watcher.scope.settings.logger).exception("querysight: internal error")
        return None
    return watcher.scope


def _report(s: Scope | None, response: Any) -> None:
    if s is None:
        return
    status = getattr(response, "status_code", 200)
    if status >= 400:
        return
    findings = s.findings
    if not findings:
        return
    headers = getattr(response, "headers", None)
    if headers is not None:
        headers["X-Querysight-Findings"] = str(len(findings))
    s.report(findings)
