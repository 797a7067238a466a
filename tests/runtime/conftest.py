"""Shared fixtures for the runtime tests: rows for the scenario models, and small helpers for the
scenario tests (``test_scenarios_*.py``)."""

import sys

import pytest

import querysight
from querysight import callsite
from rtapp.models import (
    Category,
    Comment,
    Customer,
    Hobby,
    Occupation,
    Order,
    Person,
    Post,
    Profile,
    Region,
    Store,
    Team,
)


@pytest.fixture
def people(db):
    """Three people, each with an occupation, a profile, two hobbies and two posts."""
    hobbies = [Hobby.objects.create(name=f"hobby {i}") for i in range(3)]
    result = []
    for i in range(3):
        occupation = Occupation.objects.create(name=f"job {i}")
        person = Person.objects.create(name=f"person {i}", occupation=occupation)
        Profile.objects.create(person=person, bio=f"bio {i}")
        person.hobbies.set(hobbies[:2])
        for j in range(2):
            Post.objects.create(author=person, title=f"post {i}.{j}")
        result.append(person)
    return result


@pytest.fixture
def social(people):
    """``people``, where each follows the next one, hobbies have categories, and each post has
    two comments by two different people (one approved). Returns ``people``."""
    categories = [Category.objects.create(name=f"category {i}") for i in range(2)]
    for i, hobby in enumerate(Hobby.objects.order_by("pk")):
        hobby.category = categories[i % 2]
        hobby.save()
    for i, person in enumerate(people):
        person.following.set([people[(i + 1) % len(people)]])
    for i, post in enumerate(Post.objects.order_by("pk")):
        Comment.objects.create(post=post, author=people[i % 3], text="first", approved=True)
        Comment.objects.create(post=post, author=people[(i + 1) % 3], text="second", approved=False)
    return people


@pytest.fixture
def stores(people):
    """``people`` with a main and a backup store each, every store in its own region."""
    for i, person in enumerate(people):
        person.main_store = Store.objects.create(
            name=f"main {i}", region=Region.objects.create(name=f"region main {i}")
        )
        person.backup_store = Store.objects.create(
            name=f"backup {i}", region=Region.objects.create(name=f"region backup {i}")
        )
        person.save()
    return people


@pytest.fixture
def orders(db):
    """Three teams with one customer each, and two orders per customer."""
    result = []
    for i in range(3):
        customer = Customer.objects.create(name=f"customer {i}", team=Team.objects.create(name=f"team {i}"))
        result += [Order.objects.create(customer=customer, number=10 * i + j) for j in range(2)]
    return result


@pytest.fixture
def watch():
    """``with watch() as s:`` a querysight scope that only collects (``s.findings``)."""

    def make(**kwargs):
        return querysight.scope(mode="log", report=False, **kwargs)

    return make


@pytest.fixture
def here():
    """``here()`` is the caller's line number."""
    return lambda: sys._getframe(1).f_lineno


@pytest.fixture
def site(request):
    """``site(line)`` is the call site querysight prints for a line of the running test file."""
    path = callsite.display_path(str(request.node.path))
    return lambda line: f"{path}:{line}"

