"""A real local HTTP receiver of webhooks (http.server on a thread), answering with the statuses it is told."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs


@attrs.define
class Received:
    """One request the receiver got: its headers (lower-case names) and body."""

    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        """The body as JSON."""
        found: dict[str, Any] = json.loads(self.body)
        return found

    def signed_with(self, secret: str) -> bool:
        """Whether the signature header is the HMAC-SHA256 of ``timestamp.body`` with ``secret``."""
        signed = self.headers["tenderguard-timestamp"].encode() + b"." + self.body
        expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers["tenderguard-signature"])


@attrs.define
class Receiver:
    """What a running receiver got, and the statuses it answers next (204 once they run out)."""

    url: str
    received: list[Received] = attrs.field(factory=list)
    statuses: list[int] = attrs.field(factory=list)
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def answer(self, received: Received) -> int:
        """Record a request; the status to answer it with."""
        with self.lock:
            self.received.append(received)
            return self.statuses.pop(0) if self.statuses else 204

    def delivery_ids(self) -> list[str]:
        """The ``TenderGuard-Delivery`` header of each request, in order."""
        return [r.headers["tenderguard-delivery"] for r in self.received]


@contextmanager
def receiver(path: str = "/hooks/tenderguard") -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (a free port) for the block's duration."""
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = box[0].answer(Received({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(url=f"http://127.0.0.1:{server.server_address[1]}{path}"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
