"""Capture: every database alias, connections opened later and in other threads (scenario 45);
nothing recorded outside a scope, and ignore blocks that nest (scenario 44)."""

import contextvars
import threading

import pytest
from django.db import connection, connections

import querysight
from rtapp.models import Hobby, Occupation, Person, Post, Profile

BOTH = ["default", "other"]


def make_rows(using):
    """Two people with two posts each, on one database."""
    for i in range(2):
        person = Person.objects.using(using).create(name=f"{using} person {i}")
        for j in range(2):
            Post.objects.using(using).create(author=person, title=f"{using} post {i}.{j}")


def n_plus_ones(s):
    return sorted((f.relation, f.count) for f in s.findings if f.kind == "n_plus_one")


@pytest.mark.django_db(databases=BOTH)
def test_every_alias_is_observed():
    make_rows("default")
    make_rows("other")
    with querysight.scope(mode="log", report=False) as s:
        default_names = [p.author.name for p in Post.objects.all()]
        other_names = [p.author.name for p in Post.objects.using("other").all()]
    assert len(default_names) == len(other_names) == 4
    assert s.query_count_by_alias() == {"default": 5, "other": 5}
    # One N+1 per loop: the same relation at two call sites, one per database.
    assert n_plus_ones(s) == [("rtapp.Post.author", 4), ("rtapp.Post.author", 4)]
    assert len({f.call_site for f in s.findings}) == 2


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_connection_created_later_is_observed():
    """A DatabaseWrapper created after start-up (not known to `install()`) is wrapped when it
    connects, through the `connection_created` signal."""
    make_rows("other")
    fresh = connections.create_connection("other")
    try:
        assert fresh is not connections["other"]
        with querysight.scope(mode="log", report=False) as s:
            for pk in Person.objects.using("other").values_list("pk", flat=True):
                with fresh.cursor() as cursor:
                    cursor.execute("SELECT name FROM rtapp_person WHERE id = %s", [pk])
    finally:
        fresh.close()
    assert s.query_count_by_alias() == {"other": 3}
    (finding,) = s.findings
    assert (finding.kind, finding.count, finding.relation) == ("n_plus_one", 2, None)


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_connections_of_other_threads_are_observed():
    """A thread opens its own connections (Django keeps them per thread) after start-up; its
    own scope sees its queries on both aliases, and a thread started with the caller's context
    reports to the caller's scope."""
    make_rows("default")
    make_rows("other")
    results = {}

    def own_scope():
        try:
            with querysight.scope(mode="log", report=False) as s:
                [p.author.name for p in Post.objects.all()]
                [p.author.name for p in Post.objects.using("other")]
            results["own"] = s
        finally:
            connections.close_all()

    def load_authors():
        try:
            [p.author.name for p in Post.objects.all()]
        finally:
            connections.close_all()

    thread = threading.Thread(target=own_scope)
    thread.start()
    thread.join()
    own = results["own"]
    assert own.query_count_by_alias() == {"default": 5, "other": 5}
    assert n_plus_ones(own) == [("rtapp.Post.author", 4), ("rtapp.Post.author", 4)]

    with querysight.scope(mode="log", report=False) as s:
        thread = threading.Thread(target=contextvars.copy_context().run, args=(load_authors,))
        thread.start()
        thread.join()
    assert s.query_count_by_alias() == {"default": 5}
    assert n_plus_ones(s) == [("rtapp.Post.author", 4)]


def test_nothing_is_recorded_outside_a_scope(people):
    assert querysight.current() is None
    [p.author.name for p in Post.objects.all()]  # no scope: nothing to record into
    with querysight.scope(mode="log", report=False) as s:
        assert s.query_count == 0
        Occupation.objects.count()
        with querysight.scope(mode="log", report=False) as inner:
            [p.author.name for p in Post.objects.all()]
        Hobby.objects.count()
    assert querysight.current() is None
    [p.author.name for p in Post.objects.all()]  # after the scope: not recorded either
    # The inner scope detects in its own queries; the outer one counts them (2 + 7) without
    # detecting in them again.
    assert inner.query_count == 7 and n_plus_ones(inner) == [("rtapp.Post.author", 6)]
    assert s.query_count == 9 and s.query_count_by_alias() == {"default": 9}
    assert s.findings == []


def test_the_same_query_once_outside_and_once_inside_is_nothing(people):
    """Scenario 28."""
    person = people[0]
    Person.objects.get(pk=person.pk)
    with querysight.scope(mode="log", report=False) as s:
        Person.objects.get(pk=person.pk)
    assert s.query_count == 1 and s.findings == []


def test_ignore_blocks_nest_and_reset(people):
    with querysight.scope(mode="log", report=False) as s:
        Occupation.objects.count()
        with querysight.ignore():
            [p.author.name for p in Post.objects.all()]
            with querysight.ignore():
                Occupation.objects.count()
            [p.author.name for p in Post.objects.all()]  # still ignored: the outer block is open
            Occupation.objects.count()
        Hobby.objects.count()  # recorded again
    assert s.query_count == 2
    assert s.findings == []
    with querysight.scope(mode="log", report=False) as s:
        [p.author.name for p in Post.objects.all()]
    assert n_plus_ones(s) == [("rtapp.Post.author", 6)]


def test_ignore_also_hides_queries_from_query_counters(people):
    from querysight.capture import count_queries

    with count_queries() as counter:
        Occupation.objects.count()
        with querysight.ignore():
            Profile.objects.count()
    assert counter.by_alias == {"default": 1}


def test_capture_uses_the_public_execute_wrapper_hook(db):
    """No cursor is monkey-patched: the capture is one of the connection's execute wrappers."""
    from querysight.capture import QueryCapture

    connection.ensure_connection()
    assert sum(isinstance(w, QueryCapture) for w in connection.execute_wrappers) == 1
    querysight.capture.install()  # idempotent
    assert sum(isinstance(w, QueryCapture) for w in connection.execute_wrappers) == 1
