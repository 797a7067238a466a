"""The private native module (Rust, PyO3). Use the :mod:`querysight` facade instead.

Checked against the built module by ``python -m mypy.stubtest querysight._native``
(``tests/runtime/test_stub.py``)."""

from contextvars import ContextVar
from types import CodeType, FrameType
from typing import Any, Callable, final

__all__ = ["CallSites", "Capture", "Scope", "__version__", "cli_main", "fingerprint"]
__version__: str

def fingerprint(sql: str, dialect: str) -> tuple[int, str]:
    """``(fingerprint, canonical text)`` of the first statement of ``sql``; ``dialect`` is
    ``postgres``, ``mysql`` or ``sqlite`` (``ValueError`` otherwise)."""

def cli_main(argv: list[str]) -> int:
    """Runs the ``querysight`` program with ``argv`` (program name first); returns the exit code."""

@final
class Scope:
    """The detector of one scope (a request, a test, a task)."""

    def __new__(
        cls,
        threshold: int = 2,
        duplicate_threshold: int = 2,
        min_total_duration_us: int = 0,
        max_groups: int = 10000,
        include_writes: bool = False,
    ) -> Scope: ...
    def record(
        self,
        sql: str,
        params: Any,
        dialect: str,
        alias: str,
        call_site: str,
        duration_us: int,
        relation: str | None = None,
        per_row: bool = False,
        context: int = 0,
        entry: object | None = None,
        callee: tuple[object, CodeType, CodeType | None, CodeType | None] | None = None,
    ) -> None:
        """Records one executed query on database ``alias``; ``params`` as the driver got
        them (only their identity is kept: ``hash()``, else ``repr()``); ``per_row``: a
        relation load of one row of a multi-row result (each execution its own parameter set);
        ``context``: the call site's calling context (``CallSites.locate``), kept apart in the
        group key; ``entry``: the call through which test code called the code under test
        (``CallSites.locate``; an object that is that call's alone while held): a new one
        starts a new unit of work; ``callee``: the call of the library function the call site
        called, with its code object and those of the two functions it called in turn
        (``CallSites.locate``), for a plain query: an N+1 whose queries all came from one such
        call is a loop inside the library."""

    def barrier(self) -> None:
        """A unit of work ended and another starts in this scope: no N+1 or duplicate spans it."""

    def count(self, alias: str) -> None:
        """Counts a query that is not grouped (a framework cache filling itself)."""

    def add_counts(self, inner: Scope) -> None:
        """Adds the query counts of an ended nested scope to this one's."""

    def query_count_by_alias(self) -> dict[str, int]:
        """Queries per database alias so far."""

    def shapes(self) -> list[tuple[int, str, int, int, int]]:
        """``(fingerprint, canonical sql, executions, distinct parameter sets, call sites)``
        per grouped query shape so far (after ``finish()``: of the whole scope), in order of
        first execution."""

    @property
    def query_count(self) -> int:
        """Queries recorded so far."""

    def finish(self) -> list[dict[str, Any]]:
        """Ends the scope; its N+1 and duplicate groups as dicts (``kind``, ``fingerprint``,
        ``sql``, ``example``, ``call_site``, ``relation``, ``count``, ``distinct_params``, ``statement``,
        ``total_duration_us``). A second call returns an empty list."""

@final
class CallSites:
    """The stack walk that finds a query's call site (see ``querysight.callsite``)."""

    def __new__(
        cls,
        classify: Callable[[CodeType], tuple[int, str | None]],
        operation: Callable[[str | None, str | None, bool], str],
        in_place: bool = True,
    ) -> CallSites:
        """``in_place``: read the interpreter's frames in place where the running interpreter
        allows it (CPython 3.11, its frame layout checked first); false keeps the public
        frame API."""

    @property
    def in_place(self) -> bool:
        """Whether frames are read in place rather than through the public frame API."""
    def locate(
        self, frame: FrameType | None
    ) -> tuple[
        str,
        str | None,
        str | None,
        bool,
        int,
        object | None,
        tuple[object, CodeType, CodeType | None, CodeType | None] | None,
    ]:
        """``(call site, api, values, orm, context, entry, callee)`` from ``frame`` outwards."""

    def call_site(self, frame: FrameType | None) -> str:
        """``path:line`` of the first application frame from ``frame`` outwards."""

    def clear(self) -> None:
        """Forgets every classification and operation."""

    def __len__(self) -> int:
        """Code objects classified so far."""

@final
class Capture:
    """The execute wrapper of one connection (``connection.execute_wrapper`` protocol); see
    ``querysight.capture``."""

    def __new__(
        cls,
        alias: str,
        vendor: str,
        walker: CallSites,
        ignored: ContextVar[bool],
        counters: ContextVar[tuple[Any, ...]],
        count: Callable[[tuple[Any, ...], str], None],
        current: ContextVar[Any],
        getframe: Callable[..., FrameType],
        annotations: list[ContextVar[Any]],
    ) -> Capture: ...
    @property
    def alias(self) -> str:
        """The connection's database alias."""

    def __call__(self, execute: Callable[..., Any], sql: Any, params: Any, many: Any, context: Any) -> Any:
        """Runs the query and forwards it to the scope of this context, if any."""
