"""The pytest plugin, run for real with ``pytester`` in a subprocess: inline test files that use
pytest-django and the runtime settings (``rtsettings``, ``rtapp``)."""

import os
from pathlib import Path

import pytest

RUNTIME_DIR = Path(__file__).resolve().parent

SETTINGS = """
import copy
from rtsettings import *  # noqa: F401,F403

DATABASES = copy.deepcopy(DATABASES)
# PostgreSQL: not the test database of the outer test run, which is in use.
DATABASES["default"]["TEST"] = {"NAME": "test_querysight_pytester"}
"""

INI = """
[pytest]
DJANGO_SETTINGS_MODULE = pt_settings
addopts = -p no:cacheprovider
filterwarnings =
    error
"""

CONFTEST = """
import pytest

from rtapp.models import Person, Post


@pytest.fixture
def posts(db):
    for i in range(2):
        person = Person.objects.create(name=f"person {i}")
        for j in range(2):
            Post.objects.create(author=person, title=f"post {i}.{j}")
    return list(Post.objects.all())
"""

TESTS = """
import pytest

from rtapp.models import Person, Post


@pytest.mark.querysight
def test_n_plus_one(posts):
    names = [post.author.name for post in Post.objects.all()]
    assert len(names) == 4


@pytest.mark.querysight
def test_fixed(posts):
    names = [post.author.name for post in Post.objects.select_related("author")]
    assert len(names) == 4


@pytest.mark.querysight(max_queries=2)
def test_too_many_queries(posts):
    Post.objects.count()
    Post.objects.filter(title__startswith="post 0").count()
    Post.objects.filter(title__startswith="post 1").count()


@pytest.mark.querysight(max_queries=3)
def test_within_max_queries(posts):
    Post.objects.count()
    Post.objects.filter(title__startswith="post 0").count()
    Post.objects.filter(title__startswith="post 1").count()


@pytest.mark.querysight(max_queries=1)
@pytest.mark.urls("integration_urls")
def test_client_requests_count_towards_max_queries(posts, client):
    assert client.get("/posts/fixed/").status_code == 200
    assert client.get("/posts/fixed/").status_code == 200


@pytest.mark.querysight
@pytest.mark.urls("integration_urls")
def test_two_detail_requests_are_two_scopes(posts, client):
    for post in posts[:2]:
        assert client.get(f"/posts/{post.pk}/").status_code == 200


@pytest.mark.querysight(threshold=3)
def test_threshold(posts):
    [list(person.posts.all()) for person in Person.objects.all()]  # 2 people


@pytest.mark.querysight
def test_default_threshold(posts):
    [list(person.posts.all()) for person in Person.objects.all()]


def test_unmarked_is_not_watched(posts):
    [post.author.name for post in Post.objects.all()]


def test_fixture_assert_no_n_plus_one(posts, querysight):
    [post.author.name for post in Post.objects.all()]
    assert querysight.query_count == 5
    assert querysight.queries_by_alias() == {"default": 5}
    querysight.assert_no_n_plus_one()


def test_fixture_findings(posts, querysight):
    [post.author.name for post in Post.objects.all()]
    (finding,) = querysight.findings
    assert finding.relation == "rtapp.Post.author" and finding.count == 4
    querysight.assert_max_queries(5)


def test_fixture_assert_max_queries(posts, querysight):
    Post.objects.count()
    Post.objects.exists()
    querysight.assert_max_queries(1)


@pytest.mark.querysight(max_querys=3)
def test_misspelt_marker_argument(posts):
    pass
"""


@pytest.fixture
def child(pytester, monkeypatch):
    """A pytester directory whose pytest runs use pytest-django with the runtime settings."""
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(RUNTIME_DIR), os.environ.get("PYTHONPATH")])))
    pytester.makefile(".ini", pytest=INI)
    pytester.makepyfile(pt_settings=SETTINGS, conftest=CONFTEST)
    return pytester


def outcomes(result):
    """{test name: outcome} from `-rA` short summary lines."""
    found = {}
    for line in result.outlines:
        for outcome in ("PASSED", "FAILED"):
            if line.startswith(outcome + " "):
                found[line.split(" ")[1].split("::")[-1]] = outcome.lower()
    return found


def test_marker_fixture_and_max_queries(child):
    child.makepyfile(test_inline=TESTS)
    result = child.runpytest_subprocess("-rA")
    assert outcomes(result) == {
        "test_n_plus_one": "failed",
        "test_fixed": "passed",
        "test_too_many_queries": "failed",
        "test_within_max_queries": "passed",
        "test_client_requests_count_towards_max_queries": "failed",
        "test_two_detail_requests_are_two_scopes": "passed",
        "test_threshold": "passed",
        "test_default_threshold": "failed",
        "test_unmarked_is_not_watched": "passed",
        "test_fixture_assert_no_n_plus_one": "failed",
        "test_fixture_findings": "passed",
        "test_fixture_assert_max_queries": "failed",
        "test_misspelt_marker_argument": "failed",
    }, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*_ test_n_plus_one _*",
            "*querysight found 1 problem(s):",
            "*N+1: `rtapp.Post.author` loaded 4 times at test_inline.py:8 *",
            '*fix: .select_related("author")',
        ]
    )
    result.stdout.fnmatch_lines(["*3 queries ran, more than max_queries=2 (default: 3)*"])
    result.stdout.fnmatch_lines(["*_ test_default_threshold _*", "*N+1: `rtapp.Person.posts` loaded 2 times*"])
    result.stdout.fnmatch_lines(["*2 queries ran, more than max_queries=1 (default: 2)*"])
    result.stdout.fnmatch_lines(
        ["*_ test_fixture_assert_no_n_plus_one _*", "*N+1: `rtapp.Post.author` loaded 4 times*"]
    )
    result.stdout.fnmatch_lines(["*2 queries ran, more than 1 (default: 2)*"])
    result.stdout.fnmatch_lines(["*@pytest.mark.querysight takes only keyword arguments*max_querys*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_the_option_watches_every_test(child):
    child.makepyfile(
        test_option="""
        import pytest

        import shop
        from rtapp.models import Post
        from querysight.pytest_plugin import _ENABLED


        def test_unmarked_n_plus_one(posts):
            shop.posts_of_authors()


        def test_n_plus_one_in_the_test_body_itself(posts):
            # Test code (a loop over cases, data making) is not the code under test.
            [list(post.author.posts.all()) for post in Post.objects.all()]
            assert Post.objects.count() == Post.objects.count()


        def test_unmarked_fixed(posts, request):
            assert request.config.stash[_ENABLED] is True
            list(Post.objects.select_related("author"))


        @pytest.mark.querysight(enabled=False)
        def test_opted_out(posts):
            [post.author.name for post in Post.objects.all()]


        def test_no_database():
            assert 1 + 1 == 2
        """
    )
    child.makepyfile(
        shop="""
        from rtapp.models import Post


        def posts_of_authors():
            return [list(post.author.posts.all()) for post in Post.objects.all()]
        """
    )
    result = child.runpytest_subprocess("-rA", "--querysight")
    assert outcomes(result) == {
        "test_unmarked_n_plus_one": "failed",
        "test_n_plus_one_in_the_test_body_itself": "passed",
        "test_unmarked_fixed": "passed",
        "test_opted_out": "passed",
        "test_no_database": "passed",
    }, result.stdout.str()
    result.stdout.fnmatch_lines(["*N+1: `rtapp.Post.author` loaded 4 times*", '*fix: .select_related("author")'])
    result.stdout.fnmatch_lines(["*N+1: `rtapp.Person.posts` loaded 4 times*", '*fix: .prefetch_related("author__posts")'])
    # Without the option, the same file passes (nothing is marked).
    result = child.runpytest_subprocess("-rA")
    result.assert_outcomes(passed=4, failed=1)  # test_unmarked_fixed checks the stash


def test_marker_is_registered_and_the_option_is_in_its_group(child):
    result = child.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.querysight(max_queries=None, threshold=None, enabled=True):*"])
    result = child.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["querysight (N+1 query detection):", "  --querysight *"])
    # --strict-markers accepts it.
    child.makepyfile(
        test_strict="""
        import pytest

        @pytest.mark.querysight(enabled=False)
        def test_marked():
            pass
        """
    )
    child.runpytest_subprocess("--strict-markers").assert_outcomes(passed=1)


def test_loading_the_plugin_does_not_import_django(pytester, monkeypatch):
    """No Django settings and no pytest-django: the plugin loads, registers its marker and
    option, and imports nothing of Django, even under --querysight."""
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    pytester.makepyfile(
        test_plain="""
        import sys

        import pytest


        def test_plugin_loaded_without_django(request):
            assert request.config.pluginmanager.has_plugin("querysight")
            assert "querysight.pytest_plugin" in sys.modules
            assert not [name for name in sys.modules if name == "django" or name.startswith("django.")]


        @pytest.mark.querysight(enabled=False)
        def test_marker_known():
            assert "django" not in sys.modules
        """
    )
    for args in ([], ["--querysight"]):
        result = pytester.runpytest_subprocess("-p", "no:django", "--strict-markers", "-W", "error", *args)
        result.assert_outcomes(passed=2)


def test_a_marked_test_without_django_settings_fails_clearly(pytester, monkeypatch):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    pytester.makepyfile(
        test_marked="""
        import pytest

        @pytest.mark.querysight
        def test_marked():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:django")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*querysight needs Django settings (DJANGO_SETTINGS_MODULE)*"])


UNITTEST_APP = """
from rtapp.models import Person, Post


def author_names():
    return [post.author.name for post in Post.objects.all()]


async def author_per_post():
    async for post in Post.objects.all():
        await Person.objects.aget(pk=post.author_id)
"""

UNITTEST_CASES = """
from django.test import TestCase

from cases_app import author_names, author_per_post
from rtapp.models import Person, Post


def make_posts():
    for i in range(2):
        person = Person.objects.create(name=f"person {i}")
        for j in range(2):
            Post.objects.create(author=person, title=f"post {i}.{j}")


class WithSetUp(TestCase):
    def setUp(self):
        make_posts()
        # An N+1 in setUp is data making, not the code under test: not watched.
        self.names = author_names()

    def tearDown(self):
        author_names()

    def test_body_without_n_plus_one(self):
        assert len(self.names) == 4
        list(Post.objects.select_related("author"))

    def test_body_with_n_plus_one(self):
        author_names()


class Async(TestCase):
    def setUp(self):
        make_posts()

    async def test_async_body_with_n_plus_one(self):
        await author_per_post()
"""


def test_a_unittest_case_is_watched_in_its_test_method_only(child):
    """Under --querysight a Django TestCase's setUp and tearDown are not watched (pytest runs
    them in the call phase with the test method); the method itself is, sync or async."""
    child.makepyfile(test_cases=UNITTEST_CASES, cases_app=UNITTEST_APP)
    result = child.runpytest_subprocess("-rA", "--querysight")
    assert outcomes(result) == {
        "test_body_without_n_plus_one": "passed",
        "test_body_with_n_plus_one": "failed",
        "test_async_body_with_n_plus_one": "failed",
    }, result.stdout.str()
    result.stdout.fnmatch_lines(["*_ WithSetUp.test_body_with_n_plus_one _*", "*N+1: `rtapp.Post.author` loaded 4 times*"])
    result.stdout.fnmatch_lines(["*_ Async.test_async_body_with_n_plus_one _*", "*N+1: `.get()` ran once per row, 4 times*"])


def test_the_mode_option_reports_instead_of_failing(child):
    """--querysight-mode=warn: the findings are warnings of the passing test; a marked test
    still fails."""
    child.makepyfile(
        test_modes="""
        import pytest

        from rtapp.models import Post
        from modes_app import author_names


        def test_unmarked_n_plus_one(posts):
            author_names()


        @pytest.mark.querysight
        def test_marked_n_plus_one(posts):
            [post.author.name for post in Post.objects.all()]
        """,
        modes_app="""
        from rtapp.models import Post


        def author_names():
            return [post.author.name for post in Post.objects.all()]
        """,
    )
    result = child.runpytest_subprocess("-rA", "--querysight", "--querysight-mode=warn", "-W", "default")
    assert outcomes(result) == {"test_unmarked_n_plus_one": "passed", "test_marked_n_plus_one": "failed"}, (
        result.stdout.str()
    )
    result.stdout.fnmatch_lines(
        ["*/test_modes.py:7: QuerysightWarning: N+1: `rtapp.Post.author` loaded 4 times at modes_app.py:5*"]
    )
    result = child.runpytest_subprocess("--querysight", "--querysight-mode=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_calls_from_test_modules_are_units_of_work(child):
    """Each call a test makes into the code under test is a unit of work: a test's loop over
    cases, or two assertions calling one function, is no N+1 or duplicate of that function.
    Test modules are pytest's ``python_files`` (here a custom pattern)."""
    child.makefile(".ini", pytest=INI + "python_files = check_*.py\n")
    child.makepyfile(
        check_cases="""
        import pytest

        import lookups
        from rtapp.models import Post


        def test_a_loop_over_cases(posts):
            for post in posts:
                assert lookups.title_of(post.pk) == post.title


        def test_two_assertions_calling_one_function(posts):
            assert lookups.count_posts() == 4
            assert lookups.count_posts() == 4


        def test_the_test_checks_what_the_code_counted(posts):
            # A repeat in test code: reported at the test's line, which is left out.
            lookups.count_posts()
            assert Post.objects.count() == 4


        def test_a_loop_inside_the_code(posts):
            lookups.titles_of([post.pk for post in posts])


        @pytest.mark.querysight
        def test_marked_loop_over_rows_through_the_code(posts):
            for post in Post.objects.all():
                lookups.author_name(post)
        """,
        lookups="""
        from rtapp.models import Post


        def title_of(pk):
            return Post.objects.get(pk=pk).title


        def titles_of(pks):
            return [title_of(pk) for pk in pks]


        def count_posts():
            return Post.objects.count()


        def author_name(post):
            return post.author.name
        """,
    )
    result = child.runpytest_subprocess("-rA", "--querysight")
    assert outcomes(result) == {
        "test_a_loop_over_cases": "passed",
        "test_two_assertions_calling_one_function": "passed",
        "test_the_test_checks_what_the_code_counted": "passed",
        "test_a_loop_inside_the_code": "failed",
        "test_marked_loop_over_rows_through_the_code": "failed",
    }, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*_ test_a_loop_inside_the_code _*", "*N+1: `.get()` ran once per row, 4 times at lookups.py:5*"]
    )
    result.stdout.fnmatch_lines(
        ["*_ test_marked_loop_over_rows_through_the_code _*", "*N+1: `rtapp.Post.author` loaded 4 times at lookups.py:17*"]
    )


def test_a_test_packages_helper_modules_are_test_code(child):
    """Modules directly in a ``tests`` package (helpers, ``__init__.py``) are the harness, as
    test modules are: their loops are no N+1 of the code under test."""
    child.mkpydir("tests")
    child.makepyfile(
        **{
            "tests/helpers": """
            from rtapp.models import Post


            def titles(pks):
                return [Post.objects.get(pk=pk).title for pk in pks]
            """,
            "tests/test_with_helpers": """
            from tests.helpers import titles


            def test_a_helper_loop(posts):
                assert len(titles([post.pk for post in posts])) == 4
            """,
        }
    )
    result = child.runpytest_subprocess("-rA", "--querysight")
    assert outcomes(result) == {"test_a_helper_loop": "passed"}, result.stdout.str()
