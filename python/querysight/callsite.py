"""The call site of a query: the first stack frame that belongs to the application.

A frame is skipped when its file is part of Django, of any installed package (``site-packages``,
``dist-packages``), of the standard library, or of querysight itself. The decision is cached per
code object (by the native walker, ``querysight._native.CallSites``, keyed by the code
object's address: CPython does not cache a code object's hash, and computing it hashes its
constants, names and bytecode), so walking the stack costs two attribute reads per frame.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from types import CodeType, FrameType
from typing import Any, Callable

_QUERYSIGHT_DIR = os.path.dirname(os.path.abspath(__file__))


def _library_roots() -> tuple[str, ...]:
    roots = {_QUERYSIGHT_DIR}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(os.path.abspath(path))
    try:
        import django

        roots.add(os.path.dirname(os.path.abspath(django.__file__)))
    except ImportError:
        pass
    return tuple(sorted(roots, key=len, reverse=True))


# Made on first use: importing this module does not import Django (the pytest plugin imports
# it before Django is configured).
_ROOTS: tuple[str, ...] | None = None


def _roots() -> tuple[str, ...]:
    global _ROOTS
    if _ROOTS is None:
        _ROOTS = _library_roots()
    return _ROOTS


_RELATIVE_TO = os.getcwd()
_LIBRARY_FILES: dict[str, bool] = {}


def _is_library(code: CodeType) -> bool:
    filename = code.co_filename
    cached = _LIBRARY_FILES.get(filename)
    if cached is not None:
        return cached
    result = (
        filename.startswith("<")
        or "site-packages" in filename
        or "dist-packages" in filename
        or any(filename.startswith(root) for root in _roots())
    )
    # Tests of querysight itself live outside the package directory: they count as application.
    if len(_LIBRARY_FILES) < 100_000:
        _LIBRARY_FILES[filename] = result
    return result


def library_function(codes: tuple[CodeType, ...]) -> str:
    """``package.module.Qualified.name`` of the library function an application line called:
    ``codes`` are the code objects of the frame it called and of the frames that one called
    in turn; the first that is not a nested function (a decorator's wrapper, Django's
    ``manager_method``) names it, else the first. The module comes from the file's path below
    ``site-packages`` (or the standard library, or Django's own directory); the file's base
    name stands in for a module it cannot name (code compiled from a string)."""
    code = next((c for c in codes if "<locals>" not in getattr(c, "co_qualname", "")), codes[0])
    return _function_name(code)


def _function_name(code: CodeType) -> str:
    filename = code.co_filename
    qualname = getattr(code, "co_qualname", code.co_name)
    relative = None
    for marker in ("site-packages", "dist-packages"):
        head, found, tail = filename.rpartition(marker + os.sep)
        if found:
            relative = tail
            break
    if relative is None:
        for root in _roots():
            if filename.startswith(root + os.sep):
                # Django's own directory names the package: keep its name.
                base = os.path.dirname(root) if os.path.basename(root) == "django" else root
                relative = os.path.relpath(filename, base)
                break
    if relative is None or not relative.endswith(".py"):
        stem = os.path.basename(filename).removesuffix(".py").strip("<>") or "?"
        return f"{stem}.{qualname}"
    module = relative[: -len(".py")].replace(os.sep, ".").removesuffix(".__init__")
    return f"{module}.{qualname}"


_DISPLAY: dict[str, str] = {}

#: ``(call, code, inner code, inner code)`` of :func:`locate`: the call of the library function
#: an application frame called (an object that is that call's alone while held), its code
#: object, and the code objects of the two functions it called in turn.
Callee = tuple[object, CodeType, "CodeType | None", "CodeType | None"]


def display_path(filename: str) -> str:
    """A path relative to the working directory when it is below it (cached per file:
    ``os.path.relpath`` costs more than the rest of a query's bookkeeping)."""
    cached = _DISPLAY.get(filename)
    if cached is not None:
        return cached
    try:
        rel = os.path.relpath(filename, _RELATIVE_TO)
    except ValueError:
        rel = filename
    result = filename if rel.startswith("..") else rel
    if len(_DISPLAY) < 100_000:
        _DISPLAY[filename] = result
    return result


# What a library frame tells about the query below it (bits, per code object). Which frames are
# which is Django knowledge: :mod:`querysight.relations` installs the classifier.
API = 1  # an entry point the application called: its name is the operation (count, first...)
ORM = 2  # the ORM built the SQL (else a raw cursor)
VALUES = 4  # rows come back as dicts or tuples; ``VALUE_KINDS`` names them
APP = 8  # an application frame: the call site
BOUNDARY = 16  # where a thread hop from async code starts (asgiref): the walk stops there
TEST = 32  # with APP: the test harness (a test module, conftest.py), see `set_test_files`
VALUE_KINDS: dict[str, str] = {}
classify: Callable[[CodeType], int] = lambda code: 0
#: ``(api, values, orm) -> operation`` of a query that is not a relation load (installed by
#: :mod:`querysight.relations` with the classifier; see ``relations.operation``).
plain_operation: Callable[[str | None, str | None, bool], str] = lambda api, values, orm: "query"


#: File-name patterns (``fnmatch``, on the base name) of the test harness: test modules and
#: ``conftest.py``. The pytest plugin sets them from pytest's ``python_files``.
_TEST_FILES: tuple[str, ...] = ("test_*.py", "*_test.py", "tests.py", "conftest.py")
_TEST_CACHE: dict[str, bool] = {}


def set_test_files(patterns: tuple[str, ...] | list[str]) -> None:
    """Which files are the test harness (``fnmatch`` patterns of base names; ``conftest.py``
    always is). Its frames mark where test code calls the code under test: each such call is
    a unit of work of its own, so a test's loop over cases is no N+1 or duplicate of the code
    it calls (see ``CallSites.locate``'s ``entry``)."""
    global _TEST_FILES
    _TEST_FILES = tuple(dict.fromkeys([*patterns, "conftest.py"]))
    _TEST_CACHE.clear()
    reset_caches()


def is_test_file(path: str) -> bool:
    """Whether ``path`` (a file name or a ``path:line`` call site's path) is a file of the
    test harness: its name matches a test-file pattern (see :func:`set_test_files`), or it
    sits directly in a directory named ``tests`` or ``test`` (a test package's helpers,
    factories and ``__init__.py``)."""
    cached = _TEST_CACHE.get(path)
    if cached is None:
        import fnmatch

        name = os.path.basename(path)
        cached = os.path.basename(os.path.dirname(path)) in ("tests", "test") or any(
            fnmatch.fnmatch(name, pattern) for pattern in _TEST_FILES
        )
        if len(_TEST_CACHE) < 100_000:
            _TEST_CACHE[path] = cached
    return cached


def _classify_code(code: CodeType) -> tuple[int, str | None]:
    """For the native walker, once per code object: its bits, with the display path of
    application code, the name of an entry point, or the kind of a values iterable."""
    if not _is_library(code):
        bits = APP | TEST if is_test_file(code.co_filename) else APP
        return bits, display_path(code.co_filename)
    bits = classify(code)
    if bits & API:
        return bits, code.co_name
    if bits & VALUES:
        return bits, VALUE_KINDS.get(getattr(code, "co_qualname", ""))
    return bits, None


_WALKER: Any = None


def walker() -> Any:
    """The native walker (``querysight._native.CallSites``), made on first use."""
    global _WALKER
    if _WALKER is None:
        from . import _native

        _WALKER = _native.CallSites(_classify_code, lambda api, values, orm: plain_operation(api, values, orm))
    return _WALKER


def call_site(start: FrameType | None = None) -> str:
    """``path:line`` of the first application frame from ``start`` outwards (default: the
    caller's caller), or ``<unknown>``."""
    return walker().call_site(start if start is not None else sys._getframe(2))


def locate(
    start: FrameType | None = None,
) -> tuple[str, str | None, str | None, bool, int, object | None, Callee | None]:
    """``(call site, api, values, orm, context, entry, callee)`` of the query being executed below ``start``
    (default: the caller's caller): the first application frame; the outermost entry point
    the application called (``count``, ``first``, ``__iter__``...); ``values``/``values_list``
    when rows are dicts or tuples; whether the ORM built the SQL (else a raw cursor); the
    application frame's calling context, a hash of the frames above it (0 without one: the
    same line reached from two lines of its caller has two contexts); the call through which
    test code called the code under test (an object that is that call's alone while held;
    ``None`` without a test frame close above); the call of the library function the
    application frame called, with the code objects of it and of the two functions it called
    in turn (``None`` without one). One walk of the stack in the native module, one look-up
    per frame by code-object address (each code object classified once, by
    :func:`_classify_code`); on CPython 3.11 the frames are read in place, without a frame
    object each (``CallSites.in_place``)."""
    return walker().locate(start if start is not None else sys._getframe(2))


def reset_caches() -> None:
    """Forget the per-code-object classification (after :data:`classify` changes)."""
    if _WALKER is not None:
        _WALKER.clear()


def source_line(path: str, line: int) -> str:
    """The source text of a call site, for ``# querysight: ignore`` comments."""
    import linecache

    return linecache.getline(path if os.path.isabs(path) else os.path.join(_RELATIVE_TO, path), line)
