"""The django-debug-toolbar panel (``querysight.toolbar.QuerysightPanel``), rendered through
the toolbar in test requests. The cases live in ``toolbar_panel_cases.py`` and run in a pytest
process of their own, with the toolbar installed from start-up (``toolbar_settings.py``)."""

import os
from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parent


def test_the_panel_through_the_toolbar(pytester, monkeypatch):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(RUNTIME_DIR), os.environ.get("PYTHONPATH")])))
    result = pytester.runpytest_subprocess(
        str(RUNTIME_DIR / "toolbar_panel_cases.py"), "--ds=toolbar_settings", "-o", "django_debug_mode=true", "-p", "no:cacheprovider", "-rA"
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*settings: toolbar_settings*"])
