"""System checks for ``QUERYSIGHT`` settings, with stable ids:

* ``querysight.E001``: ``QUERYSIGHT`` is not a dict.
* ``querysight.E002``: ``MODE`` is not one of ``raise``, ``warn``, ``log``.
* ``querysight.E003``: ``THRESHOLD``, ``DUPLICATE_THRESHOLD`` or ``MAX_GROUPS`` is not an integer >= 1.
* ``querysight.E004``: ``SAMPLE_RATE`` is not a number between 0 and 1, or ``MIN_DURATION_MS``
  is not a number >= 0.
* ``querysight.E005``: ``ALLOW_RELATIONS`` is not a list of strings, or an entry names a model or
  field that does not exist (globs are allowed; a glob must match at least one field).
* ``querysight.E006``: ``DETECT`` has an unknown key or a non-boolean value.
* ``querysight.E007``: ``CAPTURE_FILE`` is not a path (a string or ``os.PathLike``), or its
  directory does not exist.
* ``querysight.W001``: an unknown key in ``QUERYSIGHT``.
* ``querysight.W002``: the middleware is installed but ``querysight`` is not in ``INSTALLED_APPS``.

The checks are registered when the app is ready and when the middleware module is imported
(without the app, the middleware also logs these messages once when it is built: nothing else
would validate the settings).
"""

from __future__ import annotations

import fnmatch
import os
from typing import Any

from django.core import checks

from .conf import DEFAULTS, DETECTIONS, MODES


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _field_names(field: Any) -> list[str]:
    """The names a relation label can use for ``field``: its accessor (reverse relations), its
    name, and its ``attname`` (deferred fields)."""
    if field.auto_created and not field.concrete:
        name = field.get_accessor_name()
        return [name] if name else []
    return [n for n in (getattr(field, "name", None), getattr(field, "attname", None)) if n]


def _relation_exists(entry: str) -> bool:
    from django.apps import apps

    if any(ch in entry for ch in "*?["):
        # A glob must match at least one app_label.Model.field (or Model.field).
        for model in apps.get_models():
            meta = model._meta
            for field in meta.get_fields(include_hidden=True):
                for name in _field_names(field):
                    if fnmatch.fnmatchcase(f"{meta.app_label}.{meta.object_name}.{name}", entry) or (
                        fnmatch.fnmatchcase(f"{meta.object_name}.{name}", entry)
                    ):
                        return True
        return False
    parts = entry.split(".")
    if len(parts) == 3:
        app_label, model_name, field_name = parts
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            return False
        candidates = [model]
    elif len(parts) == 2:
        model_name, field_name = parts
        candidates = [m for m in apps.get_models() if m._meta.object_name == model_name]
    else:
        return False
    return any(field_name in _field_names(field) for model in candidates for field in model._meta.get_fields())


@checks.register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.apps import apps
    from django.conf import settings

    errors: list[checks.CheckMessage] = []
    user = getattr(settings, "QUERYSIGHT", {})
    if not isinstance(user, dict):
        return [checks.Error("QUERYSIGHT must be a dict.", id="querysight.E001")]
    for key in user:
        if key not in DEFAULTS:
            errors.append(checks.Warning(f"Unknown QUERYSIGHT key {key!r}.", hint=f"Known keys: {', '.join(DEFAULTS)}.", id="querysight.W001"))
    if "MODE" in user and user["MODE"] not in MODES:
        errors.append(checks.Error(f"QUERYSIGHT['MODE'] is {user['MODE']!r}; use one of {', '.join(MODES)}.", id="querysight.E002"))
    for key in ("THRESHOLD", "DUPLICATE_THRESHOLD", "MAX_GROUPS"):
        if key in user and not _positive_int(user[key]):
            errors.append(checks.Error(f"QUERYSIGHT[{key!r}] must be an integer >= 1, not {user[key]!r}.", id="querysight.E003"))
    if "SAMPLE_RATE" in user:
        rate = user["SAMPLE_RATE"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            errors.append(checks.Error(f"QUERYSIGHT['SAMPLE_RATE'] must be a number from 0 to 1, not {rate!r}.", id="querysight.E004"))
    if "MIN_DURATION_MS" in user:
        ms = user["MIN_DURATION_MS"]
        if isinstance(ms, bool) or not isinstance(ms, (int, float)) or ms < 0:
            errors.append(checks.Error(f"QUERYSIGHT['MIN_DURATION_MS'] must be a number >= 0, not {ms!r}.", id="querysight.E004"))
    allow = user.get("ALLOW_RELATIONS", ())
    if not isinstance(allow, (list, tuple)):
        errors.append(checks.Error(
            f"QUERYSIGHT['ALLOW_RELATIONS'] must be a list of strings, not {allow!r}.", id="querysight.E005"
        ))
        allow = ()
    for entry in allow:
        if not isinstance(entry, str) or not _relation_exists(entry):
            errors.append(checks.Error(
                f"QUERYSIGHT['ALLOW_RELATIONS'] entry {entry!r} names no model field.",
                hint="Use 'app_label.Model.field', 'Model.field', or a glob matching one.",
                id="querysight.E005",
            ))
    detect = user.get("DETECT", {})
    if not isinstance(detect, dict) or any(k not in DETECTIONS or not isinstance(v, bool) for k, v in detect.items()):
        errors.append(checks.Error(
            f"QUERYSIGHT['DETECT'] must map {', '.join(DETECTIONS)} to True/False, not {detect!r}.",
            id="querysight.E006",
        ))
    capture = user.get("CAPTURE_FILE")
    if capture is not None:
        if not isinstance(capture, (str, os.PathLike)):
            errors.append(checks.Error(
                f"QUERYSIGHT['CAPTURE_FILE'] must be a path, not {capture!r}.", id="querysight.E007"
            ))
        elif not os.path.isdir(os.path.dirname(os.path.abspath(os.fspath(capture)))):
            errors.append(checks.Error(
                f"QUERYSIGHT['CAPTURE_FILE'] is {os.fspath(capture)!r}, whose directory does not exist.",
                id="querysight.E007",
            ))
    middleware = getattr(settings, "MIDDLEWARE", None) or []
    if any(str(m).startswith("querysight.") for m in middleware) and not apps.is_installed("querysight"):
        errors.append(checks.Warning(
            "The querysight middleware is installed but 'querysight' is not in INSTALLED_APPS.",
            hint="Add 'querysight' to INSTALLED_APPS: it validates QUERYSIGHT at start-up and "
            "watches connections from the first query.",
            id="querysight.W002",
        ))
    return errors
