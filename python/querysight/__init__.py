"""querysight: find N+1 queries in Django, name the relation, and print the fix.

Runtime API::

    with querysight.scope() as s:      # a block; also the middleware, pytest plugin, unittest mixin
        ...
    s.findings                          # list[Finding]

    with querysight.ignore():           # queries here are recorded by no scope
        ...

Static analysis: the ``querysight check`` command (``python -m querysight check``).

The names are loaded on first use (PEP 562), so importing ``querysight`` (the pytest plugin does,
in every pytest run) imports neither Django nor the native module.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .capture import ignore
    from .scope import Finding, NPlusOneError, QuerysightWarning, Scope, current, scope

__all__ = [
    "Finding",
    "NPlusOneError",
    "QuerysightWarning",
    "Scope",
    "current",
    "fingerprint",
    "ignore",
    "scope",
]

_LAZY = {
    "Finding": "scope",
    "NPlusOneError": "scope",
    "QuerysightWarning": "scope",
    "Scope": "scope",
    "current": "scope",
    "scope": "scope",
    "ignore": "capture",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'querysight' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the submodule ``querysight.scope`` binds it on the package; the public name
        # ``querysight.scope`` stays the context manager, as it was with an eager import.
        if name == "scope" and isinstance(value, types.ModuleType):
            value = value.scope
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def fingerprint(sql: str, dialect: str = "postgres") -> tuple[int, str]:
    """``(fingerprint, canonical text)`` of one SQL statement, as querysight groups queries
    (rules: the project's ``sql-fingerprint`` reference; dialects ``postgres``, ``mysql``,
    ``sqlite``)."""
    from . import _native

    return _native.fingerprint(sql, dialect)
