"""The Django sample's Lambda handler (WSGI): ``app.handler``."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

from django.core.wsgi import get_wsgi_application

from lambda_adapter import adapt

application = get_wsgi_application()
handler = adapt(application)
