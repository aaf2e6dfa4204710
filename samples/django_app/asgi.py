"""The Django sample's Lambda handler through Django's ASGI entry point: ``asgi.handler``."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

from lambda_adapter import adapt  # noqa: E402

application = get_asgi_application()
handler = adapt(application)
