"""A local webhook receiver (http.server in a thread) that refuses the first attempts of each
delivery, or every attempt while it is down, and remembers what it accepted."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    """What the receiver saw. ``fail_first``: attempts of each key refused with a 503."""

    secret: str
    fail_first: int = 0
    down: bool = False
    attempts: Counter[str] = field(default_factory=Counter)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    url: str = ""

    def keys(self) -> list[str]:
        return [a["key"] for a in self.accepted]

    def answer(self, headers: Any, body: bytes) -> int:
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("X-Gridwhistle-Signature", "")):
            self.bad_signatures += 1
            return 401
        key = headers["X-Gridwhistle-Delivery"]
        self.attempts[key] += 1
        if self.down or self.attempts[key] <= self.fail_first:
            return 503
        payload = json.loads(body)
        self.accepted.append(
            {
                "key": key,
                "idempotency_key": headers["Idempotency-Key"],
                "kind_header": headers["X-Gridwhistle-Event"],
                **payload["event"],
            }
        )
        return 204


@contextmanager
def receiving(secret: str, **options: Any) -> Iterator[Receiver]:
    """A receiver listening on a free loopback port until the block ends."""
    receiver = Receiver(secret=secret, **options)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(receiver.answer(self.headers, body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
