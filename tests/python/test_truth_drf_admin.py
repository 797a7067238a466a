"""Ground truth for the declarative cases of the example: DRF serializers behind list views
(`catalog.api`, `catalog.serializers`) and admin changelists (`catalog.admin`).

Their annotations sit on the serializer field or the `list_display` entry (a class body, see
`expectations.annotated_classes`). Each case runs the real thing: the DRF view through
`as_view()` with a JSON request, the admin changelist through Django's test client as a
superuser. The N+1 must run at least one more query per extra row, its fixed twin the same
number whatever the row count.
"""

from dataclasses import dataclass
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory

import expectations
from catalog import api

FEW, MANY = 2, 20


def drf_list(view_class):
    """Runs a DRF list view on a JSON GET; returns the body."""

    def run(_setup):
        request = APIRequestFactory().get("/", HTTP_ACCEPT="application/json")
        response = view_class.as_view()(request)
        response.render()
        assert response.status_code == 200, response.content[:500]
        return response.content.decode()

    return run


def logged_in_client():
    from accounts.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "secret"))
    return client


def admin_changelist(site_prefix, model_path):
    """GETs an admin changelist as a superuser; returns the rows' text (the links differ
    between the two sites)."""

    def run(client):
        response = client.get(f"/{site_prefix}/{model_path}/")
        assert response.status_code == 200, response.status_code
        body = response.content.decode()
        start = body.index('id="result_list"')
        return body[start : body.index("</table>", start)].replace(site_prefix, "SITE")

    return run


@dataclass(frozen=True)
class Case:
    id: str
    n_plus_one: Callable
    fixed: Callable
    # The annotated classes this case is the ground truth of, with their codes.
    annotated: dict
    setup: Callable = lambda: None


CASES = [
    Case(
        "catalog.api.BookList",
        drf_list(api.BookList),
        drf_list(api.BookListFixed),
        {("catalog.serializers", "BookSerializer"): frozenset({"QS101", "QS102"})},
    ),
    Case(
        "catalog.api.AuthorList",
        drf_list(api.AuthorList),
        drf_list(api.AuthorListFixed),
        {("catalog.serializers", "AuthorBooksSerializer"): frozenset({"QS102", "QS104"})},
    ),
    Case(
        "catalog.admin.BookAdmin",
        admin_changelist("admin", "catalog/book"),
        admin_changelist("admin-fixed", "catalog/book"),
        {("catalog.admin", "BookAdmin"): frozenset({"QS101", "QS102"})},
        setup=logged_in_client,
    ),
]

by_case = pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])


def measure(seeded, case, run, rows):
    with seeded(rows):
        state = case.setup()
        with CaptureQueriesContext(connection) as queries:
            result = run(state)
    return len(queries), result


@by_case
def test_n_plus_one_grows_with_rows(seeded, case):
    few, _ = measure(seeded, case, case.n_plus_one, FEW)
    many, _ = measure(seeded, case, case.n_plus_one, MANY)
    assert many - few >= MANY - FEW, f"{case.id}: {few} queries with {FEW} rows, {many} with {MANY}"


@by_case
def test_fixed_twin_is_flat(seeded, case):
    few, _ = measure(seeded, case, case.fixed, FEW)
    many, _ = measure(seeded, case, case.fixed, MANY)
    assert few == many, f"{case.id} fixed: {few} queries with {FEW} rows, {many} with {MANY}"


@by_case
def test_fixed_twin_gives_the_same_result(seeded, case):
    _, expected = measure(seeded, case, case.n_plus_one, 5)
    _, actual = measure(seeded, case, case.fixed, 5)
    assert actual == expected


def test_registry_covers_every_annotated_class():
    registered = {}
    for case in CASES:
        for key, codes in case.annotated.items():
            assert key not in registered, f"{key} registered twice"
            registered[key] = codes
    assert registered == expectations.annotated_classes()
