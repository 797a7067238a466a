"""Scopes: isolated across threads, asyncio tasks and ``sync_to_async`` (scenario 40), bounded
memory, and never breaking the application in warn/log mode."""

import asyncio
import logging
import os
import threading
import warnings

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connections

import querysight
from qs_faults import break_the_record_path
from querysight import _native
from rtapp.models import Person, Post


def n_plus_ones(s):
    return sorted((f.relation, f.count) for f in s.findings if f.kind == "n_plus_one")


# -- threads ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_threads_running_queries_concurrently_have_their_own_scopes(people):
    """Two threads in lockstep (a barrier after every query), each in its own scope; the main
    thread's scope sees neither."""
    barrier = threading.Barrier(2, timeout=30)
    scopes = {}
    errors = []

    def work(name, load):
        try:
            with querysight.scope(name, mode="log", report=False) as s:
                rows = list(Person.objects.order_by("pk"))
                barrier.wait()
                for person in rows:
                    load(person)
                    barrier.wait()
            scopes[name] = s
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=work, args=("occupations", lambda p: p.occupation.name)),
        threading.Thread(target=work, args=("posts", lambda p: list(p.posts.all()))),
    ]
    with querysight.scope("main", mode="log", report=False) as main:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert n_plus_ones(scopes["occupations"]) == [("rtapp.Person.occupation", 3)]
    assert n_plus_ones(scopes["posts"]) == [("rtapp.Person.posts", 3)]
    assert scopes["occupations"].query_count == scopes["posts"].query_count == 4
    assert main.query_count == 0 and main.findings == []
    assert querysight.current() is None


# -- asyncio tasks and sync_to_async ----------------------------------------------------------


def test_asyncio_tasks_have_their_own_scopes(people):
    """Two tasks interleave their queries (thread-sensitive `sync_to_async`, as Django's async
    ORM does); each task's scope gets only its own queries."""

    steps = []

    def occupation_of(person):
        steps.append("a")
        return person.occupation.name

    def posts_of(person):
        steps.append("b")
        return list(person.posts.all())

    async def work(load):
        async with querysight.scope(mode="log", report=False) as s:
            rows = [p async for p in Person.objects.order_by("pk")]
            for person in rows:
                await sync_to_async(load)(person)
                await asyncio.sleep(0)
        assert querysight.current().name == "outer"  # the task's context, copied from main()
        return s

    async def main():
        with querysight.scope("outer", mode="log", report=False) as outer:
            first, second = await asyncio.gather(work(occupation_of), work(posts_of))
        return outer, first, second

    outer, first, second = async_to_sync(main)()
    assert sorted(steps) == list("aaabbb") and steps != list("aaabbb")  # interleaved
    assert n_plus_ones(first) == [("rtapp.Person.occupation", 3)]
    assert n_plus_ones(second) == [("rtapp.Person.posts", 3)]
    assert first.query_count == second.query_count == 4
    # The tasks' scopes are nested in the outer one (their context is a copy of main()'s): it
    # counts their queries and detects nothing in them.
    assert outer.query_count == 8 and outer.findings == []
    assert querysight.current() is None


def test_async_orm_queries_report_to_the_task_scope(people):
    async def main():
        async with querysight.scope(mode="log", report=False) as s:
            posts = [p async for p in Post.objects.all()]
            for post in posts:
                await Person.objects.aget(pk=post.author_id)
        return s

    s = async_to_sync(main)()
    assert s.query_count == 7
    (finding,) = [f for f in s.findings if f.kind == "n_plus_one"]
    assert finding.count == 6 and finding.relation is None


def test_async_orm_call_sites_are_the_awaiting_lines(people, here, site):
    """Django's async ORM runs the query in another thread (`sync_to_async`); the call site is
    the line that awaited it, not the `async_to_sync(...)` line of the thread it ran in."""

    async def main():
        async with querysight.scope(mode="log", report=False) as s:
            posts = [p async for p in Post.objects.order_by("pk")]
            line = here() + 2
            for post in posts:
                await Person.objects.aget(pk=post.author_id)
        return s, line

    s, line = async_to_sync(main)()
    (finding,) = [f for f in s.findings if f.kind == "n_plus_one"]
    assert finding.count == 6 and finding.call_site == site(line)
    assert "`.get()` ran once per row" in finding.describe()


def test_two_awaiting_lines_are_two_call_sites_not_an_n_plus_one(people):
    """The same query shape awaited on two lines, once each: no loop, no finding (with every
    async query put on the `async_to_sync(...)` line, this was a false N+1)."""
    first, second = people[0], people[1]

    async def main():
        async with querysight.scope(mode="log", report=False) as s:
            await Person.objects.aget(pk=first.pk)
            await Person.objects.aget(pk=second.pk)
        return s

    s = async_to_sync(main)()
    assert s.query_count == 2 and s.findings == []


@pytest.mark.django_db(transaction=True)
def test_sync_to_async_in_a_thread_pool_reports_to_the_calling_scope(people):
    """`sync_to_async(thread_sensitive=False)` runs in a pool thread with a copy of the caller's
    context: the queries belong to the caller's scope, and two callers stay apart."""

    def authors():
        try:
            return [p.author.name for p in Post.objects.all()]
        finally:
            connections.close_all()

    def hobbies():
        try:
            return [list(p.hobbies.all()) for p in Person.objects.all()]
        finally:
            connections.close_all()

    async def work(load):
        async with querysight.scope(mode="log", report=False) as s:
            await sync_to_async(load, thread_sensitive=False)()
        return s

    async def main():
        return await asyncio.gather(work(authors), work(hobbies))

    first, second = async_to_sync(main)()
    assert n_plus_ones(first) == [("rtapp.Post.author", 6)]
    assert n_plus_ones(second) == [("rtapp.Person.hobbies", 3)]
    assert querysight.current() is None


# -- bounded memory ---------------------------------------------------------------------------


def _rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_a_million_queries_keep_a_bounded_number_of_groups():
    shapes = [
        "SELECT id, name FROM rtapp_person WHERE id = %s",
        "SELECT id, title FROM rtapp_post WHERE author_id = %s ORDER BY id",
        "SELECT COUNT(*) FROM rtapp_hobby WHERE name = %s",
        "SELECT id FROM rtapp_store WHERE region_id IN (%s, %s)",
    ]
    scope = _native.Scope(max_groups=64)
    record = scope.record
    before = _rss_bytes()
    for i in range(1_000_000):
        # 4 shapes x 50 call sites = 200 (shape, call site) pairs, more than max_groups; every
        # query has new parameters.
        record(shapes[i & 3], (i, i + 1), "postgres", "default", f"app/views.py:{i % 50}", 10, None)
    grown = _rss_bytes() - before
    findings = scope.finish()
    assert scope.query_count == 1_000_000
    assert 0 < len(findings) <= 64
    assert all(f["kind"] == "n_plus_one" for f in findings)
    assert sum(f["count"] for f in findings) <= 1_000_000
    # Counters per group, never per query: a few MB at most for a million queries.
    assert grown < 32 * 1024 * 1024, grown


# -- reliability ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["warn", "log"])
def test_an_internal_error_is_logged_once_and_turns_the_scope_off(people, monkeypatch, caplog, mode):
    broken = break_the_record_path(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with querysight.scope(mode=mode) as s:
            names = [p.author.name for p in Post.objects.all()]  # the application still works
    assert len(names) == 6
    assert s.disabled and s.findings == []
    assert broken.calls == 1  # detection is off for the rest of the scope
    errors = [r for r in caplog.records if r.name == "querysight" and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "internal error" in errors[0].getMessage() and errors[0].exc_info[0] is RuntimeError
    monkeypatch.undo()
    with querysight.scope(mode="log", report=False) as s:
        [p.author.name for p in Post.objects.all()]
    assert n_plus_ones(s) == [("rtapp.Post.author", 6)]  # later scopes watch again


@pytest.mark.parametrize("mode", ["log", "raise"])
def test_an_internal_error_of_the_native_record_path(people, monkeypatch, caplog, mode):
    """A plain query is recorded by the native execute wrapper itself: its failure follows the
    same policy (logged once and the scope off, or raised in raise mode)."""
    from querysight import callsite

    def broken_operation(api, values, orm):
        raise RuntimeError("querysight bug")

    callsite.walker().clear()  # the operation of each call is asked for again
    monkeypatch.setattr(callsite, "plain_operation", broken_operation)
    try:
        if mode == "raise":
            with pytest.raises(RuntimeError, match="querysight bug"):
                with querysight.scope(mode="raise"):
                    Post.objects.count()
            return
        with querysight.scope(mode="log") as s:
            counts = [Post.objects.count(), Person.objects.count()]  # the application still works
        assert counts == [6, 3]
        assert s.disabled and s.findings == []
        errors = [r for r in caplog.records if r.name == "querysight" and r.levelno == logging.ERROR]
        assert len(errors) == 1 and errors[0].exc_info[0] is RuntimeError
    finally:
        monkeypatch.undo()
        callsite.walker().clear()


def test_an_internal_error_propagates_in_raise_mode(people, monkeypatch):
    break_the_record_path(monkeypatch)
    with pytest.raises(RuntimeError, match="querysight bug"):
        with querysight.scope(mode="raise"):
            [p.author.name for p in Post.objects.all()]
