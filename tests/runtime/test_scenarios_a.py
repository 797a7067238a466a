"""Section A of shared/reference/runtime-scenarios.md: lazy relation loads (scenarios 1-22).

Each test is named after its scenario number. Positives assert the finding's kind, relation,
count and the fix the user reads; negatives assert that querysight reports nothing.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import prefetch_related_objects
from django.test import Client

import querysight
from querysight.fixes import DUPLICATE
from rtapp.models import (
    Badge,
    Comment,
    Hobby,
    Person,
    Place,
    Post,
    Profile,
    Restaurant,
    TaggedItem,
)


def summary(findings):
    return [(f.kind, f.relation, f.count, f.fix) for f in findings]


# -- 1 ---------------------------------------------------------------------------------------


def test_01_forward_fk_in_a_loop_is_an_n_plus_one(people, watch, here, site):
    with watch() as s:
        line = here() + 1
        names = [post.author.name for post in Post.objects.all()]
    assert len(names) == 6
    assert summary(s.findings) == [("n_plus_one", "rtapp.Post.author", 6, '.select_related("author")')]
    (finding,) = s.findings
    assert finding.call_site == site(line)
    assert finding.origin == site(line)
    assert finding.relation_kind == "forward"


def test_01_forward_fk_in_a_loop_under_iterator_chunk_size_2(people, watch):
    with watch() as s:
        names = [post.author.name for post in Post.objects.iterator(chunk_size=2)]
    assert len(names) == 6
    assert summary(s.findings) == [("n_plus_one", "rtapp.Post.author", 6, '.select_related("author")')]


def test_01_iterator_with_a_prefetch_per_chunk_is_not_an_n_plus_one(social, watch):
    # Django prefetches once per chunk of rows: batches, not a query per row.
    with watch() as s:
        posts = Post.objects.prefetch_related("comments").iterator(chunk_size=2)
        texts = [[c.text for c in post.comments.all()] for post in posts]
    assert len(texts) == 6
    assert s.findings == []
    assert s.query_count == 4
    # Each chunk's prefetch is a batch of its own (no stack walk: see Scope._record_batch),
    # still counted in its shape: three batches, three groups.
    prefetches = [shape for shape in s.shapes() if "rtapp_comment" in shape.sql]
    assert [(shape.count, shape.call_sites) for shape in prefetches] == [(3, 3)]


# -- 2 ---------------------------------------------------------------------------------------


def test_02_forward_fk_prefetched_instead_of_select_related_is_nothing(people, watch):
    with watch() as s:
        names = [post.author.name for post in Post.objects.prefetch_related("author")]
    assert len(names) == 6
    assert s.findings == []
    assert s.query_count == 2


# -- 3 ---------------------------------------------------------------------------------------


def test_03_objects_loaded_singly_then_fk_on_two_of_them_is_nothing(people, watch):
    extra = Person.objects.create(name="person 3")
    Post.objects.create(author=extra, title="post 3.0")
    by_author = {p.author_id: p.pk for p in Post.objects.order_by("-pk")}
    pks = [by_author[person.pk] for person in [*people, extra]]
    with watch() as s:
        one = Post.objects.get(pk=pks[0])
        two = Post.objects.filter(pk__in=pks[1:]).order_by("pk").first()
        three = Post.objects.filter(pk__in=pks[2:]).order_by("pk")[0]
        four = list(Post.objects.filter(pk=pks[3]))[0]
        # Each on its own line, then all four through one line (a helper, a template).
        one.author.name
        two.author.name
        names = [post.author.name for post in (one, two, three, four)]
    assert names == ["person 0", "person 1", "person 2", "person 3"]
    assert s.findings == []


# -- 4 ---------------------------------------------------------------------------------------


def test_04_reverse_fk_in_a_loop_is_an_n_plus_one(people, watch):
    with watch() as s:
        for person in Person.objects.all():
            list(person.posts.all())
    assert summary(s.findings) == [("n_plus_one", "rtapp.Person.posts", 3, '.prefetch_related("posts")')]
    assert s.findings[0].relation_kind == "many"


def test_04_same_related_queryset_evaluated_twice_on_one_object_is_not_an_n_plus_one(people, watch):
    def titles(person):
        return [post.title for post in person.posts.all()]

    with watch() as s:
        person = Person.objects.get(pk=people[0].pk)
        assert titles(person) == titles(person)
    # Not an N+1 (one object). The second evaluation repeats the first query with the same
    # parameters, which scenario 29 reports as a duplicate: nothing else is reported.
    assert [f.kind for f in s.findings if f.kind != "duplicate"] == []
    assert summary(s.findings) == [("duplicate", "rtapp.Person.posts", 2, DUPLICATE)]


# -- 5 ---------------------------------------------------------------------------------------


def test_05_one_to_one_forward_and_reverse_in_a_loop_are_n_plus_ones(people, watch):
    with watch() as s:
        users = [profile.person.name for profile in Profile.objects.all()]
        bios = [person.profile.bio for person in Person.objects.all()]
    assert len(users) == len(bios) == 3
    assert summary(s.findings) == [
        ("n_plus_one", "rtapp.Profile.person", 3, '.select_related("person")'),
        ("n_plus_one", "rtapp.Person.profile", 3, '.select_related("profile")'),
    ]
    assert [f.relation_kind for f in s.findings] == ["forward", "reverse_one_to_one"]


def test_05_one_to_one_with_select_related_is_nothing(people, watch):
    with watch() as s:
        bios = [person.profile.bio for person in Person.objects.select_related("profile")]
        users = [profile.person.name for profile in Profile.objects.select_related("person")]
    assert len(users) == len(bios) == 3
    assert s.findings == []


# -- 6 ---------------------------------------------------------------------------------------


def test_06_m2m_forward_and_reverse_name_the_right_field(social, watch):
    with watch() as s:
        for person in Person.objects.all():
            list(person.following.all())  # forward, on "self"
            list(person.followers.all())  # reverse, related_name="followers"
            list(person.hobbies.all())  # forward
        for hobby in Hobby.objects.all():
            list(hobby.person_set.all())  # reverse, no related_name
    assert summary(s.findings) == [
        ("n_plus_one", "rtapp.Person.following", 3, '.prefetch_related("following")'),
        ("n_plus_one", "rtapp.Person.followers", 3, '.prefetch_related("followers")'),
        ("n_plus_one", "rtapp.Person.hobbies", 3, '.prefetch_related("hobbies")'),
        ("n_plus_one", "rtapp.Hobby.person_set", 3, '.prefetch_related("person_set")'),
    ]


# -- 7 ---------------------------------------------------------------------------------------


def test_07_first_index_get_on_an_m2m_manager_for_two_distinct_objects_is_nothing(people, watch):
    hobby = Hobby.objects.order_by("pk").first()

    def favourite(person):
        return person.hobbies.first()

    calls = {
        "first": lambda p: p.hobbies.first(),
        "index": lambda p: p.hobbies.all()[0],
        "get": lambda p: p.hobbies.get(pk=hobby.pk),
    }
    for name, call in calls.items():
        with watch() as s:
            one = Person.objects.get(pk=people[0].pk)
            two = Person.objects.filter(pk=people[1].pk).first()
            call(one)
            call(two)
        assert s.findings == [], name
    # The same line for two objects that were each loaded on their own: still no loop.
    with watch() as s:
        one = Person.objects.get(pk=people[0].pk)
        two = Person.objects.get(pk=people[1].pk)
        assert favourite(one) == favourite(two)
    assert s.findings == []


# -- 8 ---------------------------------------------------------------------------------------


@pytest.fixture
def tagged(people):
    """Two tags per person (GenericRelation), one item per post (GenericForeignKey), and two
    items with a null generic foreign key."""
    for person in people:
        for tag in ("a", "b"):
            TaggedItem.objects.create(tag=tag, content_object=person)
    for post in Post.objects.all():
        TaggedItem.objects.create(tag="post", content_object=post)
    TaggedItem.objects.create(tag="null 1")
    TaggedItem.objects.create(tag="null 2")
    return people


def test_08_generic_relation_in_a_loop_is_an_n_plus_one(tagged, watch):
    with watch() as s:
        tags = [[t.tag for t in person.tags.all()] for person in Person.objects.all()]
    assert tags == [["a", "b"]] * 3
    assert summary(s.findings) == [("n_plus_one", "rtapp.Person.tags", 3, '.prefetch_related("tags")')]


def test_08_generic_relation_prefetched_is_nothing(tagged, watch):
    with watch() as s:
        tags = [[t.tag for t in person.tags.all()] for person in Person.objects.prefetch_related("tags")]
    assert tags == [["a", "b"]] * 3
    assert s.findings == []


def test_08_generic_foreign_key_in_a_loop_is_an_n_plus_one(tagged, watch):
    ContentType.objects.clear_cache()  # the content-type cache filling itself is not an N+1
    with watch() as s:
        titles = [item.content_object.title for item in TaggedItem.objects.filter(tag="post")]
    assert len(titles) == 6
    assert summary(s.findings) == [
        ("n_plus_one", "rtapp.TaggedItem.content_object", 6, '.prefetch_related("content_object")')
    ]
    assert s.findings[0].relation_kind == "generic_fk"


def test_08_generic_foreign_key_prefetched_or_null_is_nothing(tagged, watch):
    ContentType.objects.clear_cache()
    with watch() as s:
        # Two target tables (people and posts) and two null targets.
        items = list(TaggedItem.objects.prefetch_related("content_object"))
        targets = [item.content_object for item in items]
        nulls = [item.content_object for item in TaggedItem.objects.filter(content_type=None)]
    assert len(targets) == 14 and nulls == [None, None]
    assert s.findings == []


# -- 9 ---------------------------------------------------------------------------------------


def test_09_deferred_field_in_a_loop_is_reported_as_the_deferred_field(people, watch):
    with watch() as s:
        posts = Post.objects.select_related("author").only("author__id")
        names = [post.author.name for post in posts]
    assert len(names) == 6
    assert summary(s.findings) == [
        ("n_plus_one", "rtapp.Person.name", 6, 'add "author__name" to .only(...) (or remove it from .defer(...))')
    ]
    assert s.findings[0].relation_kind == "deferred"


def test_09_only_related_id_without_select_related_loads_the_author_per_row(people, watch):
    # Django ignores a related lookup in only() without select_related(): the author itself
    # is loaded lazily, so the finding is the relation (whose fix joins it in).
    with watch() as s:
        names = [post.author.name for post in Post.objects.only("author__id")]
    assert len(names) == 6
    assert summary(s.findings) == [("n_plus_one", "rtapp.Post.author", 6, '.select_related("author")')]


def test_09_deferred_field_still_reported_after_an_unrelated_single_fetch(people, watch):
    with watch() as s:
        Person.objects.get(pk=people[0].pk).name
        names = [post.author.name for post in Post.objects.select_related("author").only("author__id")]
    assert len(names) == 6
    assert summary(s.findings) == [
        ("n_plus_one", "rtapp.Person.name", 6, 'add "author__name" to .only(...) (or remove it from .defer(...))')
    ]


def test_09_only_the_needed_field_is_nothing(people, watch):
    with watch() as s:
        names = [post.author.name for post in Post.objects.select_related("author").only("author__name")]
    assert len(names) == 6
    assert s.findings == []
    assert s.query_count == 1


# -- 10 --------------------------------------------------------------------------------------


def test_10_prefetch_related_objects_per_instance_is_an_n_plus_one(people, watch):
    with watch() as s:
        for person in Person.objects.all():
            prefetch_related_objects([person], "posts")
            list(person.posts.all())
    assert summary(s.findings) == [
        (
            "n_plus_one",
            "rtapp.Person.posts",
            3,
            '.prefetch_related("posts") on the queryset of the rows, or one '
            'prefetch_related_objects(rows, "posts") for all of them before the loop',
        )
    ]
    assert s.findings[0].relation_kind == "prefetch"


def test_10_one_bulk_prefetch_related_objects_is_nothing(people, watch):
    with watch() as s:
        rows = list(Person.objects.all())
        prefetch_related_objects(rows, "posts")
        titles = [[p.title for p in person.posts.all()] for person in rows]
    assert len(titles) == 3
    assert s.findings == []
    assert s.query_count == 2


# -- 11 --------------------------------------------------------------------------------------


def test_11_converging_prefetch_paths_are_nothing(stores, watch):
    with watch() as s:
        people = Person.objects.prefetch_related("main_store__region", "backup_store__region")
        regions = [(p.main_store.region.name, p.backup_store.region.name) for p in people]
    assert len(regions) == 3
    assert s.findings == []
    assert s.query_count == 5


# -- 12 --------------------------------------------------------------------------------------


def test_12_prefetch_then_filter_to_one_object_is_nothing(people, watch):
    with watch() as s:
        (person,) = Person.objects.prefetch_related("posts", "hobbies").filter(pk=people[1].pk)
        titles = [post.title for post in person.posts.all()]
        hobbies = [hobby.name for hobby in person.hobbies.all()]
    assert len(titles) == len(hobbies) == 2
    assert s.findings == []


# -- 13 --------------------------------------------------------------------------------------


def test_13_same_relation_once_each_on_two_lines_is_nothing(people, watch):
    with watch() as s:
        posts = list(Post.objects.all())
        first = posts[0].author.name
        last = posts[-1].author.name
    assert (first, last) == ("person 0", "person 2")
    assert s.findings == []


# -- 14 --------------------------------------------------------------------------------------


def test_14_get_in_a_loop_is_an_n_plus_one_reported_as_a_get_per_row(social, watch, here, site):
    with watch() as s:
        for comment in Comment.objects.filter(approved=True):
            line = here() + 1
            Post.objects.get(pk=comment.post_id)
    assert summary(s.findings) == [
        (
            "n_plus_one",
            None,
            6,
            ".get() runs once per row: fetch all the rows in one query before the loop "
            "(in_bulk(ids) or filter(pk__in=ids)) and look each one up in that dict",
        )
    ]
    (finding,) = s.findings
    assert finding.operation == "get"
    assert finding.call_site == site(line)
    assert "`.get()` ran once per row, 6 times" in finding.describe()


def test_14_two_gets_on_different_lines_are_nothing(people, watch):
    posts = list(Post.objects.order_by("pk"))
    with watch() as s:
        Post.objects.get(pk=posts[0].pk)
        Post.objects.get(pk=posts[1].pk)
    assert s.findings == []


# -- 15 --------------------------------------------------------------------------------------


def test_15_values_querysets_do_not_crash_and_are_nothing(people, watch):
    with watch() as s:
        ids = [row["id"] for row in Post.objects.values("id")]
        pairs = list(Post.objects.values_list("id", "author__name"))
        flat = list(Person.objects.values_list("name", flat=True))
        named = [row.title for row in Post.objects.values_list("title", named=True)]
    assert len(ids) == len(pairs) == len(named) == 6 and len(flat) == 3
    assert s.findings == []


# -- 16 --------------------------------------------------------------------------------------


def test_16_threshold_3_with_2_accesses_is_nothing(people, watch):
    with watch(threshold=3) as s:
        names = [post.author.name for post in Post.objects.filter(title__endswith=".0")[:2]]
    assert len(names) == 2
    assert s.findings == []
    # The same threshold with 3 accesses reports.
    with watch(threshold=3) as s:
        names = [post.author.name for post in Post.objects.filter(title__endswith=".0")]
    assert summary(s.findings) == [("n_plus_one", "rtapp.Post.author", 3, '.select_related("author")')]


# -- 17 --------------------------------------------------------------------------------------


HEADER = "X-Querysight-Findings"


def test_17_template_loop_over_a_prefetched_m2m_is_nothing(people, watch):
    from django.template.loader import render_to_string

    with watch() as s:
        html = render_to_string("rtapp/people_hobbies.html", {"people": Person.objects.prefetch_related("hobbies")})
    assert html.count("hobby 0") == 3
    assert s.findings == []
    # Through a view and the middleware (MODE "raise": a finding would fail the request).
    response = Client().get("/people/hobbies/")
    assert response.status_code == 200 and HEADER not in response


def test_17_template_loop_over_a_prefetched_m2m_with_empty_tables_is_nothing(db, watch):
    from django.template.loader import render_to_string

    with watch() as s:
        html = render_to_string("rtapp/people_hobbies.html", {"people": Person.objects.prefetch_related("hobbies")})
    assert "<li>" not in html
    assert s.findings == []
    Person.objects.create(name="lonely")  # a person without hobbies: an empty prefetch
    response = Client().get("/people/hobbies/")
    assert response.status_code == 200 and HEADER not in response
    assert b"no hobbies" in response.content


# -- 18 --------------------------------------------------------------------------------------


def test_18_single_object_then_list_then_relation_on_the_single_one_is_nothing(people, watch):
    with watch() as s:
        first = Person.objects.first()
        by_pk = Person.objects.get(pk=people[1].pk)
        everyone = list(Person.objects.all())
        first.profile.bio
        list(first.posts.all())
        by_pk.occupation.name
    assert len(everyone) == 3
    assert s.findings == []


# -- 19 --------------------------------------------------------------------------------------


@pytest.fixture
def restaurants(people):
    for i, person in enumerate(people):
        Restaurant.objects.create(name=f"restaurant {i}", owner=person)
    Place.objects.create(name="a plain place", owner=people[0])
    return people


def test_19_multi_table_inheritance_relation_through_the_parent_link(restaurants, watch):
    with watch() as s:
        # A field of the parent read on the child: named on the child, joinable from it.
        owners = [r.owner.name for r in Restaurant.objects.all()]
    assert owners == ["person 0", "person 1", "person 2"]
    assert summary(s.findings) == [("n_plus_one", "rtapp.Restaurant.owner", 3, '.select_related("owner")')]
    with watch() as s:
        # Through the parent link explicitly.
        owners = [r.place_ptr.owner.name for r in Restaurant.objects.all()]
    assert owners == ["person 0", "person 1", "person 2"]
    assert summary(s.findings) == [("n_plus_one", "rtapp.Place.owner", 3, '.select_related("place_ptr__owner")')]
    with watch() as s:
        # From the parent to the child: a reverse one-to-one.
        children = [getattr(p, "restaurant", None) for p in Place.objects.all()]
    assert len([c for c in children if c is not None]) == 3
    assert summary(s.findings) == [("n_plus_one", "rtapp.Place.restaurant", 4, '.select_related("restaurant")')]


def test_19_multi_table_inheritance_allowlisted_by_the_declaring_model(restaurants, watch, settings):
    settings.QUERYSIGHT = {"ALLOW_RELATIONS": ["rtapp.Place.owner"]}
    with watch() as s:
        [r.owner.name for r in Restaurant.objects.all()]
    assert s.findings == []


def test_19_multi_table_inheritance_with_select_related_is_nothing(restaurants, watch):
    with watch() as s:
        owners = [r.owner.name for r in Restaurant.objects.select_related("owner")]
        children = [p.restaurant.name for p in Place.objects.select_related("restaurant").exclude(restaurant=None)]
    assert len(owners) == len(children) == 3
    assert s.findings == []


# -- 20 --------------------------------------------------------------------------------------


def test_20_eq_and_hash_that_touch_a_relation_do_not_recurse(people, watch, here, site):
    for person in people:
        Badge.objects.create(label="gold", owner=person)
    with watch() as s:
        badges = set(Badge.objects.all())  # __hash__ reads badge.owner for each row
    assert len(badges) == 3
    # The relation read inside __hash__ is the application's own N+1 and is reported there.
    assert summary(s.findings) == [("n_plus_one", "rtapp.Badge.owner", 3, '.select_related("owner")')]
    assert s.findings[0].call_site.startswith("rtapp/models.py:")
    with watch() as s:
        badges = set(Badge.objects.select_related("owner"))
        same = list(Badge.objects.filter(pk=min(b.pk for b in badges)).select_related("owner"))
        assert same[0] in badges and same[0] == same[0]
    assert len(badges) == 3 and s.findings == []


# -- 21 --------------------------------------------------------------------------------------


def test_21_prefetched_m2m_result_caches_stay_intact(people, watch):
    hobbies = list(Hobby.objects.order_by("name"))
    with watch() as s:
        people[0].hobbies.set(hobbies[1:])
        loaded = list(Person.objects.prefetch_related("hobbies").order_by("pk"))
        before = s.query_count
        names = [[h.name for h in p.hobbies.all()] for p in loaded]
        counts = [p.hobbies.count() for p in loaded]
        assert s.query_count == before  # every read came from the prefetch cache
    assert names == [["hobby 1", "hobby 2"], ["hobby 0", "hobby 1"], ["hobby 0", "hobby 1"]]
    assert counts == [2, 2, 2]
    assert all("hobbies" in p._prefetched_objects_cache for p in loaded)
    assert s.findings == []


# -- 22 --------------------------------------------------------------------------------------


def test_22_list_view_with_an_n_plus_one_through_the_test_client_is_reported(people):
    with pytest.raises(querysight.NPlusOneError) as info:
        Client().get("/posts/")
    assert summary(info.value.findings) == [("n_plus_one", "rtapp.Post.author", 6, '.select_related("author")')]
    (finding,) = info.value.findings
    assert finding.call_site == finding.origin == "rtapp/views.py:8"


def test_22_two_detail_requests_are_nothing(people):
    client = Client()
    for post in Post.objects.all()[:2]:
        response = client.get(f"/posts/{post.pk}/")
        assert response.status_code == 200
        assert HEADER not in response
