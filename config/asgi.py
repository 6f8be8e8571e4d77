import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# Django must be set up before anything imports models (the consumers do).
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from core.asgi import SyncRequestASGIHandler, server_stack  # noqa: E402
from workouts.middleware import websocket_stack  # noqa: E402
from workouts.routing import websocket_urlpatterns  # noqa: E402

# Graceful shutdown (in-flight requests finish, sockets close with 1001) and WebSocket metrics: core/asgi.py.
application = server_stack(
    ProtocolTypeRouter(
        {
            "http": SyncRequestASGIHandler(),
            # Origin check, then JWT authentication (workouts/middleware.py); consumers refuse anonymous users.
            "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
        }
    )
)
