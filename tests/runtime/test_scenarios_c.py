"""Section C of shared/reference/runtime-scenarios.md: unused eager loading, an opt-in warning
(scenarios 31-36), reported per queryset line.

Each test is named after its scenario number. Positives assert the finding's kind, relation,
count and the fix the user reads; negatives assert that querysight reports nothing.
"""

import pytest
from django.test import Client

import querysight
from rtapp.models import Hobby, Occupation, Person, Post, Profile


def summary(findings):
    return [(f.kind, f.relation, f.count, f.fix) for f in findings]


@pytest.fixture
def unused_eager(settings):
    settings.QUERYSIGHT = {"MODE": "raise", "DETECT": {"unused_eager": True}}


# -- 31 --------------------------------------------------------------------------------------


def test_31_select_related_never_read_is_reported(people, unused_eager, watch, here, site):
    with watch() as s:
        line = here() + 1
        names = [person.name for person in Person.objects.select_related("occupation")]
    assert len(names) == 3
    assert summary(s.findings) == [
        ("unused_eager", "rtapp.Person.occupation", 1, 'remove "occupation" from .select_related(...) (never read)')
    ]
    (finding,) = s.findings
    assert (finding.call_site, finding.path, finding.relation_kind) == (site(line), "occupation", "select_related")
    assert "unused eager load: `occupation`" in finding.describe()


def test_31_select_related_read_is_nothing(people, unused_eager, watch):
    with watch() as s:
        jobs = [person.occupation.name for person in Person.objects.select_related("occupation")]
    assert len(jobs) == 3
    assert s.findings == []


def test_31_select_related_read_on_one_row_of_many_is_nothing(people, unused_eager, watch):
    with watch() as s:
        people = list(Person.objects.select_related("occupation"))
        people[1].occupation.name
    assert s.findings == []


def test_31_is_never_reported_by_default(people, watch):
    with watch() as s:
        names = [person.name for person in Person.objects.select_related("occupation")]
    assert len(names) == 3
    assert s.findings == []


def test_31_reported_per_queryset_line(people, unused_eager, watch, here, site):
    def names():
        return [person.name for person in Person.objects.select_related("occupation")]

    with watch() as s:
        line = here() - 3
        names()
        names()
    assert summary(s.findings) == [
        ("duplicate", None, 2, s.findings[0].fix),
        ("unused_eager", "rtapp.Person.occupation", 2, 'remove "occupation" from .select_related(...) (never read)'),
    ]
    assert s.findings[1].call_site == site(line)


# -- 32 --------------------------------------------------------------------------------------


def test_32_prefetch_related_never_read_is_reported(people, unused_eager, watch, here, site):
    with watch() as s:
        line = here() + 1
        names = [person.name for person in Person.objects.prefetch_related("hobbies")]
    assert len(names) == 3
    assert summary(s.findings) == [
        ("unused_eager", "rtapp.Person.hobbies", 1, 'remove "hobbies" from .prefetch_related(...) (never read)')
    ]
    assert s.findings[0].call_site == site(line)


def test_32_prefetch_related_read_is_nothing(people, unused_eager, watch):
    with watch() as s:
        hobbies = [[h.name for h in p.hobbies.all()] for p in Person.objects.prefetch_related("hobbies")]
    assert len(hobbies) == 3
    assert s.findings == []


def test_32_prefetch_related_with_an_empty_result_is_nothing(db, unused_eager, watch):
    with watch() as s:
        names = [person.name for person in Person.objects.prefetch_related("hobbies")]
    assert names == []
    assert s.findings == []
    Person.objects.create(name="no hobbies")  # rows, but the prefetch finds nothing
    with watch() as s:
        names = [person.name for person in Person.objects.prefetch_related("hobbies")]
    assert names == ["no hobbies"]
    assert s.findings == []


# -- 33 --------------------------------------------------------------------------------------


def test_33_nested_select_related_unused_is_two_findings(people, unused_eager, watch):
    with watch() as s:
        bios = [profile.bio for profile in Profile.objects.select_related("person__occupation")]
    assert len(bios) == 3
    assert summary(s.findings) == [
        ("unused_eager", "rtapp.Profile.person", 1, 'remove "person" from .select_related(...) (never read)'),
        (
            "unused_eager",
            "rtapp.Person.occupation",
            1,
            'remove "person__occupation" from .select_related(...) (never read)',
        ),
    ]


def test_33_nested_prefetch_related_unused_is_two_findings(people, unused_eager, watch):
    with watch() as s:
        bios = [profile.bio for profile in Profile.objects.prefetch_related("person__occupation")]
    assert len(bios) == 3
    assert summary(s.findings) == [
        ("unused_eager", "rtapp.Profile.person", 1, 'remove "person" from .prefetch_related(...) (never read)'),
        (
            "unused_eager",
            "rtapp.Person.occupation",
            1,
            'remove "person__occupation" from .prefetch_related(...) (never read)',
        ),
    ]


def test_33_nested_select_related_with_only_the_parent_read_is_one_finding(people, unused_eager, watch):
    with watch() as s:
        names = [profile.person.name for profile in Profile.objects.select_related("person__occupation")]
    assert len(names) == 3
    assert summary(s.findings) == [
        (
            "unused_eager",
            "rtapp.Person.occupation",
            1,
            'remove "person__occupation" from .select_related(...) (never read)',
        )
    ]


def test_33_nested_select_related_read_to_the_end_is_nothing(people, unused_eager, watch):
    with watch() as s:
        jobs = [p.person.occupation.name for p in Profile.objects.select_related("person__occupation")]
    assert len(jobs) == 3
    assert s.findings == []


# -- 34 --------------------------------------------------------------------------------------


def test_34_nullable_fk_selected_but_null_is_nothing(db, unused_eager, watch):
    for i in range(3):
        Person.objects.create(name=f"unemployed {i}")
    with watch() as s:
        names = [person.name for person in Person.objects.select_related("occupation")]
    assert len(names) == 3
    assert s.findings == []


def test_34_nullable_fk_selected_and_set_on_one_row_is_reported(db, unused_eager, watch):
    Person.objects.create(name="unemployed")
    Person.objects.create(name="employed", occupation=Occupation.objects.create(name="job"))
    with watch() as s:
        names = [person.name for person in Person.objects.select_related("occupation")]
    assert len(names) == 2
    assert summary(s.findings) == [
        ("unused_eager", "rtapp.Person.occupation", 1, 'remove "occupation" from .select_related(...) (never read)')
    ]


# -- 35 --------------------------------------------------------------------------------------

HEADER = "X-Querysight-Findings"


def test_35_a_successful_response_reports_the_unused_eager_load(people, unused_eager):
    with pytest.raises(querysight.NPlusOneError) as info:
        Client().get("/people/names/200/")
    assert summary(info.value.findings) == [
        ("unused_eager", "rtapp.Person.occupation", 1, 'remove "occupation" from .select_related(...) (never read)')
    ]
    assert info.value.findings[0].call_site.startswith("rtapp/views.py:")


@pytest.mark.parametrize("status", [400, 404, 500])
def test_35_error_responses_are_skipped(people, unused_eager, status):
    response = Client().get(f"/people/names/{status}/")
    assert response.status_code == status
    assert HEADER not in response


def test_35_a_view_that_raises_is_skipped(people, unused_eager):
    response = Client(raise_request_exception=False).get("/people/names/raises/")
    assert response.status_code == 500
    assert HEADER not in response


def test_35_a_block_that_raises_is_skipped(people, unused_eager, watch):
    with pytest.raises(RuntimeError):
        with watch() as s:
            [person.name for person in Person.objects.select_related("occupation")]
            raise RuntimeError("the block failed")
    assert s.findings == []


# -- 36 --------------------------------------------------------------------------------------


def test_36_a_used_nested_m2m_to_fk_prefetch_is_neither_n_plus_one_nor_unused(social, unused_eager, watch):
    with watch() as s:
        people = Person.objects.prefetch_related("hobbies__category")
        categories = [[h.category.name for h in p.hobbies.all()] for p in people]
    assert categories == [["category 0", "category 1"]] * 3
    assert s.findings == []
    assert s.query_count == 3


def test_36_a_nested_prefetch_read_halfway_reports_only_the_unread_level(social, unused_eager, watch):
    with watch() as s:
        people = Person.objects.prefetch_related("hobbies__category")
        names = [[h.name for h in p.hobbies.all()] for p in people]
    assert len(names) == 3
    assert summary(s.findings) == [
        (
            "unused_eager",
            "rtapp.Hobby.category",
            1,
            'remove "hobbies__category" from .prefetch_related(...) (never read)',
        )
    ]


def test_36_a_prefetch_thrown_away_per_row_is_one_finding_not_two(social, unused_eager, watch):
    with watch() as s:
        for post in Post.objects.prefetch_related("comments"):
            list(post.comments.filter(approved=True))
    assert [(f.kind, f.relation, f.prefetched) for f in s.findings] == [("n_plus_one", "rtapp.Post.comments", True)]


def test_36_hobbies_used_through_the_reverse_side_too(social, unused_eager, watch):
    with watch() as s:
        people = [[p.name for p in h.person_set.all()] for h in Hobby.objects.prefetch_related("person_set")]
    assert len(people) == 3
    assert s.findings == []
