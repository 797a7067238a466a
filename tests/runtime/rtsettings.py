"""Settings for the runtime tests: SQLite by default, PostgreSQL with QUERYSIGHT_TEST_DB=postgres
(the test command starts a throw-away server and sets PGHOST/PGPORT)."""

import os

SECRET_KEY = "querysight-runtime-tests"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "rtapp.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "querysight",
    "rtapp",
]
MIDDLEWARE = ["querysight.middleware.QuerysightMiddleware"]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

if os.environ.get("QUERYSIGHT_TEST_DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "querysight",
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ["PGHOST"],
            "PORT": os.environ.get("PGPORT", "54329"),
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

# A second alias, SQLite with either default: capture must observe every alias (scenario 45).
# Tests that use it ask for it (`@pytest.mark.django_db(databases=["default", "other"])`).
DATABASES["other"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}

QUERYSIGHT = {"MODE": "raise"}
