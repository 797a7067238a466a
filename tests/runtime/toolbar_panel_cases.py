"""The django-debug-toolbar panel, rendered through the toolbar: a page request, then the
toolbar's own ``render_panel`` request, as the toolbar's JavaScript does.

Run by ``test_integrations_toolbar.py`` in a pytest process of its own with
``--ds=toolbar_settings`` (installing the toolbar changes process-wide state: its system checks,
its SQL instrumentation)."""

import html
import re

from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

PANEL = "QuerysightPanel"


def request_id(response):
    page = response.content.decode()
    assert f'id="djdt-{PANEL}"' in page, page
    return re.search(r'data-request-id="([0-9a-f]+)"', page).group(1)


def panel_content(client, response):
    rendered = client.get("/__debug__/render_panel/", {"request_id": request_id(response), "panel_id": PANEL})
    assert rendered.status_code == 200
    return html.unescape(rendered.json()["content"])


def test_the_panel_lists_the_requests_n_plus_one_with_its_fix(people):
    client = Client()
    response = client.get("/page/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "N+1 queries" in page and "1 problem" in page  # the panel's entry in the side bar
    content = panel_content(client, response)
    assert "1 problem in 7 queries" in content
    assert "rtapp.Post.author" in content
    assert '.select_related("author")' in content
    assert re.search(r"integration_urls\.py:\d+", content)
    assert "from rtapp_person" in content  # the query's canonical SQL


def test_a_clean_request_shows_no_problem(people):
    client = Client()
    response = client.get("/page/fixed/")
    assert "0 problems" in response.content.decode()
    content = panel_content(client, response)
    assert "0 problems in 1 query" in content
    assert "No N+1 or duplicate queries in this request." in content


def test_the_panel_under_asgi(people):
    client = AsyncClient()

    async def get(path, data=None):
        return await client.get(path, data)

    response = async_to_sync(get)("/page/")
    rendered = async_to_sync(get)("/__debug__/render_panel/", {"request_id": request_id(response), "panel_id": PANEL})
    content = html.unescape(rendered.json()["content"])
    assert "rtapp.Post.author" in content and '.select_related("author")' in content
