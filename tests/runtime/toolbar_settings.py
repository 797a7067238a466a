"""Settings for the django-debug-toolbar test, run in its own pytest process
(``test_integrations_toolbar.py``): the toolbar is installed at start-up, as in a project."""

import copy

from rtsettings import *  # noqa: F403
from rtsettings import DATABASES, INSTALLED_APPS

DEBUG = True
INTERNAL_IPS = ["127.0.0.1"]
INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.staticfiles", "debug_toolbar"]
STATIC_URL = "/static/"
MIDDLEWARE = [
    "querysight.middleware.QuerysightMiddleware",
    "debug_toolbar.middleware.DebugToolbarMiddleware",
]
ROOT_URLCONF = "toolbar_urls"
DEBUG_TOOLBAR_PANELS = ["querysight.toolbar.QuerysightPanel"]
DEBUG_TOOLBAR_CONFIG = {"IS_RUNNING_TESTS": False}
QUERYSIGHT = {"MODE": "log", "DETECT": {"duplicates": False}}

DATABASES = copy.deepcopy(DATABASES)
# PostgreSQL: not the test database of the outer test run, which is in use.
DATABASES["default"]["TEST"] = {"NAME": "test_querysight_toolbar"}
