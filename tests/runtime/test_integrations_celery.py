"""Celery (scenario 41): one scope per task through Celery's signals, isolated per task, closed
when the task fails; eagerly and in a real in-process worker."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import override_settings

import querysight
import querysight.celery
from celery_app import (
    app,
    authors,
    authors_fixed,
    authors_then_fail,
    posts_then_authors,
    watched_authors,
    watched_authors_fixed,
)

LOG = {"MODE": "log", "DETECT": {"duplicates": False}}


def logged(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "querysight"]


@pytest.fixture(autouse=True)
def no_open_task_scopes():
    yield
    assert querysight.celery.running() == 0


@override_settings(QUERYSIGHT=LOG)
def test_a_task_with_an_n_plus_one_is_reported(people, caplog):
    assert len(authors.apply().get()) == 6
    (message,) = logged(caplog)
    assert "`rtapp.Post.author` loaded 6 times at celery_app.py:" in message
    assert 'fix: .select_related("author")' in message


@override_settings(QUERYSIGHT=LOG)
def test_always_eager_delay(people, caplog):
    app.conf.task_always_eager = True
    try:
        authors.delay().get()
        authors_fixed.delay().get()
    finally:
        app.conf.task_always_eager = False
    assert len(logged(caplog)) == 1


@override_settings(QUERYSIGHT=LOG)
def test_tasks_are_isolated_from_each_other_and_from_the_caller(people, caplog):
    with querysight.scope(mode="log", report=False) as caller:
        for _ in range(3):
            authors_fixed.apply().get()  # the same single query, three times
    # The caller's scope detected nothing in the tasks' queries (no duplicates across tasks),
    # and no task saw another's; the caller counts them (an eager task's scope is nested in
    # the caller's).
    assert caller.query_count == 3 and caller.findings == []
    assert logged(caplog) == []
    assert querysight.current() is None


@override_settings(QUERYSIGHT=LOG)
def test_a_task_inside_a_task_has_its_own_scope(people, caplog):
    counts, names = posts_then_authors.apply().get()
    assert counts == [2, 2, 2] and len(names) == 6
    messages = logged(caplog)
    assert len(messages) == 2
    assert "`rtapp.Post.author` loaded 6 times" in messages[0]  # the inner task ends first
    assert "`rtapp.Person.posts` loaded 3 times" in messages[1]


@override_settings(QUERYSIGHT=LOG)
def test_a_failed_task_is_cleaned_up_and_not_reported(people, caplog):
    result = authors_then_fail.apply()
    assert result.failed() and isinstance(result.result, ValueError)
    assert querysight.celery.running() == 0
    assert querysight.current() is None
    assert logged(caplog) == []
    authors.apply().get()  # the next task is watched as usual
    assert len(logged(caplog)) == 1


@override_settings(QUERYSIGHT={"MODE": "warn"})
def test_warn_mode_never_fails_a_task(people):
    with pytest.warns(querysight.QuerysightWarning, match=r"rtapp\.Post\.author"):
        result = authors.apply()
    assert result.successful()


def test_raise_mode_is_logged_by_celery(people, caplog):
    result = authors.apply()
    assert result.successful()
    (record,) = [r for r in caplog.records if r.name == "celery.utils.dispatch.signal"]
    assert "NPlusOneError" in record.getMessage() and "rtapp.Post.author" in record.getMessage()


def test_raise_mode_fails_a_watched_task_with_the_n_plus_one(people, caplog):
    """`WatchedTask` runs the body inside the scope: in raise mode the task itself fails."""
    result = watched_authors.apply()
    assert result.failed() and isinstance(result.result, querysight.NPlusOneError)
    assert "`rtapp.Post.author` loaded 6 times at celery_app.py:" in str(result.result)
    assert watched_authors_fixed.apply().successful()
    # The signals skip it: nothing logged by the task_postrun handler, no scope left open.
    assert [r for r in caplog.records if r.name == "celery.utils.dispatch.signal"] == []


def test_raise_mode_propagates_from_an_eager_watched_task(people):
    app.conf.task_eager_propagates = True
    try:
        with pytest.raises(querysight.NPlusOneError, match=r"rtapp\.Post\.author"):
            watched_authors.apply()
    finally:
        app.conf.task_eager_propagates = False


@pytest.mark.django_db(transaction=True)
def test_raise_mode_fails_a_watched_task_in_a_worker(people):
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING"):
        with pytest.raises(querysight.NPlusOneError):
            watched_authors.delay().get(timeout=30)
        assert len(watched_authors_fixed.delay().get(timeout=30)) == 6


@override_settings(QUERYSIGHT={**LOG, "ENABLED": False})
def test_disabled(people, caplog):
    authors.apply().get()
    assert logged(caplog) == []


@pytest.mark.django_db(transaction=True)
@override_settings(QUERYSIGHT=LOG)
def test_a_worker_thread_runs_each_task_in_its_own_scope(people, caplog):
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING"):
        assert len(authors.delay().get(timeout=30)) == 6
        assert len(authors_fixed.delay().get(timeout=30)) == 6
        failed = authors_then_fail.delay()
        with pytest.raises(ValueError, match="the task failed"):
            failed.get(timeout=30)
        assert len(authors.delay().get(timeout=30)) == 6
        assert querysight.celery.running() == 0
    messages = logged(caplog)
    assert len(messages) == 2, messages
    assert all("`rtapp.Post.author` loaded 6 times at celery_app.py:" in m for m in messages)
