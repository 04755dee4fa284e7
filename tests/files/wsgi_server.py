"""``python -m tests.files.wsgi_server PORT``: the test project under werkzeug's threaded server."""

from __future__ import annotations

import sys

import django
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.wsgi import get_wsgi_application
from werkzeug.serving import run_simple

if __name__ == "__main__":
    django.setup()
    run_simple(
        "127.0.0.1", int(sys.argv[1]), StaticFilesHandler(get_wsgi_application()), threaded=True
    )
