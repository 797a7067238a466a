"""Cases that real test suites (django-taggit's, django-filter's) showed querysight getting
wrong, each with its positive twin: a loop is still an N+1 and a real repeat still a duplicate.

- Separate calls of one helper are not a loop: the call site's calling context (the frames
  above it) groups the queries, not the innermost line alone.
- A SELECT repeated after a write may read what the write changed: not a duplicate.
- Executions in an N+1 are that N+1's, never also a duplicate's.
- Rows that share a foreign-key value still load it once per row: an N+1, not a duplicate.
- Test-client requests inside one scope are separate units of work.
- So is each call the test makes into the code under test (``rtapp.services`` here): a loop
  over cases in a test module is the test's, not the code's.
- A loop inside a library that one line calls once (django-taggit's ``add("a", "b")``) is
  reported as the library's, with that line as where it was called.
"""

import pytest
from django.test import Client, override_settings

from querysight.fixes import DUPLICATE
from rtapp import services
from rtapp.models import Person, Post


def summary(findings):
    return [(f.kind, f.relation, f.count, f.fix) for f in findings]


def person_named(name):
    return Person.objects.get(name=name)


def person_by_pk(pk):
    return Person.objects.get(pk=pk)


def first_post_of(pk):
    # Two helper levels between the queries and the caller's lines.
    return person_by_pk(pk).posts.order_by("pk").first()


def test_one_helper_called_from_two_lines_is_not_a_loop(people, watch):
    with watch() as s:
        person_named("person 0")
        person_named("person 1")
        first_post_of(people[0].pk)
        first_post_of(people[1].pk)
    assert s.findings == []


def test_one_helper_called_in_a_loop_is_an_n_plus_one(people, watch, site, here):
    with watch() as s:
        for name in ("person 0", "person 1", "person 2"):
            person_named(name)
    ((kind, relation, count, _),) = summary(s.findings)
    assert (kind, relation, count) == ("n_plus_one", None, 3)
    assert s.findings[0].operation == "get"
    line = person_named.__code__.co_firstlineno + 1
    assert s.findings[0].call_site == site(line)


def test_a_select_repeated_after_a_write_is_no_duplicate(people, watch):
    with watch() as s:
        before = Person.objects.filter(name__startswith="new").exists()
        Person.objects.create(name="new person")
        after = Person.objects.filter(name__startswith="new").exists()
    assert (before, after) == (False, True)  # the repeat read what the write changed
    assert s.findings == []


def test_the_same_select_twice_without_a_write_is_a_duplicate(people, watch):
    with watch() as s:
        Person.objects.filter(name__startswith="new").exists()
        Person.objects.filter(name__startswith="new").exists()
    assert summary(s.findings) == [("duplicate", None, 2, DUPLICATE)]


def test_reading_and_saving_one_row_per_item_is_neither(people, watch):
    person_id = people[0].pk
    with watch() as s:
        for i in range(4):
            person = Person.objects.get(pk=person_id)
            person.name = f"renamed {i}"
            person.save()
    assert s.findings == []


def test_rows_sharing_a_foreign_key_still_load_it_once_per_row(people, watch):
    author = people[0]
    Post.objects.exclude(author=author).update(author=author)
    with watch() as s:
        names = {post.author.name for post in Post.objects.all()}
    assert names == {author.name}
    assert summary(s.findings) == [("n_plus_one", "rtapp.Post.author", 6, '.select_related("author")')]


def test_a_row_read_before_an_n_plus_one_over_it_is_only_the_n_plus_one(people, watch):
    with watch() as s:
        Person.objects.get(pk=people[0].pk)
        for post in Post.objects.order_by("pk"):
            Person.objects.get(pk=post.author_id)
    assert [(f.kind, f.count, f.operation) for f in s.findings] == [("n_plus_one", 6, "get")]


@pytest.mark.urls("integration_urls")
@override_settings(MIDDLEWARE=[])
def test_test_client_requests_in_one_scope_are_no_loop_without_the_middleware(people, watch):
    """Scenario 22 without querysight's middleware: a test's scope sees the queries of its
    test-client requests itself. Each request is its own unit (Django's `request_started`
    is a barrier): two detail requests are no N+1 (`.get()` at one view line with two pks),
    the same detail twice is no duplicate; a list view's N+1 is still one."""
    client = Client()
    posts = list(Post.objects.order_by("pk")[:2])
    with watch() as s:
        for post in posts:
            assert client.get(f"/posts/{post.pk}/").status_code == 200
        assert client.get(f"/posts/{posts[0].pk}/").status_code == 200
    assert s.findings == []
    assert s.query_count == 6
    with watch() as s:
        client.get("/posts/")
    assert summary(s.findings) == [("n_plus_one", "rtapp.Post.author", 6, '.select_related("author")')]


def test_a_loop_in_the_test_over_calls_into_the_code_is_no_n_plus_one(people, watch):
    with watch() as s:
        for person in people:
            assert services.person_name(person.pk) == person.name
    assert s.findings == []


def test_a_loop_inside_the_code_under_test_is_an_n_plus_one(people, watch):
    with watch() as s:
        services.person_names([person.pk for person in people])
    ((kind, relation, count, _),) = summary(s.findings)
    assert (kind, relation, count) == ("n_plus_one", None, 3)
    assert s.findings[0].call_site.endswith(f"services.py:{services.person_name.__code__.co_firstlineno + 1}")


def test_the_test_calling_the_code_twice_is_no_duplicate(people, watch):
    with watch() as s:
        assert services.count_people() == 3
        assert services.count_people() == 3
    assert s.findings == []


def test_the_code_under_test_repeating_a_query_is_a_duplicate(people, watch):
    with watch() as s:
        services.count_people_twice()
    ((kind, _, count, fix),) = summary(s.findings)
    assert (kind, count, fix) == ("duplicate", 2, DUPLICATE)


def test_rows_of_one_queryset_loaded_by_the_code_in_a_test_loop_are_an_n_plus_one(people, watch):
    # The rows come from one queryset: one lazy load per row is its N+1 wherever the loop is.
    with watch() as s:
        for post in Post.objects.all():
            services.author_name(post)
    ((kind, relation, count, fix),) = summary(s.findings)
    assert (kind, relation, count) == ("n_plus_one", "rtapp.Post.author", 6)
    assert 'select_related("author")' in fix


def test_a_loop_inside_a_library_called_once_is_named(people, watch, site, here):
    from rest_framework import serializers

    from rtapp.models import Hobby

    class HobbyPicker(serializers.Serializer):
        hobbies = serializers.PrimaryKeyRelatedField(many=True, queryset=Hobby.objects.all())

    picker = HobbyPicker(data={"hobbies": [hobby.pk for hobby in Hobby.objects.all()]})
    with watch() as s:
        # DRF validates each primary key with its own `.get()`.
        assert picker.is_valid(); line = here()
    (finding,) = s.findings
    assert (finding.kind, finding.count, finding.operation) == ("n_plus_one", 3, "get")
    assert finding.inside == "rest_framework.serializers.BaseSerializer.is_valid"
    assert finding.call_site == site(line)
    assert finding.describe().startswith(
        "N+1 inside `rest_framework.serializers.BaseSerializer.is_valid`: `.get()` ran 3 times, "
        f"once per item, in one call at {site(line)}"
    )
    assert "the loop is inside rest_framework.serializers.BaseSerializer.is_valid" in finding.fix


def test_a_forms_loop_over_its_fields_is_no_n_plus_one_but_a_formsets_over_forms_is(people, watch):
    from django import forms

    class Pair(forms.Form):
        first = forms.ModelChoiceField(Person.objects.all())
        second = forms.ModelChoiceField(Person.objects.all())

    form = Pair(data={"first": people[0].pk, "second": people[1].pk})
    with watch() as s:
        # One `.get()` per field: bounded by the form class, whatever the data.
        assert form.is_valid()
    assert s.findings == []

    class One(forms.Form):
        person = forms.ModelChoiceField(Person.objects.all())

    data = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "0"}
    data.update({f"form-{i}-person": person.pk for i, person in enumerate(people)})
    formset = forms.formset_factory(One)(data=data)
    with watch() as s:
        # One `.get()` per submitted form: as many as the data has.
        assert formset.is_valid()
    ((kind, _, count, _),) = summary(s.findings)
    assert (kind, count) == ("n_plus_one", 3)
    assert s.findings[0].inside == "django.forms.formsets.BaseFormSet.is_valid"


def test_a_library_call_per_item_is_the_callers_n_plus_one(people, watch):
    from rtapp.models import Hobby

    with watch() as s:
        for hobby in list(Hobby.objects.all()):
            Hobby.objects.get(pk=hobby.pk)
    ((kind, _, count, _),) = summary(s.findings)
    assert (kind, count) == ("n_plus_one", 3)
    assert s.findings[0].inside is None
    assert "the loop is inside" not in s.findings[0].fix


def test_a_loop_inside_a_library_can_be_allowed_by_its_name(people, watch, settings):
    from rest_framework import serializers

    from rtapp.models import Hobby

    class HobbyPicker(serializers.Serializer):
        hobbies = serializers.PrimaryKeyRelatedField(many=True, queryset=Hobby.objects.all())

    settings.QUERYSIGHT = {"ALLOW_CALL_SITES": ["rest_framework.serializers.*"]}
    picker = HobbyPicker(data={"hobbies": [hobby.pk for hobby in Hobby.objects.all()]})
    with watch() as s:
        assert picker.is_valid()
    assert s.findings == []
