"""The middleware through Django's test clients: one scope per request, sync and async, cleaned
up in ``finally``, error responses not reported, ``SAMPLE_RATE`` and ``ENABLED`` respected
(scenarios 22, 35, 40)."""

import logging
import re
import threading

import pytest
from asgiref.sync import async_to_sync
from django.db import connections
from django.test import AsyncClient, Client, override_settings

import querysight
from qs_faults import break_the_record_path
from querysight import NPlusOneError, QuerysightWarning

pytestmark = pytest.mark.urls("integration_urls")

HEADER = "X-Querysight-Findings"
LOG = {"MODE": "log", "DETECT": {"duplicates": False}}


def async_get(client):
    """A sync function that GETs with an AsyncClient (Django 4.2's AsyncClient.get is not a
    coroutine function, so it is wrapped in one for async_to_sync)."""

    async def get(path, data=None):
        return await client.get(path, data)

    return async_to_sync(get)


def logged(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "querysight"]


def test_a_list_view_with_an_n_plus_one_raises_in_raise_mode(people):
    with pytest.raises(NPlusOneError) as info:
        Client().get("/posts/")
    assert "rtapp.Post.author" in str(info.value)
    assert 'fix: .select_related("author")' in str(info.value)
    assert "rtapp/views.py:8" in str(info.value)
    assert querysight.current() is None


@override_settings(QUERYSIGHT=LOG)
def test_log_mode_logs_and_counts_findings_in_a_header(people, caplog):
    response = Client().get("/posts/")
    assert response.status_code == 200 and response[HEADER] == "1"
    (message,) = logged(caplog)
    assert "`rtapp.Post.author` loaded 6 times at rtapp/views.py:8" in message
    assert '.select_related("author")' in message


@override_settings(QUERYSIGHT={"MODE": "warn"})
def test_warn_mode_warns(people):
    with pytest.warns(QuerysightWarning, match=r"rtapp\.Post\.author"):
        response = Client().get("/posts/")
    assert response[HEADER] == "1"


@override_settings(QUERYSIGHT=LOG)
def test_a_fixed_view_and_detail_views_report_nothing(people, caplog):
    client = Client()
    assert HEADER not in client.get("/posts/fixed/")
    # Two detail requests run the same queries with different ids: one scope per request.
    with querysight.scope(mode="log", report=False) as test_scope:
        for post in people[0].posts.all()[:2]:
            response = client.get(f"/posts/{post.pk}/")
            assert response.status_code == 200 and HEADER not in response
    assert logged(caplog) == []
    assert test_scope.findings == []


@override_settings(QUERYSIGHT=LOG)
@pytest.mark.parametrize("path", ["/errors/404/", "/errors/500/"])
def test_error_responses_are_not_reported(people, caplog, path):
    response = Client().get(path)
    assert response.status_code in (404, 500) and HEADER not in response
    assert logged(caplog) == []


@override_settings(QUERYSIGHT=LOG)
def test_the_scope_is_closed_when_the_view_raises(people, caplog):
    with pytest.raises(RuntimeError, match="the view failed"):
        Client().get("/errors/raises/")
    assert querysight.current() is None
    assert logged(caplog) == []
    assert Client().get("/posts/")[HEADER] == "1"  # the next request is watched as usual


@override_settings(QUERYSIGHT={**LOG, "SAMPLE_RATE": 0})
def test_sample_rate_zero_watches_nothing(people, caplog):
    assert HEADER not in Client().get("/posts/")
    assert logged(caplog) == []


@override_settings(QUERYSIGHT={**LOG, "ENABLED": False})
def test_disabled(people, caplog):
    assert HEADER not in Client().get("/posts/")
    assert logged(caplog) == []


@override_settings(QUERYSIGHT={**LOG, "SAMPLE_RATE": 0.5})
def test_sample_rate_watches_that_fraction_of_requests(people):
    client = Client()
    watched = sum(HEADER in client.get("/posts/") for _ in range(200))
    assert 50 <= watched <= 150  # 7 standard deviations around 100


@override_settings(QUERYSIGHT=LOG)
def test_an_internal_error_never_breaks_the_request(people, caplog, monkeypatch):
    break_the_record_path(monkeypatch)
    response = Client().get("/posts/")
    assert response.status_code == 200 and len(response.json()["posts"]) == 6
    assert HEADER not in response
    (message,) = logged(caplog)
    assert "internal error" in message


# -- async ------------------------------------------------------------------------------------


@override_settings(QUERYSIGHT=LOG)
def test_async_stack(people, caplog):
    get = async_get(AsyncClient())
    sync_view = get("/posts/")
    async_view = get("/async/posts/")
    async_fixed = get("/async/posts/fixed/")
    detail = [get(f"/posts/{post.pk}/") for post in people[0].posts.all()[:2]]
    assert sync_view[HEADER] == "1"
    assert async_view[HEADER] == "1"
    assert HEADER not in async_fixed
    assert all(r.status_code == 200 and HEADER not in r for r in detail)
    messages = logged(caplog)
    assert len(messages) == 2
    assert "rtapp/views.py:8" in messages[0]
    assert re.search(r"at integration_urls\.py:\d+ ", messages[1])
    assert querysight.current() is None


@override_settings(QUERYSIGHT=LOG)
def test_async_error_responses_and_exceptions(people, caplog):
    get = async_get(AsyncClient())
    assert HEADER not in get("/errors/404/")
    with pytest.raises(RuntimeError, match="the view failed"):
        get("/errors/raises/")
    assert logged(caplog) == []
    assert querysight.current() is None


def test_async_raise_mode(people):
    with pytest.raises(NPlusOneError, match=r"rtapp\.Post\.author"):
        async_get(AsyncClient())("/async/posts/")


# -- concurrent requests ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@override_settings(QUERYSIGHT=LOG)
def test_concurrent_requests_do_not_leak_into_each_other(people, caplog):
    """Scenario 40: requests served at the same time by different threads."""
    results = {"/posts/": [], "/posts/fixed/": []}
    start = threading.Barrier(2, timeout=30)

    def hammer(path):
        try:
            client = Client()
            start.wait()
            for _ in range(20):
                results[path].append(client.get(path).get(HEADER))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hammer, args=(path,)) for path in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results["/posts/"] == ["1"] * 20
    assert results["/posts/fixed/"] == [None] * 20
    assert len(logged(caplog)) == 20
    assert all("rtapp/views.py:8" in m for m in logged(caplog))
    assert logging.getLogger("querysight").level in (logging.NOTSET, logging.WARNING)


@override_settings(QUERYSIGHT={"MODE": "log"})
def test_queries_with_no_application_frame_in_the_request_are_not_reported(people, caplog, here):
    """A library's view (Django admin's, say) repeating its own query is no line of the
    project: the request's code ends at the middleware, so the test line that called the
    client is not taken for the call site, and nothing is reported. The same view in the
    project is reported at its own line."""
    response = Client().get("/counts/library/")
    assert response.json() == {"counts": [6, 6]}
    assert logged(caplog) == []
    Client().get("/counts/")
    (message,) = logged(caplog)
    assert "duplicate query: ran 2 times with the same parameters at integration_urls.py:" in message
    assert "test_integrations_middleware" not in message


@override_settings(QUERYSIGHT={"MODE": "log"})
def test_an_n_plus_one_over_a_library_queryset_names_no_queryset_line(people, caplog):
    """The loop is the project's (reported at its line); the queryset was built by a library
    view, so the fix names no line of it (not the test line that called the client)."""
    Client().get("/posts/library/")
    (message,) = logged(caplog)
    assert "`rtapp.Post.author` loaded 6 times at integration_urls.py:" in message
    assert '.select_related("author")' in message
    assert "on the queryset at" not in message
