"""A unittest mixin: ``class MyTests(QuerysightTestMixin, TestCase)``.

* ``with self.assertNoNPlusOne(): ...`` fails the test when the block has an N+1 (or a
  duplicate), listing each with its fix. Test-client requests in the block are watched by the
  middleware, one scope per request.
* ``with self.assertMaxQueries(5): ...`` fails when the block runs more than 5 queries across
  all databases, test-client requests included (unlike ``assertNumQueries``, which counts one
  alias and needs an exact number).
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from .capture import QueryCounter, count_queries
from .scope import Scope, format_findings, scope


class QuerysightTestMixin:
    @contextlib.contextmanager
    def assertNoNPlusOne(self, *, threshold: int | None = None) -> Iterator[Scope]:
        with scope("test", mode="raise", threshold=threshold, report=False) as s:
            yield s
        if s.findings:
            self.fail(f"querysight found {len(s.findings)} problem(s):\n{format_findings(s.findings)}")  # type: ignore[attr-defined]

    @contextlib.contextmanager
    def assertMaxQueries(self, n: int) -> Iterator[QueryCounter]:
        with count_queries() as counter:
            yield counter
        if counter.total > n:
            self.fail(f"{counter.total} queries ran, more than the {n} allowed ({counter.describe()})")  # type: ignore[attr-defined]
