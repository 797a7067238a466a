"""The private native module (Rust, PyO3). Use the :mod:`querysight` facade instead.

Checked against the built module by ``python -m mypy.stubtest querysight._native``
(``tests/runtime/test_stub.py``)."""

from typing import Any, final

__all__ = ["Scope", "__version__", "cli_main", "fingerprint"]
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
    ) -> Scope: ...
    def record(
        self,
        sql: str,
        params: str | None,
        dialect: str,
        call_site: str,
        duration_us: int,
        relation: str | None = None,
    ) -> None:
        """Records one executed query; ``params`` is the ``repr()`` of its parameters."""

    @property
    def query_count(self) -> int:
        """Queries recorded so far."""

    def finish(self) -> list[dict[str, Any]]:
        """Ends the scope; its N+1 and duplicate groups as dicts (``kind``, ``fingerprint``,
        ``sql``, ``example``, ``call_site``, ``relation``, ``count``, ``distinct_params``,
        ``total_duration_us``). A second call returns an empty list."""
