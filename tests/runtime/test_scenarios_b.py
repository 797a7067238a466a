"""Section B of shared/reference/runtime-scenarios.md: per-row queries that descriptor hooks miss
(scenarios 23-30).

Each test is named after its scenario number. Positives assert the finding's kind, relation,
count and the fix the user reads; negatives assert that querysight reports nothing.
"""

from django.db import connection
from django.db.models import Avg, Sum

from querysight.fixes import DUPLICATE
from rtapp.models import Comment, Hobby, Person, Post


def summary(findings):
    return [(f.kind, f.relation, f.count, f.fix) for f in findings]


# -- 23 --------------------------------------------------------------------------------------


def test_23_count_exists_aggregate_on_a_reverse_fk_per_row(people, watch):
    with watch() as s:
        for person in Person.objects.all():
            person.posts.count()
            person.posts.exists()
            person.posts.aggregate(Sum("score"))
            person.posts.aggregate(best=Avg("score"))
    assert summary(s.findings) == [
        (
            "n_plus_one",
            "rtapp.Person.posts",
            3,
            '.annotate(posts_count=Count("posts")) and read `posts_count` instead of .count()',
        ),
        (
            "n_plus_one",
            "rtapp.Person.posts",
            3,
            '.annotate(has_posts=Exists(Post.objects.filter(author=OuterRef("pk")))) '
            "and read `has_posts` instead of .exists()",
        ),
        (
            "n_plus_one",
            "rtapp.Person.posts",
            3,
            '.annotate(score__sum=Sum("posts__score")) and read `score__sum` instead of .aggregate()',
        ),
        (
            "n_plus_one",
            "rtapp.Person.posts",
            3,
            '.annotate(best=Avg("posts__score")) and read `best` instead of .aggregate()',
        ),
    ]
    assert [f.operation for f in s.findings] == ["count", "exists", "aggregate", "aggregate"]
    assert "N+1: `rtapp.Person.posts.count()` ran 3 times" in s.findings[0].describe()


def test_23_count_and_exists_on_many_to_many_per_row(people, watch):
    with watch() as s:
        for person in Person.objects.all():
            person.hobbies.count()
            person.hobbies.filter(name__startswith="hobby").exists()
        for hobby in Hobby.objects.all():
            hobby.person_set.count()
    assert summary(s.findings) == [
        (
            "n_plus_one",
            "rtapp.Person.hobbies",
            3,
            '.annotate(hobbies_count=Count("hobbies")) and read `hobbies_count` instead of .count()',
        ),
        (
            "n_plus_one",
            "rtapp.Person.hobbies",
            3,
            '.annotate(has_hobbies=Exists(Hobby.objects.filter(person=OuterRef("pk"), ...))) '
            "and read `has_hobbies` instead of .exists()",
        ),
        (
            "n_plus_one",
            "rtapp.Hobby.person_set",
            3,
            '.annotate(person_set_count=Count("person")) and read `person_set_count` instead of .count()',
        ),
    ]


def test_23_count_of_a_queryset_filtered_by_the_row(people, watch):
    with watch() as s:
        counts = [Post.objects.filter(author=person).count() for person in Person.objects.all()]
    assert counts == [2, 2, 2]
    assert summary(s.findings) == [
        (
            "n_plus_one",
            None,
            3,
            ".count() runs once per row: compute it for every row with the loop's queryset "
            "(annotate() with Count/Exists/Subquery and OuterRef)",
        )
    ]


def test_23_count_exists_on_a_prefetched_relation_read_the_cache(people, watch):
    with watch() as s:
        for person in Person.objects.prefetch_related("posts"):
            person.posts.count()
            person.posts.exists()
    assert s.findings == []
    assert s.query_count == 2


# -- 24 --------------------------------------------------------------------------------------


def test_24_relation_methods_per_row(social, watch):
    with watch() as s:
        for post in Post.objects.all():
            post.comments.first()
            post.comments.last()
            list(post.comments.values_list("text", flat=True))
            list(post.comments.filter(approved=True))
            list(post.comments.order_by("text"))
    assert summary(s.findings) == [
        (
            "n_plus_one",
            "rtapp.Post.comments",
            6,
            '.prefetch_related(Prefetch("comments", to_attr="comments_list")) and take the row '
            "from `comments_list` in Python instead of .first() per row",
        ),
        (
            "n_plus_one",
            "rtapp.Post.comments",
            6,
            '.prefetch_related(Prefetch("comments", to_attr="comments_list")) and take the row '
            "from `comments_list` in Python instead of .last() per row",
        ),
        (
            "n_plus_one",
            "rtapp.Post.comments",
            6,
            '.prefetch_related("comments") and read the fields from the prefetched rows instead '
            "of .values_list() per row",
        ),
        (
            "n_plus_one",
            "rtapp.Post.comments",
            6,
            '.prefetch_related(Prefetch("comments", queryset=Comment.objects.filter(...), '
            'to_attr="comments_filtered")) and read `comments_filtered` instead of .filter() per row',
        ),
        (
            "n_plus_one",
            "rtapp.Post.comments",
            6,
            '.prefetch_related(Prefetch("comments", queryset=Comment.objects.order_by(...), '
            'to_attr="comments_ordered")) and read `comments_ordered` instead of .order_by() per row',
        ),
    ]
    assert [f.operation for f in s.findings] == ["first", "last", "values_list", "filter", "order_by"]
    assert not any(f.prefetched for f in s.findings)


def test_24_relation_methods_on_a_prefetched_relation_throw_the_prefetch_away(social, watch):
    with watch() as s:
        for post in Post.objects.prefetch_related("comments"):
            list(post.comments.filter(approved=True))
            post.comments.first()  # Comment has no default ordering: first() orders by pk
            post.comments.aggregate(Sum("id"))
    assert summary(s.findings) == [
        (
            "n_plus_one",
            "rtapp.Post.comments",
            6,
            '.filter() throws the prefetched "comments" away (one query per row): '
            '.prefetch_related(Prefetch("comments", queryset=Comment.objects.filter(...), '
            'to_attr="comments_filtered")) and read `comments_filtered` instead of .filter() per row',
        ),
        (
            "n_plus_one",
            "rtapp.Post.comments",
            6,
            '.first() throws the prefetched "comments" away (one query per row): '
            '.prefetch_related(Prefetch("comments", to_attr="comments_list")) and take the row '
            "from `comments_list` in Python instead of .first() per row",
        ),
        (
            "n_plus_one",
            "rtapp.Post.comments",
            6,
            '.aggregate() throws the prefetched "comments" away (one query per row): '
            '.annotate(id__sum=Sum("comments__id")) and read `id__sum` instead of .aggregate()',
        ),
    ]
    assert all(f.prefetched for f in s.findings)


def test_24_first_on_a_prefetched_ordered_relation_reads_the_cache(people, watch):
    with watch() as s:
        firsts = [person.posts.first().title for person in Person.objects.prefetch_related("posts")]
    assert firsts == ["post 0.0", "post 1.0", "post 2.0"]
    assert s.findings == []
    with watch() as s:
        all_first = [person.hobbies.all()[0].name for person in Person.objects.prefetch_related("hobbies")]
    assert all_first == ["hobby 0"] * 3
    assert s.findings == []


# -- 25 --------------------------------------------------------------------------------------


def test_25_filter_first_per_row_is_an_n_plus_one(social, watch, here, site):
    with watch() as s:
        for person in Person.objects.all():
            line = here() + 1
            Comment.objects.filter(author=person.pk).order_by("pk").first()
    assert summary(s.findings) == [
        (
            "n_plus_one",
            None,
            3,
            ".first() runs once per row: fetch the rows for all the keys in one query before the "
            "loop (filter(<key>__in=keys)) and pick one per key in Python, or annotate the loop's "
            "queryset with Subquery(...[:1])",
        )
    ]
    assert s.findings[0].call_site == site(line)
    assert s.findings[0].operation == "first"


# -- 26 --------------------------------------------------------------------------------------


def test_26_raw_cursor_execute_in_a_loop_is_an_n_plus_one(people, watch, here, site):
    table = Post._meta.db_table
    with watch() as s:
        with connection.cursor() as cursor:
            for person in people:
                line = here() + 1
                cursor.execute(f"SELECT title FROM {table} WHERE author_id = %s", [person.pk])
                cursor.fetchall()
    assert summary(s.findings) == [
        (
            "n_plus_one",
            None,
            3,
            "raw SQL runs once per row with different parameters: fetch the rows for all the "
            "parameters in one statement before the loop (WHERE ... IN (...) or = ANY(%s))",
        )
    ]
    assert s.findings[0].call_site == site(line)
    assert s.findings[0].operation == "raw"
    assert s.findings[0].sql == "select title from rtapp_post where author_id = ?"


def test_26_raw_cursor_with_the_same_parameters_is_not_an_n_plus_one(people, watch):
    table = Post._meta.db_table
    with watch() as s:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT title FROM {table} WHERE author_id = %s", [people[0].pk])
            cursor.execute(f"SELECT title FROM {table} WHERE author_id = %s", [people[1].pk])
    assert s.findings == []


# -- 27 --------------------------------------------------------------------------------------


def test_27_two_single_gets_on_two_tables_are_nothing(people, watch):
    post = Post.objects.first()
    with watch() as s:
        # One line, two tables: fingerprints of different tables never collide.
        found = [model.objects.get(pk=pk) for model, pk in ((Post, post.pk), (Person, people[1].pk))]
    assert len(found) == 2
    assert s.findings == []


# -- 28 --------------------------------------------------------------------------------------


def test_28_the_same_query_once_outside_and_once_inside_a_scope_is_nothing(people, watch):
    def titles():
        return [post.title for post in Post.objects.filter(author=people[0])]

    outside = titles()
    with watch() as s:
        inside = titles()
    assert inside == outside
    assert s.findings == []
    assert s.query_count == 1


# -- 29 --------------------------------------------------------------------------------------


def test_29_identical_query_with_identical_parameters_twice_is_a_duplicate(people, watch, here, site):
    post = Post.objects.first()
    with watch() as s:
        line = here() + 1
        Post.objects.get(pk=post.pk)
        Post.objects.get(pk=post.pk)
    assert summary(s.findings) == [("duplicate", None, 2, DUPLICATE)]
    # Reported where the avoidable repeat ran, with where the query first ran.
    assert (s.findings[0].call_site, s.findings[0].first_call_site) == (site(line + 1), site(line))
    assert f"at {site(line + 1)} (first at {site(line)})" in s.findings[0].describe()


# -- 30 --------------------------------------------------------------------------------------


def test_30_filter_id_1_twice_and_id_2_once_is_one_shape_and_one_duplicate(people, watch, here, site):
    one, two = Post.objects.order_by("pk")[:2]
    with watch() as s:
        line = here() + 1
        list(Post.objects.filter(id=one.pk))
        list(Post.objects.filter(id=one.pk))
        list(Post.objects.filter(id=two.pk))
    assert summary(s.findings) == [("duplicate", None, 2, DUPLICATE)]
    assert (s.findings[0].call_site, s.findings[0].first_call_site) == (site(line + 1), site(line))
    (shape,) = s.shapes()
    assert (shape.count, shape.distinct_params, shape.call_sites) == (3, 2, 3)
    assert shape.sql.endswith("where rtapp_post.id = ? order by rtapp_post.id asc")


def test_30_id_lt_10_and_id_lt_20_is_one_shape_seen_twice(people, watch):
    with watch() as s:
        list(Post.objects.filter(id__lt=10))
        list(Post.objects.filter(id__lt=20))
    assert s.findings == []
    (shape,) = s.shapes()
    assert (shape.count, shape.distinct_params) == (2, 2)
