"""Rows and querysets pickled inside a scope (Django's cache framework, sessions) carry none of
querysight's tags: the payload loads where querysight is not installed, and an unpickled row
is not mistaken for a row of the loop it was cached from."""

import pickle

import querysight
from querysight import relations
from rtapp.models import Person, Post


def _tag(instance):
    return getattr(instance._state, relations._ROW_TAG, None)


def test_a_pickled_row_and_its_select_related_rows_carry_no_tag(people):
    with querysight.scope(mode="raise"):
        posts = list(Post.objects.select_related("author__occupation"))
        assert _tag(posts[0]) is not None and _tag(posts[0].author) is not None
        payload = pickle.dumps(posts)
    assert b"querysight" not in payload
    restored = pickle.loads(payload)
    assert [p.title for p in restored] == [p.title for p in posts]
    assert restored[0].author.occupation.name == posts[0].author.occupation.name
    assert _tag(restored[0]) is None and _tag(restored[0].author) is None
    assert _tag(posts[0]) is not None  # the live rows keep theirs


def test_a_pickled_related_manager_queryset_carries_no_tag(people):
    with querysight.scope(mode="raise"):
        person = Person.objects.order_by("pk")[0]
        queryset = person.posts.filter(title__startswith="post")
        payload = pickle.dumps(queryset.query)
        assert relations._REL_TAG in queryset.query.__dict__
    assert b"querysight" not in payload
    restored = Post.objects.all()
    restored.query = pickle.loads(payload)
    assert sorted(p.title for p in restored) == sorted(p.title for p in person.posts.all())

