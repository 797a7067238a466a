"""The call site of a query: the first stack frame that belongs to the application.

A frame is skipped when its file is part of Django, of any installed package (``site-packages``,
``dist-packages``), of the standard library, or of querysight itself. The decision is cached per
code object, so walking the stack costs a few attribute reads per frame.

The caches are keyed by ``id(code)``, not by the code object: CPython does not cache a code
object's hash, and computing it hashes its constants, names and bytecode (0.2 to 1 us for a
Django method, on every look-up). The cached code objects are kept alive (``_ALIVE``), so an id
in the cache cannot be reused by another object while it is there.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from types import CodeType, FrameType
from typing import Callable

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


_ROOTS = _library_roots()
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
        or any(filename.startswith(root) for root in _ROOTS)
    )
    # Tests of querysight itself live outside the package directory: they count as application.
    if len(_LIBRARY_FILES) < 100_000:
        _LIBRARY_FILES[filename] = result
    return result


_DISPLAY: dict[str, str] = {}


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


def find_frame(start: FrameType | None = None) -> FrameType | None:
    """The first application frame above ``start`` (default: the caller's caller)."""
    frame = start if start is not None else sys._getframe(2)
    while frame is not None:
        if not _is_library(frame.f_code):
            return frame
        frame = frame.f_back
    return None


def call_site(start: FrameType | None = None) -> str:
    """``path:line`` of the first application frame, or ``<unknown>``."""
    frame = start if start is not None else sys._getframe(2)
    info = _INFO
    while frame is not None:
        code = frame.f_code
        bits = info.get(id(code))
        if bits is None:
            bits = _frame_info(code)
        if bits & APP:
            return f"{_PATHS[id(code)]}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


# What a library frame tells about the query below it (bits, cached per code object). Which
# frames are which is Django knowledge: :mod:`querysight.relations` installs the classifier.
API = 1  # an entry point the application called: its name is the operation (count, first...)
ORM = 2  # the ORM built the SQL (else a raw cursor)
VALUES = 4  # rows come back as dicts or tuples; ``VALUE_KINDS`` names them
APP = 8  # an application frame: the call site
VALUE_KINDS: dict[str, str] = {}
classify: Callable[[CodeType], int] = lambda code: 0

# id(code object) -> bits above; application code objects -> their display path. One dict
# look-up per frame on the per-query path (bounded: past the cap, the caches start over).
_INFO: dict[int, int] = {}
_PATHS: dict[int, str] = {}
_ALIVE: list[CodeType] = []  # every code object in _INFO: its id stays its own


def _frame_info(code: CodeType) -> int:
    bits = APP if not _is_library(code) else classify(code)
    if len(_INFO) >= 100_000:  # bounded: start over rather than grow
        reset_caches()
    if bits & APP:
        _PATHS[id(code)] = display_path(code.co_filename)
    _INFO[id(code)] = bits
    _ALIVE.append(code)
    return bits


def reset_caches() -> None:
    """Forget the per-code-object classification (after :data:`classify` changes)."""
    _INFO.clear()
    _PATHS.clear()
    _ALIVE.clear()


def locate(start: FrameType | None = None) -> tuple[str, str | None, str | None, bool]:
    """``(call site, api, values, orm)`` of the query being executed below ``start`` (default:
    the caller's caller): the first application frame; the outermost entry point the
    application called (``count``, ``first``, ``__iter__``...); ``values``/``values_list``
    when rows are dicts or tuples; whether the ORM built the SQL (else a raw cursor). One walk
    of the stack, one dict look-up per frame (each code object classified once, by
    :data:`classify`)."""
    frame = start if start is not None else sys._getframe(2)
    api: str | None = None
    values: str | None = None
    orm = False
    info = _INFO
    while frame is not None:
        code = frame.f_code
        bits = info.get(id(code))
        if bits is None:
            bits = _frame_info(code)
        if bits:
            if bits & APP:
                return f"{_PATHS[id(code)]}:{frame.f_lineno}", api, values, orm
            if bits & API:
                api = code.co_name
            elif bits & ORM:
                orm = True
            elif bits & VALUES:
                values = VALUE_KINDS.get(getattr(code, "co_qualname", ""))
        frame = frame.f_back
    return "<unknown>", api, values, orm


def source_line(path: str, line: int) -> str:
    """The source text of a call site, for ``# querysight: ignore`` comments."""
    import linecache

    return linecache.getline(path if os.path.isabs(path) else os.path.join(_RELATIVE_TO, path), line)
