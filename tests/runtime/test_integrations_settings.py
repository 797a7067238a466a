"""Settings (one ``QUERYSIGHT`` dict, cached, reset by ``override_settings``) and the system
checks, one test per id with an error case and a clean case (scenario 43)."""

import io
import os
import subprocess
import sys

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

import querysight
from querysight.conf import DEFAULTS, get_settings
from rtapp.models import Post


def querysight_messages(**settings):
    """The querysight messages of a full system-check run with these settings."""
    with override_settings(**settings):
        return [m for m in checks.run_checks() if m.id and m.id.startswith("querysight.")]


def ids(messages):
    return sorted(m.id for m in messages)


# -- settings ---------------------------------------------------------------------------------


def test_defaults_are_merged_under_the_user_dict():
    settings = get_settings()
    assert settings.mode == "raise"  # rtsettings
    assert settings.threshold == DEFAULTS["THRESHOLD"]
    assert settings.detects("n_plus_one") and not settings.detects("unused_eager")


def test_the_getter_is_cached_and_reset_by_override_settings():
    assert get_settings() is get_settings()
    before = get_settings()
    with override_settings(QUERYSIGHT={"THRESHOLD": 5, "DETECT": {"duplicates": False}}):
        inside = get_settings()
        assert inside.threshold == 5
        assert inside.mode == "warn"  # the default again: the dict replaces rtsettings' dict
        assert inside.detects("n_plus_one") and not inside.detects("duplicates")
    after = get_settings()
    assert after is not inside and after == before


def test_other_setting_changes_keep_the_cache():
    before = get_settings()
    with override_settings(USE_TZ=False):
        assert get_settings() is before


def test_invalid_values_fall_back_to_defaults():
    with override_settings(QUERYSIGHT={"MODE": "loud", "THRESHOLD": 0, "SAMPLE_RATE": 2, "MAX_GROUPS": True}):
        settings = get_settings()
    assert (settings.mode, settings.threshold, settings.sample_rate, settings.max_groups) == (
        "warn", 2, 1.0, 10_000,
    )
    with override_settings(QUERYSIGHT=["not", "a", "dict"]):
        assert get_settings().mode == "warn"


def test_scopes_read_the_current_settings(people):
    with override_settings(QUERYSIGHT={"THRESHOLD": 10}):
        with querysight.scope(report=False) as s:
            [p.author.name for p in Post.objects.all()]
    assert s.mode == "warn" and n_plus_ones(s) == []  # 6 loads, threshold 10
    with querysight.scope(report=False) as s:
        [p.author.name for p in Post.objects.all()]
    assert n_plus_ones(s) == ["rtapp.Post.author"]
    with override_settings(QUERYSIGHT={"ALLOW_RELATIONS": ["rtapp.Post.author"]}):
        with querysight.scope(report=False) as s:
            [p.author.name for p in Post.objects.all()]
    assert n_plus_ones(s) == []


def n_plus_ones(s):
    return [f.relation for f in s.findings if f.kind == "n_plus_one"]


# -- checks: one test per id ------------------------------------------------------------------


def test_clean_settings_have_no_messages():
    assert querysight_messages() == []
    assert querysight_messages(QUERYSIGHT={}) == []
    call_command("check", stdout=io.StringIO())


def test_e001_not_a_dict():
    assert ids(querysight_messages(QUERYSIGHT=[("MODE", "raise")])) == ["querysight.E001"]
    assert querysight_messages(QUERYSIGHT={"MODE": "raise"}) == []


def test_e002_mode():
    (message,) = querysight_messages(QUERYSIGHT={"MODE": "loud"})
    assert message.id == "querysight.E002" and "'loud'" in message.msg
    for mode in ("raise", "warn", "log"):
        assert querysight_messages(QUERYSIGHT={"MODE": mode}) == []


@pytest.mark.parametrize("key", ["THRESHOLD", "DUPLICATE_THRESHOLD", "MAX_GROUPS"])
def test_e003_positive_integers(key):
    for bad in (0, -1, 2.5, "3", True):
        assert ids(querysight_messages(QUERYSIGHT={key: bad})) == ["querysight.E003"], bad
    assert querysight_messages(QUERYSIGHT={key: 3}) == []


def test_e004_sample_rate_and_min_duration():
    for bad in (-0.1, 1.5, "0.5", None, True):
        assert ids(querysight_messages(QUERYSIGHT={"SAMPLE_RATE": bad})) == ["querysight.E004"], bad
    assert ids(querysight_messages(QUERYSIGHT={"MIN_DURATION_MS": -1})) == ["querysight.E004"]
    for good in (0, 0.25, 1, 1.0):
        assert querysight_messages(QUERYSIGHT={"SAMPLE_RATE": good, "MIN_DURATION_MS": 50}) == []


def test_e005_unknown_allowlisted_relation():
    for bad in [
        "rtapp.Post.writer",  # no such field
        "rtapp.Author.posts",  # no such model
        "nosuchapp.Post.author",  # no such app
        "Post.writer",
        "rtapp.Post",  # a model is not a relation
        "nosuchapp.*",  # a glob that matches nothing
        "rtapp.Post.*er",
        42,
    ]:
        (message,) = querysight_messages(QUERYSIGHT={"ALLOW_RELATIONS": [bad]})
        assert message.id == "querysight.E005" and repr(bad) in message.msg, bad
    assert ids(querysight_messages(QUERYSIGHT={"ALLOW_RELATIONS": "rtapp.Post.author"})) == ["querysight.E005"]
    good = [
        "rtapp.Post.author",
        "Post.author",
        "rtapp.Person.posts",  # reverse foreign key, by accessor
        "rtapp.Person.profile",  # reverse one-to-one
        "rtapp.Person.followers",  # reverse many-to-many with related_name
        "rtapp.Hobby.person_set",  # reverse many-to-many without related_name
        "rtapp.TaggedItem.content_object",  # generic foreign key
        "rtapp.Post.author_id",  # a deferred field, by attname
        "rtapp.*",
        "rtapp.Post.*",
        "*.author",
        "rtapp.Person.[fh]*",
    ]
    assert querysight_messages(QUERYSIGHT={"ALLOW_RELATIONS": good}) == []


def test_e005_fails_start_up():
    """Scenario 43: an unknown allowlisted relation stops `manage.py check` / `runserver`."""
    with override_settings(QUERYSIGHT={"ALLOW_RELATIONS": ["rtapp.Post.writer"]}):
        with pytest.raises(SystemCheckError, match=r"querysight\.E005"):
            call_command("check")
    with override_settings(QUERYSIGHT={"ALLOW_RELATIONS": ["rtapp.Post.*", "rtapp.Person.posts"]}):
        call_command("check", stdout=io.StringIO())


def test_e006_detect():
    for bad in ({"n_plus_one": "yes"}, {"typo": True}, ["n_plus_one"]):
        assert ids(querysight_messages(QUERYSIGHT={"DETECT": bad})) == ["querysight.E006"], bad
    assert querysight_messages(QUERYSIGHT={"DETECT": {"n_plus_one": True, "duplicates": False, "unused_eager": True}}) == []


def test_w001_unknown_key():
    (message,) = querysight_messages(QUERYSIGHT={"TRESHOLD": 3})
    assert message.id == "querysight.W001" and isinstance(message, checks.Warning)
    assert "'TRESHOLD'" in message.msg and "THRESHOLD" in message.hint
    assert querysight_messages(QUERYSIGHT={"THRESHOLD": 3}) == []


def test_w002_middleware_without_the_app():
    from django.conf import settings

    without_app = [app for app in settings.INSTALLED_APPS if app != "querysight"]
    assert ids(querysight_messages(INSTALLED_APPS=without_app)) == ["querysight.W002"]
    # Clean: the app is installed, or the middleware is not.
    assert querysight_messages() == []
    assert querysight_messages(INSTALLED_APPS=without_app, MIDDLEWARE=[]) == []


def test_the_middleware_reports_the_checks_without_the_app(caplog, db):
    """Without the app nothing runs the checks: the middleware logs them once."""
    from django.conf import settings
    from django.test import Client

    from querysight import middleware

    without_app = [app for app in settings.INSTALLED_APPS if app != "querysight"]
    middleware._checked_without_app = False
    try:
        with override_settings(INSTALLED_APPS=without_app, QUERYSIGHT={"MODE": "lod", "MAX_GROUPS": 0}):
            Client().get("/posts/999/")
            Client().get("/posts/999/")
    finally:
        middleware._checked_without_app = False
    logged = [r.getMessage() for r in caplog.records if r.name == "querysight"]
    assert len(logged) == 3, logged
    assert any("querysight.E002" in m for m in logged)
    assert any("querysight.E003" in m for m in logged)
    assert any("querysight.W002" in m for m in logged)


def test_settings_read_before_django_is_configured_are_not_cached():
    """A scope made before Django's settings exist gets the defaults, and the real settings
    are read once they exist."""
    code = (
        "from querysight.conf import get_settings\n"
        "assert get_settings().mode == 'warn'\n"
        "from django.conf import settings\n"
        "settings.configure(QUERYSIGHT={'MODE': 'log', 'THRESHOLD': 4})\n"
        "assert (get_settings().mode, get_settings().threshold) == ('log', 4)\n"
        "assert get_settings() is get_settings()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_public_names():
    import importlib

    # Importing the submodule `querysight.scope` leaves `querysight.scope` the context manager.
    module = importlib.import_module("querysight.scope")
    assert querysight.scope is module.scope and querysight.scope is not module
    with querysight.scope(mode="log") as s:
        assert querysight.current() is s
    assert set(querysight.__all__) <= set(dir(querysight))
    for name in querysight.__all__:
        assert getattr(querysight, name) is not None
