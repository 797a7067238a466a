"""The native stack walk reads CPython 3.11's frames in place (``querysight._native``'s
``stack.rs``): it must find what the public frame API finds, frame for frame, on every kind of
stack, and tell one call from another without frame objects."""

from __future__ import annotations

import asyncio
import sys
import threading

import pytest

from querysight import _native, callsite

APP, TEST = callsite.APP, callsite.TEST


def classify(code):
    """Application code: functions named ``app_*``; test harness: ``case_*``; the rest is
    library code (``lib_*``, this module's helpers, pytest)."""
    if code.co_name.startswith("app_"):
        return APP, f"app.py/{code.co_name}"
    if code.co_name.startswith("case_"):
        return APP | TEST, f"tests.py/{code.co_name}"
    return 0, None


def walkers():
    return (
        _native.CallSites(classify, lambda api, values, orm: "query"),
        _native.CallSites(classify, lambda api, values, orm: "query", in_place=False),
    )


IN_PLACE, PUBLIC = walkers()


def located(frame):
    """What both walks found from ``frame``, made comparable: the call tokens as whether
    there is one, the callee's code objects as they are."""
    found = []
    for walker in (IN_PLACE, PUBLIC):
        site, api, values, orm, context, entry, callee = walker.locate(frame)
        found.append((site, api, values, orm, context, entry is not None, callee[1:] if callee else None))
    return found


def probe():
    """Both walks from the caller of this function."""
    return located(sys._getframe(1))


def test_frames_are_read_in_place_on_cpython_311():
    expected = sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)
    assert IN_PLACE.in_place is expected
    assert callsite.walker().in_place is expected
    assert PUBLIC.in_place is False


# -- every kind of frame: both walks agree --------------------------------------------------


def lib_call(f, *args):
    return f(*args)


def app_plain():
    return lib_call(probe)


def app_recursive(n):
    if n:
        return app_recursive(n - 1)
    return lib_call(probe)


def app_closure():
    captured = 1  # a cell: the frame makes it before its first instruction

    def app_inner():
        return captured and lib_call(probe)

    return app_inner()


def app_generator():
    yield lib_call(probe)


def app_in_generator():
    return next(app_generator())


def app_comprehension():
    return [lib_call(probe) for _ in range(1)][0]


def app_in_except():
    try:
        raise ValueError
    except ValueError:
        return lib_call(probe)


async def app_coroutine():
    await asyncio.sleep(0)
    return lib_call(probe)


def app_async():
    return asyncio.run(app_coroutine())


def app_thread():
    out = []
    thread = threading.Thread(target=lambda: out.append(app_plain()))
    thread.start()
    thread.join()
    return out[0]


class AppClassBody:
    found = lib_call(probe)  # a class body: its frame has a namespace, not fast locals


def case_calls_app():
    return app_plain()


@pytest.mark.parametrize(
    "run",
    [
        app_plain,
        lambda: app_recursive(5),
        app_closure,
        app_in_generator,
        app_comprehension,
        app_in_except,
        app_async,
        app_thread,
        lambda: AppClassBody.found,
        case_calls_app,
        lambda: probe(),  # no application frame at all
    ],
    ids=[
        "plain", "recursion", "closure", "generator", "comprehension", "except", "coroutine",
        "thread", "class body", "from test code", "no application frame",
    ],
)
def test_both_walks_agree(run):
    in_place, public = run()
    assert in_place == public
    site = in_place[0]
    assert site == "<unknown>" or site.startswith("app.py/app_") or "AppClassBody" in site or "app.py/" in site


def test_the_line_is_the_line_being_run():
    def app_two_lines():
        first = lib_call(probe)
        second = lib_call(probe)
        return first, second

    first, second = app_two_lines()
    line = app_two_lines.__code__.co_firstlineno
    assert first[0][0] == f"app.py/app_two_lines:{line + 1}"
    assert second[0][0] == f"app.py/app_two_lines:{line + 2}"
    assert first == [first[0]] * 2 and second == [second[0]] * 2


# -- telling calls apart -------------------------------------------------------------------


def callee_token(walker):
    """The callee's token of a walk from this function's caller."""
    return walker.locate(sys._getframe(1))[6][0]


def lib_loop(walker, n):
    """A library function that loops: every query inside it came from one call."""
    tokens = []
    for _ in range(n):
        tokens.append(callee_token(walker))
    return tokens


def app_one_call(walker):
    return lib_loop(walker, 3)


def lib_once(walker):
    return callee_token(walker)


def app_three_calls(walker):
    tokens = []
    for _ in range(3):
        tokens.append(lib_once(walker))
    return tokens


@pytest.mark.parametrize("walker", [IN_PLACE, PUBLIC], ids=["in place", "public"])
def test_one_call_has_one_token_and_separate_calls_have_their_own(walker):
    one = app_one_call(walker)
    assert all(token is one[0] for token in one)
    # The tokens are held (here, in the list), as a scope holds its last one: no address
    # of a finished call is another call's.
    three = app_three_calls(walker)
    assert len({id(token) for token in three}) == 3


def lib_uses_locals(walker):
    a = 1
    token = walker.locate(sys._getframe())[6][0]
    before = dict(locals())
    a = 2
    after = dict(locals())
    return token, before, after, sys._getframe().f_locals["a"]


def app_locals(walker):
    return lib_uses_locals(walker)


@pytest.mark.parametrize("walker", [IN_PLACE, PUBLIC], ids=["in place", "public"])
def test_the_token_leaves_the_callers_locals_as_they_are(walker):
    token, before, after, read = app_locals(walker)
    assert before["a"] == 1 and after["a"] == 2 and read == 2
    assert "walker" in after and "token" in after


def lib_returns_its_frame():
    return sys._getframe()


def app_keeps_a_returned_frame():
    return lib_returns_its_frame()


def test_a_frame_whose_call_returned_is_walked_as_the_public_api_does():
    # Its frame object now holds the frame and links outwards through `f_back` only.
    frame = app_keeps_a_returned_frame()
    in_place, public = located(frame)
    assert in_place == public
    assert in_place[0].startswith("app.py/app_keeps_a_returned_frame:")
