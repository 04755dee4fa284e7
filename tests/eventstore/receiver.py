"""A local HTTP webhook receiver that verifies Standard Webhooks signatures.

Verification uses the reference ``standardwebhooks`` package, independent of the sender's code.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Receiver:
    url: str
    secret: str
    #: Respond with these status codes first (then 204).
    fail_with: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


@contextmanager
def webhook_receiver(secret: str) -> Iterator[Receiver]:
    """Serve on 127.0.0.1 (a free port) until the block ends."""
    state = Receiver(url="", secret=secret)
    verifier = Webhook(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                verifier.verify(body, headers)
            except WebhookVerificationError as exc:
                state.rejected.append(str(exc))
                self.send_response(401)
                self.end_headers()
                return
            state.received.append({"headers": headers, "payload": json.loads(body)})
            status = state.fail_with.pop(0) if state.fail_with else 204
            self.send_response(status)
            self.end_headers()
            if status >= 300:
                self.wfile.write(b"not now")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
