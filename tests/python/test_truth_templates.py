"""Truth tests for the template cases of the example (catalog/pages.py and its templates):
each view whose template the checker flags runs more queries with more rows, through Django's
test client and real template rendering; its `_fixed` twin runs a fixed number and renders the
same rows."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import expectations

FEW, MANY = 2, 20

# (url name of the N+1 view, url name of its twin, templates the checker must flag for it)
CASES = [
    ("shelf", "shelf_fixed", {"catalog/templates/catalog/shelf.html"}),
    ("tag_board", "tag_board_fixed", {"catalog/templates/catalog/tag_board.html"}),
    ("book_rows", "book_rows_fixed", {"catalog/templates/catalog/_book_row.html"}),
    ("labels", "labels_fixed", {"catalog/templates/catalog/labels.html"}),
    ("author_list", "author_list_fixed", {"catalog/templates/catalog/author_list.html"}),
    ("publisher_detail", "publisher_detail_fixed", {"catalog/templates/catalog/publisher_detail.html"}),
]


def get(name):
    from catalog.models import Publisher

    kwargs = {"pk": Publisher.objects.order_by("pk").first().pk} if "publisher" in name else {}
    response = Client().get(reverse(f"catalog:{name}", kwargs=kwargs))
    assert response.status_code == 200, f"{name}: {response.status_code}"
    return response.content.decode()


def measure(seeded, name, rows):
    with seeded(rows):
        if "publisher" in name:
            # Every book under one publisher, so the detail page lists `rows` books.
            from catalog.models import Book, Publisher

            Book.objects.update(publisher=Publisher.objects.order_by("pk").first())
        with CaptureQueriesContext(connection) as queries:
            body = get(name)
    return len(queries), re.sub(r"\s+", " ", body)


ids = [c[0] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_template_n_plus_one_grows_with_rows(seeded, case):
    few, _ = measure(seeded, case[0], FEW)
    many, _ = measure(seeded, case[0], MANY)
    assert many > few, f"{case[0]}: {few} queries with {FEW} rows, {many} with {MANY}"


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_template_fixed_twin_is_flat_and_renders_the_same_rows(seeded, case):
    few, _ = measure(seeded, case[1], FEW)
    many, fixed_body = measure(seeded, case[1], MANY)
    assert many == few, f"{case[1]}: {few} queries with {FEW} rows, {many} with {MANY}"
    _, body = measure(seeded, case[0], MANY)
    if case[0] != "author_list":  # the twin renders an annotation instead of a query per row
        assert fixed_body == body


def test_every_annotated_template_has_a_case():
    annotated = {path for path, _, _ in expectations.template_annotations()}
    covered = set().union(*(c[2] for c in CASES))
    assert annotated == covered
