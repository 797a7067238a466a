"""End-to-end checks of the runtime pipeline: capture, detection, relation naming, fix."""

import pytest

import querysight
from rtapp.models import Person, Post


def test_forward_fk_in_a_loop_is_an_n_plus_one(people):
    with querysight.scope(mode="log", report=False) as s:
        names = [post.author.name for post in Post.objects.all()]
    assert len(names) == 6
    (finding,) = [f for f in s.findings if f.kind == "n_plus_one"]
    assert finding.relation == "rtapp.Post.author"
    assert finding.count == 6
    assert finding.fix == '.select_related("author")'
    assert finding.call_site.startswith("test_smoke.py:")


def test_select_related_is_clean(people):
    with querysight.scope(mode="log", report=False) as s:
        [post.author.name for post in Post.objects.select_related("author")]
    assert s.findings == []


def test_raise_mode_raises(people):
    with pytest.raises(querysight.NPlusOneError) as info:
        with querysight.scope(mode="raise"):
            for person in Person.objects.all():
                list(person.posts.all())
    assert "rtapp.Person.posts" in str(info.value)
    assert 'prefetch_related("posts")' in str(info.value)
