"""The WSGI application: production's HTTP under gunicorn (Procfile `web-http`, config/gunicorn.py).

The same Django project, settings and middleware as config/asgi.py serves over ASGI.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()
