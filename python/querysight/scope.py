"""Scopes: a request, a test, a task or a ``with querysight.scope():`` block.

Queries are captured by a ``connection.execute_wrapper`` on every database alias (see
:mod:`querysight.capture`) and forwarded to the scope of the current context (a ``ContextVar``,
so threads and asyncio tasks are isolated). The scope hands each query to the native detector
(SQL normalization, fingerprint and counting happen in Rust) and, when it ends, turns the
detector's groups into :class:`Finding` objects with a fix computed from Django's model registry.

Reliability: in ``warn`` and ``log`` modes an internal error never reaches the application; it
is logged once and the scope stops watching.
"""

from __future__ import annotations

import contextvars
import itertools
import sys
import fnmatch
import logging
import re
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

from . import callsite, capture_file, fixes, relations
from .conf import Settings, get_settings

#: The scope of the current context (shared with :mod:`querysight.relations`).
_current: contextvars.ContextVar["Scope | None"] = relations.current_scope

_IGNORE = re.compile(r"#\s*querysight:\s*ignore(?:\[(?P<codes>[\w,\s-]+)\])?")

#: Call sites remembered per scope (bounded memory; later sites still count, without details).
_MAX_SITES = 50_000

_scope_ids = itertools.count(1)

#: Separates a group key from its calling context, which the native scope appends (see
#: ``callsite.locate``): the same line reached from two lines of its caller is two groups,
#: never one loop; what a finding says of the group is kept under the key without it.
_CONTEXT_MARK = "\x1f"

_DIALECTS = {"postgresql": "postgres", "postgis": "postgres", "mysql": "mysql", "sqlite": "sqlite"}


class NPlusOneError(AssertionError):
    """Raised at the end of a scope in ``raise`` mode (tests), listing the findings.

    Its only argument is the message, so it survives the round trip through a Celery result
    backend (rebuilt from its message, with ``findings`` empty)."""

    def __init__(self, findings: "list[Finding] | str") -> None:
        if isinstance(findings, str):
            self.findings: list[Finding] = []
            super().__init__(findings)
            return
        self.findings = findings
        super().__init__(format_findings(findings))


class QuerysightWarning(UserWarning):
    """Emitted at the end of a scope in ``warn`` mode."""


@dataclass
class Finding:
    """One N+1 group, duplicate or unused eager load found in a scope.

    ``kind`` is ``n_plus_one``, ``duplicate`` or ``unused_eager``; ``relation`` is
    ``app_label.Model.field`` when the query was a relation load; ``count`` executions took
    ``total_ms`` in all; ``call_site`` is the application line (``path:line``), with
    ``template`` (``name:line``) and ``serializer_field`` (``Serializer.field``) when the query
    came from there; ``origin`` is where the queryset whose rows were looped over was built
    (the line the fix goes to); ``operation`` is what ran per row (``load``, ``count``,
    ``get``, ``first``, ``filter``, ``raw``...); ``prefetched`` when the relation had been
    prefetched and the call threw the prefetch away; ``fix`` is the code to add to that
    queryset, or advice. An ``unused_eager`` finding is reported at the queryset's line, with
    ``path`` the ``select_related``/``prefetch_related`` lookup never read. ``inside`` names the
    library function (``taggit.managers._TaggableManager.add``) whose own loop ran every query
    of an N+1, which ``call_site`` called once: the loop is the library's. A duplicate's
    ``call_site`` is where its first avoidable repeat ran, ``first_call_site`` where the query
    first ran when that is another line.
    """

    kind: str
    call_site: str
    count: int
    total_ms: float
    sql: str
    example_sql: str
    fingerprint: int
    relation: str | None = None
    relation_kind: str | None = None
    path: str | None = None
    template: str | None = None
    serializer_field: str | None = None
    fix: str = ""
    distinct_params: int = 0
    origin: str | None = None
    operation: str | None = None
    prefetched: bool = False
    inside: str | None = None
    first_call_site: str | None = None

    @property
    def code(self) -> str:
        return self.kind

    def describe(self) -> str:
        where = self.call_site
        if self.template:
            where += f" (template {self.template})"
        if self.serializer_field:
            where += f" (serializer field {self.serializer_field})"
        if self.kind == "unused_eager":
            head = f"unused eager load: `{self.path}` ({self.relation}) loaded and never read at {where}"
            return f"{head}\n    fix: {self.fix}"
        what = "the same query ran"
        if self.relation and self.operation in (None, "load", "all", "prefetch"):
            what = f"`{self.relation}` loaded"
        elif self.relation:
            call = "[i]" if self.operation == "index" else f".{self.operation}()"
            what = f"`{self.relation}{call}` ran"
        elif self.operation == "get":
            what = "`.get()` ran once per row,"
        elif self.operation in fixes.WRITES:
            what = f"an {self.operation.upper()} ran once per row,"
        if self.kind == "duplicate":
            head = f"duplicate query: ran {self.count} times with the same parameters at {where}"
            if self.first_call_site:
                head += f" (first at {self.first_call_site})"
        elif self.inside:
            call = f"`{fixes.call_text(self.operation)}`" if self.operation not in (None, "query") else "a query"
            head = (
                f"N+1 inside `{self.inside}`: {call} ran {self.count} times, once per item, "
                f"in one call at {where} ({self.total_ms:.1f} ms)"
            )
        else:
            head = f"N+1: {what} {self.count} times at {where} ({self.total_ms:.1f} ms)"
        fix = self.fix
        if self.origin and self.origin != self.call_site and self.kind == "n_plus_one":
            fix += f" (on the queryset at {self.origin})"
        return f"{head}\n    {self.sql}\n    fix: {fix}"


@dataclass(frozen=True)
class Shape:
    """One SELECT shape (fingerprint) of a scope, across call sites: ``count`` executions with
    ``distinct_params`` parameter sets (exact while each call site saw at most 64, estimated
    past that) from ``call_sites`` call sites (a line, and what ran there: a ``.get()``, a
    relation load...)."""

    fingerprint: int
    sql: str
    count: int
    distinct_params: int
    call_sites: int


def format_findings(findings: list[Finding]) -> str:
    return "\n".join(f.describe() for f in findings) or "no findings"


class _CallSiteInfo(NamedTuple):
    """What a finding says about a group key's call site (a tuple: one is made per new key,
    once per scope for each relation query)."""

    site: str
    template: str | None
    serializer_field: str | None
    relation: relations.Relation | None
    operation: str


_NATIVE: Any = None


def _load_native() -> Any:
    """The native module, imported on the first scope (importing ``querysight`` does not)."""
    global _NATIVE
    from . import _native

    _NATIVE = _native
    return _native


class Scope:
    """One unit of work watched for N+1 queries. Use :func:`scope` rather than this class."""

    def __init__(self, name: str = "scope", settings: Settings | None = None, **overrides: Any) -> None:
        native = _NATIVE or _load_native()
        self.name = name
        self.settings = settings = settings or get_settings()
        self.mode = overrides.get("mode", settings.mode)
        self._native = native.Scope(
            int(overrides.get("threshold", settings.threshold)),
            int(settings.duplicate_threshold),
            int(settings.min_duration_ms * 1000),
            int(settings.max_groups),
            settings.detects("writes"),
        )
        self._sites: dict[str, _CallSiteInfo] = {}
        self._walker = callsite.walker()
        # (queryset line, path) -> [kind, relation label, loads, read]
        self._eager: dict[tuple[str, str], list[Any]] = {}
        self.track_eager = settings.detects("unused_eager")
        if self.track_eager:
            relations.track_eager_reads()
        self.disabled = False
        self.failed = False
        self._finished = False
        self._error_logged = False
        self.findings: list[Finding] = []
        self._capture_file = settings.capture_file
        # The native scope, for the wrapper to record plain queries into directly; None when
        # every query goes through `record` (a capture file; a disabled or finished scope).
        self._plain: Any = self._native if self._capture_file is None else None
        self._capture_scope = f"{name}#{next(_scope_ids)}" if self._capture_file is not None else name

    # -- capture ----------------------------------------------------------------------------

    def record(self, sql: str, params: Any, alias: str, vendor: str, duration_ns: int) -> None:
        """Called by the execute wrapper after a query that loads a relation, runs from a
        template or a serializer field, hops from async code, or while a capture file is
        written (never raises in warn/log mode); other queries are recorded by the native
        wrapper itself (``querysight._native.Capture``, through ``_plain``).

        Python finds what only Python can see (the template line, the serializer field, the
        relation being loaded) and forwards it; counting, parameter identity, SQL
        normalization and grouping happen in the native scope."""
        if self.disabled or self._finished:
            return
        try:
            if relations.uncounted.get():
                # a framework cache filling itself (content types): bounded, not a loop
                self._native.count(alias)
                return
            template = relations.current_template.get()
            field = relations.current_serializer_field.get()
            relation = relations.current_relation.get()
            if relation is not None and relation.batch and self._capture_file is None:
                self._record_batch(sql, params, alias, vendor, duration_ns, relation, template, field)
                return
            hop = relations.async_site.get()
            site, api, values, orm, context, entry, callee = self._walker.locate(sys._getframe(1))
            if hop is not None:
                # The walk ends at the thread hop: the awaiting line is the rest of the context.
                context = hash((context, hop)) & 0xFFFFFFFFFFFFFFFF
                if site == "<unknown>":  # no application frame below the hop
                    site = hop
            operation = relations.operation(relation, api, values, orm)
            key = self._key(site, operation, template, field, relation)
            label = relation.label if relation is not None else None
            per_row = (
                relation is not None
                and relation.kind != "prefetch"
                and relation.origin is not None
                and relation.origin.multi
            )
            self._native.record(
                sql, params, _DIALECTS.get(vendor, "sqlite"), alias, key, duration_ns // 1000, label, per_row,
                context, entry,
                # A loop inside a library only for plain queries: a relation load, a template
                # line or a serializer field says where the loop is.
                callee if relation is None and template is None and field is None else None,
            )
            if self._capture_file is not None:
                capture_file.write(
                    self._capture_file,
                    sql=sql,
                    params=params,
                    duration_us=duration_ns // 1000,
                    scope=self._capture_scope,
                    call_site=site,
                    vendor=vendor,
                    alias=alias,
                    relation=label,
                    logger=self.settings.logger,
                )
        except Exception:
            self._fail()

    def _record_batch(
        self, sql: str, params: Any, alias: str, vendor: str, duration_ns: int, relation: Any, template: Any,
        field: str | None,
    ) -> None:
        """The query of a prefetch batch over several rows (``Relation.batch``), without a
        stack walk: its group key is the batch's own, so it is no N+1 or duplicate of any other
        query, and where the application ran it changes nothing. Should one batch repeat a
        query (proxy models' content types sharing a table), the finding is reported at the
        line that built the queryset (``Origin.site``), where its fix goes."""
        site = relation.origin.site if relation.origin is not None else "<unknown>"
        key = self._key(site, "prefetch", template, field, relation)
        self._native.record(
            sql, params, _DIALECTS.get(vendor, "sqlite"), alias, key, duration_ns // 1000, relation.label
        )

    def _key(self, site: str, op: str, template: Any, field: str | None, relation: Any) -> str:
        """The group key of a query run from a template or a serializer field, or loading a
        relation, or of any query while a capture file is written (remembering what a finding
        needs to say about it); other queries are keyed by the native wrapper."""
        key = f"{site} [{op}]"
        if template is not None:
            key += f" [template {template[0]}:{template[1]}]"
        if field is not None:
            key += f" [serializer {field}]"
        if relation is not None:
            key += f" [relation {relation.key}]"
        if key not in self._sites and len(self._sites) < _MAX_SITES:
            self._sites[key] = _CallSiteInfo(
                site=site,
                template=f"{template[0]}:{template[1]}" if template else None,
                serializer_field=field,
                relation=relation,
                operation=op,
            )
        return key

    # -- eager loading (opt-in "unused_eager") ------------------------------------------------

    def eager_loaded(self, site: str, path: str, kind: str, label: str) -> None:
        """The queryset built at ``site`` loaded ``path`` with ``select_related`` or
        ``prefetch_related`` and rows came back for it (called by :mod:`relations`)."""
        entry = self._eager.get((site, path))
        if entry is None:
            if len(self._eager) >= self.settings.max_groups:
                return
            entry = self._eager[(site, path)] = [kind, label, 0, False]
        entry[2] += 1

    def eager_used(self, site: str, path: str) -> None:
        """``path`` (and so each of its parents) of the queryset built at ``site`` was read."""
        while path:
            entry = self._eager.get((site, path))
            if entry is not None:
                entry[3] = True
            path = path.rpartition("__")[0]

    def barrier(self) -> None:
        """A unit of work ended and another starts in this scope: a test-client request
        inside a test's scope (Django's ``request_started`` signal, see :mod:`capture`). Like
        separate scopes, but counted together: no N+1 or duplicate spans two requests."""
        try:
            self._native.barrier()
        except Exception:
            self._fail()

    def mark_failed(self) -> None:
        """The unit of work failed (an error response, an exception): the code that would have
        read the eager-loaded relations may not have run, so no unused-eager finding is made."""
        self.failed = True

    def _native_error(self, error: BaseException) -> None:
        """The native wrapper failed to record a query: the same policy as :meth:`_fail`."""
        try:
            raise error
        except Exception:
            self._fail()

    def _fail(self) -> None:
        self.disabled = True
        self._plain = None
        if self.mode == "raise":
            raise
        if not self._error_logged:
            self._error_logged = True
            logging.getLogger(self.settings.logger).exception(
                "querysight: internal error; detection is off for scope %r", self.name
            )

    @property
    def query_count(self) -> int:
        """Queries run in this scope so far, on every database alias, including those of
        scopes nested in it that have ended."""
        return int(self._native.query_count)

    def query_count_by_alias(self) -> dict[str, int]:
        return dict(self._native.query_count_by_alias())

    def shapes(self) -> list[Shape]:
        """Every SELECT shape seen so far with its totals across call sites ("similar
        queries"), most executed first. After the scope, those of the whole scope."""
        shapes = [
            Shape(fingerprint=fp, sql=text, count=count, distinct_params=params, call_sites=groups)
            for fp, text, count, params, groups in self._native.shapes()
        ]
        shapes.sort(key=lambda s: -s.count)
        return shapes

    # -- results ----------------------------------------------------------------------------

    def finish(self) -> list[Finding]:
        """Ends detection and returns the findings (also kept on ``self.findings``). Calling it
        again returns the same findings."""
        if self._finished:
            return self.findings
        self._finished = True
        self._plain = None
        if self.disabled and not self.query_count:
            return []
        try:
            groups = self._native.finish()
        except Exception:
            self._fail()
            return []
        findings = []
        for group in groups:
            finding = self._finding(group)
            if finding is not None:
                findings.append(finding)
        findings.extend(self._unused_eager(findings))
        self.findings = findings
        return findings

    def _finding(self, group: dict[str, Any]) -> Finding | None:
        kind = group["kind"]
        detect_key = "duplicates" if kind == "duplicate" else "n_plus_one"
        if not self.settings.detects(detect_key):
            return None
        first_site = None
        if kind == "duplicate":
            # Reported where the avoidable repeat ran (where keeping the first result saves
            # the query), with where it first ran.
            first_site = self._site_info(group["call_site"]).site
            info = self._site_info(group.get("repeat_site", group["call_site"]))
        else:
            info = self._site_info(group["call_site"])
        site = info.site
        relation = info.relation
        operation = info.operation
        if group.get("statement") == "write":  # DETECT["writes"]: a write per row
            operation = group["sql"].lstrip().split(None, 1)[0].lower()
            relation = None
        if relation is not None and self._allowed(relation):
            return None
        if site == "<unknown>" and relation is None and info.template is None and info.serializer_field is None:
            # No application frame ran it: Django's or a library's own queries (the admin
            # counting rows twice), which no line of the project can change.
            return None
        inside = callsite.library_function(group["callee"]) if group.get("callee") is not None else None
        if inside is not None and any(fnmatch.fnmatch(inside, pattern) for pattern in relations.BOUNDED_LOOPS):
            return None  # a loop over a form's fields, not over data
        if any(
            fnmatch.fnmatch(site, pattern) or (inside is not None and fnmatch.fnmatch(inside, pattern))
            for pattern in self.settings.allow_call_sites
        ):
            return None
        if _ignored_inline(site, detect_key):
            return None
        finding = Finding(
            kind=kind,
            call_site=site,
            count=int(group["count"]),
            total_ms=group["total_duration_us"] / 1000.0,
            sql=group["sql"],
            example_sql=group["example"],
            fingerprint=int(group["fingerprint"]),
            relation=relation.label if relation else None,
            relation_kind=relation.kind if relation else None,
            path=relation.path if relation else None,
            template=info.template,
            serializer_field=info.serializer_field,
            distinct_params=int(group.get("distinct_params", 0)),
            origin=_origin_site(relation),
            operation=operation,
            prefetched=relation.prefetched if relation else False,
            inside=inside,
            first_call_site=first_site if first_site != site else None,
        )
        finding.fix = fixes.fix_for(finding, relation)
        return finding

    def _site_info(self, group_key: str) -> _CallSiteInfo:
        """What the scope knows of a native group key: the key without the calling context
        the native scope appended, looked up in ``_sites``, else parsed (a query recorded by
        the native wrapper: ``path:line [operation]``)."""
        key = group_key.partition(_CONTEXT_MARK)[0]
        info = self._sites.get(key)
        if info is None:
            site, _, rest = key.rpartition(" [")
            info = _CallSiteInfo(site or key, None, None, None, rest.rstrip("]") or "query")
        return info

    def _allowed(self, relation: relations.Relation) -> bool:
        allow = self.settings.allow_relations
        if _allowed_relation(relation.label, allow):
            return True
        return relation.field_label is not None and _allowed_relation(relation.field_label, allow)

    def _unused_eager(self, findings: list[Finding]) -> list[Finding]:
        """Eager loads registered with rows and never read, one finding per (queryset line,
        path). A prefetch that a per-row call threw away is explained by that N+1 instead."""
        if not self.track_eager or self.failed or not self.settings.detects("unused_eager"):
            return []
        defeated = {(f.origin, f.path) for f in findings if f.kind == "n_plus_one" and f.prefetched}
        out = []
        for (site, path), (kind, label, loads, used) in self._eager.items():
            if used or (site, path) in defeated or site == "<unknown>":  # a library's queryset
                continue
            if _allowed_relation(label, self.settings.allow_relations):
                continue
            if any(fnmatch.fnmatch(site, pattern) for pattern in self.settings.allow_call_sites):
                continue
            if _ignored_inline(site, "unused_eager"):
                continue
            finding = Finding(
                kind="unused_eager",
                call_site=site,
                count=loads,
                total_ms=0.0,
                sql="",
                example_sql="",
                fingerprint=0,
                relation=label,
                relation_kind=kind,
                path=path,
                origin=site,
                operation=kind,
            )
            finding.fix = fixes.fix_for(finding)
            out.append(finding)
        return out

    def report(self, findings: list[Finding]) -> None:
        """Acts on findings according to the mode."""
        if not findings:
            return
        if self.mode == "raise":
            raise NPlusOneError(findings)
        if self.mode == "warn":
            warnings.warn(format_findings(findings), QuerysightWarning, stacklevel=3)
        else:
            logger = logging.getLogger(self.settings.logger)
            for finding in findings:
                logger.warning("querysight: %s", finding.describe())


def _origin_site(relation: relations.Relation | None) -> str | None:
    """Where the queryset whose rows were looped over was built, when a line of the project
    built it (not Django's deletion collector, say)."""
    origin = relation.origin if relation is not None else None
    if origin is None or origin.site == "<unknown>":
        return None
    return origin.site


def _allowed_relation(label: str, allow: tuple[str, ...]) -> bool:
    short = label.split(".", 1)[1] if label.count(".") >= 2 else label
    return any(fnmatch.fnmatch(label, p) or fnmatch.fnmatch(short, p) for p in allow)


def _ignored_inline(site: str, detect_key: str) -> bool:
    path, _, line = site.rpartition(":")
    if not line.isdigit():
        return False
    match = _IGNORE.search(callsite.source_line(path, int(line)))
    if match is None:
        return False
    codes = match.group("codes")
    if not codes:
        return True
    wanted = {c.strip().replace("-", "_") for c in codes.split(",")}
    # Accept the detection name (`duplicates`) and the finding kind (`duplicate`).
    aliases = {"duplicates": {"duplicates", "duplicate"}, "n_plus_one": {"n_plus_one", "nplusone"}}
    return bool(wanted & aliases.get(detect_key, {detect_key}))


_install: Any = None


def _load_install() -> Any:
    global _install
    from .capture import install

    _install = install
    return install


def current() -> Scope | None:
    """The scope of the current context, if any."""
    return _current.get()


class scope:
    """Watch a block of code: ``with querysight.scope() as s: ...``.

    On exit the findings are in ``s.findings`` and are raised, warned or logged according to
    ``mode`` (default: the ``QUERYSIGHT["MODE"]`` setting). Scopes nest: the inner scope
    detects in the queries of its block and reports its own findings; when it ends, its query
    counts are added to the outer scope's ``query_count`` (a test's scope counts the queries
    of the test-client requests it makes), and the outer scope does not detect in them again.
    """

    def __init__(self, name: str = "scope", *, mode: str | None = None, threshold: int | None = None,
                 report: bool = True) -> None:
        overrides: dict[str, Any] = {}
        if mode is not None:
            overrides["mode"] = mode
        if threshold is not None:
            overrides["threshold"] = threshold
        self._overrides = overrides
        self._name = name
        self._report = report
        self.scope: Scope | None = None
        self._tokens: list[contextvars.Token[Any]] = []

    def __enter__(self) -> Scope:
        install = _install or _load_install()
        install()
        self.scope = Scope(self._name, **self._overrides)
        self._tokens = [_current.set(self.scope), relations.active.set(True)]
        return self.scope

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        scope_, tokens = self.scope, self._tokens
        relations.active.reset(tokens[1])
        _current.reset(tokens[0])
        if scope_ is None:
            return
        outer = _current.get()
        if outer is not None and outer is not scope_:
            outer._native.add_counts(scope_._native)
        if exc_type is not None:
            scope_.mark_failed()
        findings = scope_.finish()
        if self._report and exc_type is None:
            scope_.report(findings)

    async def __aenter__(self) -> Scope:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)
