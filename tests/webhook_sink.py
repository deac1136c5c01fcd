"""A real HTTP endpoint on 127.0.0.1 that records every JSON POST (an alert webhook's stand-in
for the tests: the requests really cross a socket)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookSink:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook?token=secret-token"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def causes(self, at_least: int = 0, within_s: float = 30.0) -> list[str]:
        """The causes received, once `at_least` have arrived (or `within_s` passed)."""
        deadline = time.monotonic() + within_s
        while len(self.received) < at_least and time.monotonic() < deadline:
            time.sleep(0.05)
        return [r["cause"] for r in self.received]
