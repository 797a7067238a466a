"""Scenario 42: ``# querysight: ignore`` and ``# querysight: ignore[n_plus_one]`` on the line
that runs the query silence that line only, and with a code only that kind of finding."""

import querysight
from rtapp.models import Person, Post


def watched():
    return querysight.scope(mode="log", report=False)


def test_ignore_silences_that_line_only(people):
    with watched() as s:
        [p.author.name for p in Post.objects.all()]  # querysight: ignore
        [list(p.posts.all()) for p in Person.objects.all()]
    assert [(f.kind, f.relation) for f in s.findings] == [("n_plus_one", "rtapp.Person.posts")]


def test_a_comment_on_another_line_silences_nothing(people):
    with watched() as s:
        # querysight: ignore
        [list(p.posts.all()) for p in Person.objects.all()]
        [list(p.hobbies.all()) for p in Person.objects.order_by("-pk")]
        pass  # querysight: ignore
    assert sorted(f.relation for f in s.findings) == ["rtapp.Person.hobbies", "rtapp.Person.posts"]


def test_ignore_with_a_code_silences_only_that_code(people):
    a, b = people[0].pk, people[1].pk
    with watched() as s:
        [Person.objects.get(pk=pk) for pk in (a, b)]  # querysight: ignore[n_plus_one]
        [Person.objects.filter(pk=pk).first() for pk in (a, a)]  # querysight: ignore[n_plus_one]
        [Person.objects.filter(pk=pk).exists() for pk in (a, b)]  # querysight: ignore[unused_eager]
    assert sorted((f.kind, f.count) for f in s.findings) == [("duplicate", 2), ("n_plus_one", 2)]
    lines = {f.kind: int(f.call_site.rsplit(":", 1)[1]) for f in s.findings}
    assert lines["duplicate"] + 1 == lines["n_plus_one"]  # the two lines after the ignored one


def test_ignore_comment_spelling(people):
    with watched() as s:
        [p.author.name for p in Post.objects.all()]  #querysight:ignore
        [list(p.posts.all()) for p in Person.objects.all()]  # querysight:  ignore[ n_plus_one ]
    assert s.findings == []


def test_the_same_relation_elsewhere_is_still_reported(people):
    def load(posts):
        return [p.author.name for p in posts]

    with watched() as s:
        [p.author.name for p in Post.objects.all()]  # querysight: ignore
        load(Post.objects.all())
    # (The second `Post.objects.all()` also repeats the first: a duplicate, reported where it
    # repeats, in `load`.)
    (finding,) = [f for f in s.findings if f.kind == "n_plus_one"]
    assert finding.relation == "rtapp.Post.author"
    assert finding.call_site.startswith("test_integrations_inline_ignore.py:")
