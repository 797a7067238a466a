"""Django set-up for the tests: the example project in examples/bookshop, on an in-memory SQLite
database built by running its migrations."""

import os
import sys
from contextlib import contextmanager

import pytest

from expectations import BOOKSHOP

sys.path.insert(0, str(BOOKSHOP))
os.environ["DJANGO_SETTINGS_MODULE"] = "bookshop.settings"

import django  # noqa: E402

django.setup()


@pytest.fixture(scope="session")
def django_db():
    """The test database: in-memory SQLite (the settings name no test NAME), migrated."""
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


@pytest.fixture
def seeded(django_db):
    """`with seeded(n):` runs its block on a database holding n rows of everything (see
    `core.demo.seed`), inside a transaction that is rolled back at the end."""
    from django.db import transaction

    from core.demo import seed

    @contextmanager
    def rows(n):
        with transaction.atomic():
            seed(n)
            yield
            transaction.set_rollback(True)

    return rows
