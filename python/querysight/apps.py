"""``INSTALLED_APPS += ["querysight"]``: installs query capture, the system checks
(``querysight.E001``...) and the settings reset on ``setting_changed``."""

from __future__ import annotations

from django.apps import AppConfig


class QuerysightConfig(AppConfig):
    name = "querysight"
    verbose_name = "querysight"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import capture, checks  # noqa: F401  (importing checks registers them)
        from .conf import connect_signal

        connect_signal()
        capture.install()
