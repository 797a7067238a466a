"""Section D of shared/reference/runtime-scenarios.md: blame and fix (scenarios 37-39).

Each test is named after its scenario number. Positives assert the finding's kind, relation,
count and the fix the user reads, and where it is blamed (template line, serializer field,
queryset line).
"""

import pytest
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.test import Client

import querysight
from rtapp.models import Comment, Order, Person, Post
from rtapp.serializers import PersonSerializer, PostSerializer


def summary(findings):
    return [(f.kind, f.relation, f.count, f.fix) for f in findings]


def line_of(path, text):
    """The 1-based line of ``path`` (relative to this directory) that contains ``text``."""
    import os

    with open(os.path.join(os.path.dirname(__file__), path)) as source:
        for number, line in enumerate(source, 1):
            if text in line:
                return number
    raise AssertionError(f"{text!r} not in {path}")


# -- 37 --------------------------------------------------------------------------------------


def test_37_n_plus_one_in_a_template_loop_names_the_template_line_and_the_views_queryset(people):
    with pytest.raises(querysight.NPlusOneError) as info:
        Client().get("/posts/template/")
    assert summary(info.value.findings) == [("n_plus_one", "rtapp.Post.author", 6, '.select_related("author")')]
    (finding,) = info.value.findings
    view_line = f"rtapp/views.py:{line_of('rtapp/views.py', 'rtapp/posts.html')}"
    assert finding.template == "rtapp/posts.html:3"
    assert finding.origin == view_line  # the queryset the template loops over
    assert finding.call_site == view_line
    assert "(template rtapp/posts.html:3)" in finding.describe()


def test_37_list_view_names_the_template_line_and_get_queryset(people):
    with pytest.raises(querysight.NPlusOneError) as info:
        Client().get("/posts/listview/")
    assert summary(info.value.findings) == [("n_plus_one", "rtapp.Post.author", 6, '.select_related("author")')]
    (finding,) = info.value.findings
    assert finding.template == "rtapp/post_list.html:4"
    queryset_line = line_of("rtapp/class_views.py", 'Post.objects.order_by("title")')
    assert finding.origin == f"rtapp/class_views.py:{queryset_line}"
    assert f"(on the queryset at rtapp/class_views.py:{queryset_line})" in finding.describe()


def test_37_template_rendered_directly(people, watch, here, site):
    with watch() as s:
        line = here() + 1
        posts = Post.objects.all()
        render_to_string("rtapp/posts.html", {"posts": posts})
    (finding,) = s.findings
    assert (finding.template, finding.origin, finding.relation) == (
        "rtapp/posts.html:3",
        site(line),
        "rtapp.Post.author",
    )


# -- 38 --------------------------------------------------------------------------------------


def test_38_nested_serializer_names_the_serializer_field(people):
    with pytest.raises(querysight.NPlusOneError) as info:
        Client().get("/api/posts/")
    assert summary(info.value.findings) == [("n_plus_one", "rtapp.Post.author", 6, '.select_related("author")')]
    assert info.value.findings[0].serializer_field == "PostSerializer.author"
    assert "(serializer field PostSerializer.author)" in info.value.findings[0].describe()


def test_38_nested_many_serializer_and_method_field_name_the_serializer_fields(people):
    with pytest.raises(querysight.NPlusOneError) as info:
        Client().get("/api/people/")
    assert summary(info.value.findings) == [
        ("n_plus_one", "rtapp.Person.posts", 3, '.prefetch_related("posts")'),
        (
            "n_plus_one",
            "rtapp.Person.followers",
            3,
            '.annotate(followers_count=Count("followers")) and read `followers_count` instead of .count()',
        ),
    ]
    assert [f.serializer_field for f in info.value.findings] == [
        "PersonSerializer.posts",
        "PersonSerializer.follower_count",
    ]
    queryset_line = line_of("rtapp/class_views.py", "Person.objects.all()")
    assert {f.origin for f in info.value.findings} == {f"rtapp/class_views.py:{queryset_line}"}


def test_38_serializers_with_the_fix_applied_are_nothing(people, watch):
    with watch() as s:
        posts = PostSerializer(Post.objects.select_related("author"), many=True).data
        people_data = PersonSerializer(Person.objects.prefetch_related("posts", "followers"), many=True).data
    assert len(posts) == 6 and len(people_data) == 3
    assert s.findings == []


# -- 39 --------------------------------------------------------------------------------------


def test_39_select_related_of_a_nested_forward_path(orders, watch):
    with watch() as s:
        teams = [order.customer.team.name for order in Order.objects.select_related("customer")]
    assert len(teams) == 6
    assert summary(s.findings) == [("n_plus_one", "rtapp.Customer.team", 6, '.select_related("customer__team")')]


def test_39_both_levels_of_a_forward_path(orders, watch):
    with watch() as s:
        teams = [order.customer.team.name for order in Order.objects.all()]
    assert len(teams) == 6
    assert summary(s.findings) == [
        ("n_plus_one", "rtapp.Order.customer", 6, '.select_related("customer")'),
        ("n_plus_one", "rtapp.Customer.team", 6, '.select_related("customer__team")'),
    ]


def test_39_select_related_fix_applied_is_nothing(orders, watch):
    with watch() as s:
        teams = [order.customer.team.name for order in Order.objects.select_related("customer__team")]
    assert len(teams) == 6 and s.findings == []


def test_39_prefetch_related_of_a_forward_fk_below_a_many_relation(social, watch):
    with watch() as s:
        for post in Post.objects.prefetch_related("comments"):
            [comment.author.name for comment in post.comments.all()]
    assert summary(s.findings) == [("n_plus_one", "rtapp.Comment.author", 12, '.prefetch_related("comments__author")')]


def test_39_both_levels_of_a_path_below_a_many_relation(social, watch):
    with watch() as s:
        for post in Post.objects.all():
            [comment.author.name for comment in post.comments.all()]
    assert summary(s.findings) == [
        ("n_plus_one", "rtapp.Post.comments", 6, '.prefetch_related("comments")'),
        ("n_plus_one", "rtapp.Comment.author", 12, '.prefetch_related("comments__author")'),
    ]


def test_39_prefetch_fix_applied_is_nothing(social, watch):
    with watch() as s:
        for post in Post.objects.prefetch_related("comments__author"):
            [comment.author.name for comment in post.comments.all()]
    assert s.findings == []
    assert s.query_count == 3


def test_39_filtered_relation_gets_a_prefetch_object_with_to_attr(social, watch):
    with watch() as s:
        for post in Post.objects.all():
            [comment.text for comment in post.comments.filter(approved=True)]
    assert summary(s.findings) == [
        (
            "n_plus_one",
            "rtapp.Post.comments",
            6,
            '.prefetch_related(Prefetch("comments", queryset=Comment.objects.filter(...), '
            'to_attr="comments_filtered")) and read `comments_filtered` instead of .filter() per row',
        )
    ]


def test_39_prefetch_object_fix_applied_is_nothing(social, watch):
    approved = Prefetch("comments", queryset=Comment.objects.filter(approved=True), to_attr="comments_filtered")
    with watch() as s:
        for post in Post.objects.prefetch_related(approved):
            [comment.text for comment in post.comments_filtered]
    assert s.findings == []


def test_39_to_attr_rows_keep_their_path(social, watch):
    approved = Prefetch("comments", queryset=Comment.objects.filter(approved=True), to_attr="approved")
    with watch() as s:
        for post in Post.objects.prefetch_related(approved):
            [comment.author.name for comment in post.approved]
    assert summary(s.findings) == [("n_plus_one", "rtapp.Comment.author", 6, '.prefetch_related("approved__author")')]


def test_39_count_gets_an_annotation(people, watch):
    with watch() as s:
        counts = [person.posts.count() for person in Person.objects.all()]
    assert counts == [2, 2, 2]
    assert summary(s.findings) == [
        (
            "n_plus_one",
            "rtapp.Person.posts",
            3,
            '.annotate(posts_count=Count("posts")) and read `posts_count` instead of .count()',
        )
    ]


def test_39_count_below_a_many_relation_annotates_inside_a_prefetch(social, watch):
    with watch() as s:
        for person in Person.objects.prefetch_related("posts"):
            [post.comments.count() for post in person.posts.all()]
    assert summary(s.findings) == [
        (
            "n_plus_one",
            "rtapp.Post.comments",
            6,
            '.prefetch_related(Prefetch("posts", queryset=Post.objects.annotate(comments_count=Count("comments")))) '
            "and read `comments_count` instead of .count()",
        )
    ]


def test_39_count_below_a_joined_relation_annotates_through_the_join(people, watch):
    with watch() as s:
        counts = [post.author.posts.count() for post in Post.objects.select_related("author")]
    assert counts == [2] * 6
    assert summary(s.findings) == [
        (
            "n_plus_one",
            "rtapp.Person.posts",
            6,
            '.annotate(posts_count=Count("author__posts")) and read `posts_count` instead of .count()',
        )
    ]


def test_39_annotation_fix_applied_is_nothing(people, watch):
    from django.db.models import Count

    with watch() as s:
        counts = [p.posts_count for p in Person.objects.annotate(posts_count=Count("posts"))]
    assert counts == [2, 2, 2] and s.findings == []
