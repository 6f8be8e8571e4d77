"""The ASGI application: `/ws/` under uvicorn in production (Procfile `web-ws`), everything under
daphne in `make run`. Production's HTTP goes to gunicorn and config/wsgi.py (docs/deployment.md).
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# Django must be set up before anything imports models (the consumers do).
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from core.observability import WebSocketMetricsMiddleware  # noqa: E402
from workouts.middleware import websocket_stack  # noqa: E402
from workouts.routing import websocket_urlpatterns  # noqa: E402

application = WebSocketMetricsMiddleware(
    ProtocolTypeRouter(
        {
            # Django's stock handler: daphne's HTTP in `make run`, and the web-ws process's /health.
            "http": get_asgi_application(),
            # Origin check, then JWT authentication (workouts/middleware.py); consumers refuse anonymous users.
            "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
        }
    )
)
