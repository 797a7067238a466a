"""Settings: one dict, ``QUERYSIGHT = {...}`` in Django settings, merged over the defaults.

Follows django-debug-toolbar's habit: a cached getter, reset when Django's ``setting_changed``
signal reports a change (``override_settings`` in tests). The receiver is connected by the app's
``ready()`` and, for projects that use querysight without the app, on the first read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

MODES = ("raise", "warn", "log")
DETECTIONS = ("n_plus_one", "duplicates", "unused_eager", "writes")

DEFAULTS: dict[str, Any] = {
    # What happens when a scope ends with findings: raise NPlusOneError, warnings.warn, or log.
    "MODE": "warn",
    # Same query shape from the same call site with different parameters this many times.
    "THRESHOLD": 2,
    # The same query with the same parameters this many times.
    "DUPLICATE_THRESHOLD": 2,
    # Ignore groups whose total time is below this (milliseconds); production uses ~50.
    "MIN_DURATION_MS": 0,
    # Which detections are on. "writes" (off by default: tests create rows in loops on
    # purpose) also groups INSERT/UPDATE/DELETE, so a save()/create()/delete() per row is an
    # N+1 whose fix is bulk_create/bulk_update/update()/delete() on a queryset.
    "DETECT": {"n_plus_one": True, "duplicates": True, "unused_eager": False, "writes": False},
    # `app_label.Model.field` / `Model.field` / `app_label.*` entries never reported.
    "ALLOW_RELATIONS": [],
    # Call-site globs (`*/legacy/*.py`, `myapp/views.py:42`) never reported; they also match
    # the library function whose own loop ran an N+1 (`taggit.managers.*`).
    "ALLOW_CALL_SITES": [],
    # The middleware opens a scope per request; tests use the pytest plugin or the mixin.
    "ENABLED": True,
    # Fraction of requests the middleware watches (production sampling), 0.0 to 1.0.
    "SAMPLE_RATE": 1.0,
    # Upper bound on (query shape, call site) groups per scope.
    "MAX_GROUPS": 10_000,
    # Logger used in "log" mode and for internal errors.
    "LOGGER": "querysight",
    # A path: every query of every scope is appended there as a JSON line, the capture format
    # `querysight logs` reads. None: off.
    "CAPTURE_FILE": None,
}


@dataclass(frozen=True)
class Settings:
    """The frozen, merged settings the code reads."""

    mode: str = "warn"
    threshold: int = 2
    duplicate_threshold: int = 2
    min_duration_ms: float = 0
    detect: dict[str, bool] = field(default_factory=dict)
    allow_relations: tuple[str, ...] = ()
    allow_call_sites: tuple[str, ...] = ()
    enabled: bool = True
    sample_rate: float = 1.0
    max_groups: int = 10_000
    logger: str = "querysight"
    capture_file: str | None = None

    def detects(self, name: str) -> bool:
        return bool(self.detect.get(name, False))


def _user_settings() -> dict[str, Any] | None:
    """The ``QUERYSIGHT`` dict, or None while there are no Django settings to read."""
    try:
        from django.conf import settings as django_settings
    except ImportError:
        return None
    if not django_settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return None
    try:
        value = getattr(django_settings, "QUERYSIGHT", {})
    except Exception:  # DJANGO_SETTINGS_MODULE names a module that cannot be imported
        return None
    return value if isinstance(value, dict) else {}


def _patterns(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(str(x) for x in value)
    return ()


def connect_signal() -> None:
    """Connects :func:`reset_settings` to ``setting_changed`` (idempotent)."""
    try:
        from django.test.signals import setting_changed
    except ImportError:  # Django not installed
        return
    setting_changed.connect(reset_settings, dispatch_uid="querysight_reset_settings")


_cached: Settings | None = None


def get_settings() -> Settings:
    """The merged settings, cached once Django's settings can be read. Invalid values are
    reported by the system checks (``querysight.E001``...); here they fall back to the defaults
    so the app never crashes."""
    global _cached
    cached = _cached
    if cached is not None:
        return cached
    user = _user_settings()
    settings = _merge(user or {})
    if user is not None:
        connect_signal()
        _cached = settings
    return settings


def _merge(user: dict[str, Any]) -> Settings:
    merged = {**DEFAULTS, **{k: v for k, v in user.items() if k in DEFAULTS}}
    detect = {**DEFAULTS["DETECT"], **(merged["DETECT"] if isinstance(merged["DETECT"], dict) else {})}
    mode = merged["MODE"] if merged["MODE"] in MODES else DEFAULTS["MODE"]

    def positive_int(key: str) -> int:
        value = merged[key]
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else DEFAULTS[key]

    rate = merged["SAMPLE_RATE"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        rate = DEFAULTS["SAMPLE_RATE"]
    min_ms = merged["MIN_DURATION_MS"]
    if isinstance(min_ms, bool) or not isinstance(min_ms, (int, float)) or min_ms < 0:
        min_ms = 0
    return Settings(
        mode=mode,
        threshold=positive_int("THRESHOLD"),
        duplicate_threshold=positive_int("DUPLICATE_THRESHOLD"),
        min_duration_ms=min_ms,
        detect=detect,
        allow_relations=_patterns(merged["ALLOW_RELATIONS"]),
        allow_call_sites=_patterns(merged["ALLOW_CALL_SITES"]),
        enabled=bool(merged["ENABLED"]),
        sample_rate=float(rate),
        max_groups=positive_int("MAX_GROUPS"),
        logger=str(merged["LOGGER"]),
        capture_file=os.fspath(merged["CAPTURE_FILE"]) if isinstance(merged["CAPTURE_FILE"], (str, os.PathLike)) else None,
    )


def reset_settings(*, setting: str = "", **kwargs: Any) -> None:
    """Receiver for ``django.test.signals.setting_changed``."""
    global _cached
    if setting in ("", "QUERYSIGHT"):
        _cached = None
