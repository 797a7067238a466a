"""A write per row (``QUERYSIGHT["DETECT"]["writes"]``, off by default): ``save()``,
``create()`` or ``delete()`` in a loop is one INSERT/UPDATE/DELETE per row, reported as an N+1
whose fix is the bulk form. The truth of each case is the query count: one write per row for
the loop, a constant for the fix."""

import pytest
from django.db import connection
from django.db.models import F
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from rtapp.models import Hobby, Post

WRITES = {"MODE": "log", "DETECT": {"writes": True}}


def writes_of(s):
    return [(f.kind, f.operation, f.count) for f in s.findings]


def run(watch, body):
    with CaptureQueriesContext(connection) as captured, watch() as s:
        body()
    writes = [q for q in captured.captured_queries if q["sql"].split(None, 1)[0] in ("INSERT", "UPDATE", "DELETE")]
    return s, len(writes)


@override_settings(QUERYSIGHT=WRITES)
def test_save_per_row_is_an_n_plus_one_of_updates_fixed_by_bulk_update(people, watch, here, site):
    def loop():
        for post in Post.objects.order_by("pk"):
            post.score += 1
            post.save(update_fields=["score"])

    line = here() - 2  # the save() line
    s, writes = run(watch, loop)
    assert writes == Post.objects.count() == 6  # one UPDATE per row
    assert writes_of(s) == [("n_plus_one", "update", 6)]
    assert s.findings[0].call_site == site(line)
    assert "an UPDATE ran once per row" in s.findings[0].describe()
    assert "Post.objects.bulk_update(objs" in s.findings[0].fix

    def fixed():
        posts = list(Post.objects.order_by("pk"))
        for post in posts:
            post.score += 1
        Post.objects.bulk_update(posts, ["score"])

    s, writes = run(watch, fixed)
    assert writes == 1 and s.findings == []
    assert sorted(Post.objects.values_list("score", flat=True)) == [2] * 6


@override_settings(QUERYSIGHT=WRITES)
@pytest.mark.parametrize("rows", [2, 5])
def test_create_per_row_grows_with_rows_and_bulk_create_stays_flat(db, watch, rows):
    s, writes = run(watch, lambda: [Hobby.objects.create(name=f"h{i}") for i in range(rows)])
    assert writes == rows
    assert writes_of(s) == [("n_plus_one", "insert", rows)]
    assert "Hobby.objects.bulk_create(objs)" in s.findings[0].fix

    s, writes = run(watch, lambda: Hobby.objects.bulk_create(Hobby(name=f"b{i}") for i in range(rows)))
    assert writes == 1 and s.findings == []


@override_settings(QUERYSIGHT=WRITES)
def test_delete_per_row_is_fixed_by_one_queryset_delete(people, watch):
    hobbies = list(Hobby.objects.all())
    s, writes = run(watch, lambda: [h.delete() for h in hobbies])
    assert writes >= len(hobbies)  # the person-hobby links and the hobby, per row
    assert ("n_plus_one", "delete", len(hobbies)) in writes_of(s)
    assert any("Hobby.objects.filter(pk__in=ids).delete()" in f.fix for f in s.findings)


@override_settings(QUERYSIGHT=WRITES)
def test_one_update_for_all_rows_is_not_a_finding(people, watch):
    s, writes = run(watch, lambda: Post.objects.update(score=F("score") + 1))
    assert writes == 1 and s.findings == []


@override_settings(QUERYSIGHT={"MODE": "log"})
def test_writes_are_not_grouped_by_default(people, watch):
    """Tests create rows in loops on purpose: without the opt-in, a save() loop is no finding."""

    def loop():
        for post in Post.objects.all():
            post.save(update_fields=["score"])

    s, writes = run(watch, loop)
    assert writes == 6 and s.findings == []
