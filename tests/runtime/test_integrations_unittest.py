"""The unittest mixin in a real ``django.test.TestCase`` with two databases."""

from django.test import TestCase, override_settings

from querysight.testing import QuerysightTestMixin
from rtapp.models import Person, Post


class MixinTests(QuerysightTestMixin, TestCase):
    databases = {"default", "other"}

    @classmethod
    def setUpTestData(cls):
        for using in ("default", "other"):
            for i in range(2):
                person = Person.objects.using(using).create(name=f"{using} {i}")
                for j in range(2):
                    Post.objects.using(using).create(author=person, title=f"{using} {i}.{j}")

    def test_no_n_plus_one_passes_on_fixed_code(self):
        with self.assertNoNPlusOne() as s:
            names = [p.author.name for p in Post.objects.select_related("author")]
        self.assertEqual(len(names), 4)
        self.assertEqual(s.query_count, 1)

    def test_no_n_plus_one_fails_with_the_relation_and_the_fix(self):
        with self.assertRaises(self.failureException) as info:
            with self.assertNoNPlusOne():
                [p.author.name for p in Post.objects.all()]
        message = str(info.exception)
        self.assertIn("N+1: `rtapp.Post.author` loaded 4 times at test_integrations_unittest.py:", message)
        self.assertIn('fix: .select_related("author")', message)

    def test_no_n_plus_one_on_another_database(self):
        with self.assertRaises(self.failureException) as info:
            with self.assertNoNPlusOne():
                [list(person.posts.all()) for person in Person.objects.using("other")]
        self.assertIn("`rtapp.Person.posts` loaded 2 times", str(info.exception))
        self.assertIn('fix: .prefetch_related("posts")', str(info.exception))

    def test_threshold(self):
        with self.assertNoNPlusOne(threshold=3):
            [list(person.posts.all()) for person in Person.objects.all()]

    def test_an_exception_in_the_block_propagates(self):
        with self.assertRaises(ZeroDivisionError):
            with self.assertNoNPlusOne():
                [p.author.name for p in Post.objects.all()]
                1 / 0

    def test_max_queries_counts_every_database(self):
        with self.assertMaxQueries(2) as counter:
            Post.objects.count()
            Post.objects.using("other").count()
        self.assertEqual(counter.by_alias, {"default": 1, "other": 1})
        with self.assertRaises(self.failureException) as info:
            with self.assertMaxQueries(2):
                Post.objects.count()
                Post.objects.using("other").count()
                Person.objects.using("other").count()
        self.assertEqual(str(info.exception), "3 queries ran, more than the 2 allowed (default: 1, other: 2)")

    @override_settings(ROOT_URLCONF="integration_urls")
    def test_max_queries_counts_test_client_requests(self):
        with self.assertMaxQueries(1):
            self.client.get("/posts/fixed/")
        with self.assertRaises(self.failureException):
            with self.assertMaxQueries(1):
                self.client.get("/posts/fixed/")
                self.client.get("/posts/fixed/")

    def test_the_middleware_still_scopes_each_request(self):
        with self.assertNoNPlusOne():
            for post in Post.objects.all()[:2]:
                self.assertEqual(self.client.get(f"/posts/{post.pk}/").status_code, 200)
