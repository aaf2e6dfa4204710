"""Settings of the Django sample: sessions live in signed cookies; the admin keeps its users in SQLite.

The database file is DJANGO_SAMPLE_DB (default: lambda-adapter-django-sample.sqlite3 in the temporary
folder, /tmp on Lambda, the only writable one there).
Only the admin touches it: run ``python -m django migrate`` and ``createsuperuser`` first.
"""

import os
import tempfile

_DB_FILE = "lambda-adapter-django-sample.sqlite3"

SECRET_KEY = "sample-only-secret-key-not-for-production-000000000000"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "mysite.urls"
INSTALLED_APPS: list[str] = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
]
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_SAMPLE_DB") or os.path.join(tempfile.gettempdir(), _DB_FILE),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TEMPLATES: list[dict[str, object]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "static/"
# API Gateway and ALB terminate TLS; X-Forwarded-Proto says what the client used
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
LOGGING = {"version": 1, "disable_existing_loggers": False}
