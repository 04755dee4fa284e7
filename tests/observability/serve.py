"""Serve the project on loopback with wsgiref (used by tests in a subprocess).

Usage: ``python -m tests.observability.serve`` with ``DJANGO_SETTINGS_MODULE`` set; prints
``listening <port>`` once it accepts requests.
"""

from __future__ import annotations

from wsgiref.simple_server import WSGIRequestHandler, make_server

import django


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    django.setup()
    from django.core.wsgi import get_wsgi_application

    httpd = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler)
    print(f"listening {httpd.server_port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
