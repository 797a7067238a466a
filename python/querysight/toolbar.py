"""A django-debug-toolbar panel listing the request's N+1 and duplicate query groups, each with
its relation, call site and fix::

    DEBUG_TOOLBAR_PANELS = [..., "querysight.toolbar.QuerysightPanel"]

(``querysight`` must be in ``INSTALLED_APPS`` for the panel's template.) The panel watches the
request in its own scope, in sync and async (ASGI) stacks. Scopes nest: when the querysight
middleware is also installed (above the toolbar), the panel's scope takes the request's queries
and the panel is where they are reported.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from debug_toolbar.panels import Panel
from django.core.handlers.asgi import ASGIRequest

from .scope import Scope, scope


class QuerysightPanel(Panel):
    title = "querysight: N+1 queries"
    nav_title = "N+1 queries"
    template = "querysight/panel.html"
    is_async = True

    _scope: Scope | None = None

    @property
    def nav_subtitle(self) -> str:
        stats = self.get_stats()
        n = len(stats.get("findings", ()))
        return f"{n} problem{'s' if n != 1 else ''}" if stats else ""

    def _start(self, request: Any) -> scope | None:
        watcher = scope(f"toolbar {request.method} {request.path}", mode="log", report=False)
        try:
            watcher.__enter__()
        except Exception:
            logging.getLogger("querysight").exception("querysight: the toolbar panel could not watch the request")
            return None
        return watcher

    def _stop(self, watcher: scope | None) -> None:
        if watcher is None:
            return
        try:
            watcher.__exit__(None, None, None)
        except Exception:
            logging.getLogger("querysight").exception("querysight: internal error in the toolbar panel")
            return
        self._scope = watcher.scope

    def process_request(self, request: Any) -> Any:
        if isinstance(request, ASGIRequest):
            return self._aprocess_request(request)
        watcher = self._start(request)
        try:
            return super().process_request(request)
        finally:
            self._stop(watcher)

    async def _aprocess_request(self, request: Any) -> Any:
        watcher = self._start(request)
        try:
            return await super().process_request(request)
        finally:
            self._stop(watcher)

    def generate_stats(self, request: Any, response: Any) -> None:
        s = self._scope
        findings = [dataclasses.asdict(f) for f in s.findings] if s is not None else []
        self.record_stats({"findings": findings, "query_count": s.query_count if s is not None else 0})
