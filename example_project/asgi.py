"""ASGI entry point: ``daphne example_project.asgi:application`` (or uvicorn).

HTTP goes to Django; WebSocket routes are added here by the realtime app.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
django_asgi_app = get_asgi_application()

try:
    from channels.routing import ProtocolTypeRouter, URLRouter  # Django must be set up first
except ImportError:  # realtime extra not installed: plain Django ASGI
    application = django_asgi_app
else:
    from forge_suite.observability.asgi import RequestIdASGIMiddleware
    from forge_suite.realtime.routing import websocket_urlpatterns

    application = ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # Each WebSocket connection gets a request id, on its log lines and its handshake.
            "websocket": RequestIdASGIMiddleware(URLRouter(websocket_urlpatterns)),
        }
    )
