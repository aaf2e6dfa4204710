"""The Django sample's Lambda handler through Django's ASGI entry point: ``asgi.handler``."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

from django.core.asgi import get_asgi_application

from lambda_adapter import adapt

application = get_asgi_application()
handler = adapt(application)
