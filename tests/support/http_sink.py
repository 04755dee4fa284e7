"""A real HTTP server on loopback that records requests and answers with a chosen reply.

Stands in for an ESP's API or a webhook receiver (Slack, Discord, Standard Webhooks).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


#: A responder gets the request and returns (status, JSON-able body).
Responder = Callable[[Request], tuple[int, Any]]


class HttpSink:
    """``with HttpSink(responder) as sink: sink.url``; ``sink.requests`` lists what came in."""

    def __init__(self, responder: Responder | None = None) -> None:
        self.requests: list[Request] = []
        self.responder: Responder = responder or (lambda request: (200, {"ok": True}))
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    "POST",
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                sink.requests.append(request)
                status, body = sink.responder(request)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HttpSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
