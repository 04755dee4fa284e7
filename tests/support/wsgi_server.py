"""``python -m tests.support.wsgi_server PORT``: the Django project of ``DJANGO_SETTINGS_MODULE``
under werkzeug's threaded server (see ``server_command(..., server="wsgi")``)."""

from __future__ import annotations

import sys

import django
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.wsgi import get_wsgi_application
from werkzeug.serving import WSGIRequestHandler, run_simple


class NoDelayHandler(WSGIRequestHandler):
    # Werkzeug writes the status line, headers and body in separate sends; with Nagle's
    # algorithm on, each small response then waits for the client's delayed ACK (~40 ms),
    # which would dominate a protocol made of many requests such as tus.
    disable_nagle_algorithm = True


if __name__ == "__main__":
    django.setup()
    run_simple(
        "127.0.0.1",
        int(sys.argv[1]),
        StaticFilesHandler(get_wsgi_application()),
        threaded=True,
        request_handler=NoDelayHandler,
    )
