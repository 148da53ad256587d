"""A tiny HTTP server on 127.0.0.1 for stand-ins of external services (tests only)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

# (path, query) -> (status, body, media type)
Answer = Callable[[str, dict[str, str]], tuple[int, bytes, str]]
# (path, content type, body) -> (status, body, media type)
PostAnswer = Callable[[str, str, bytes], tuple[int, bytes, str]]


class StubServer:
    """``with StubServer(answer) as server: server.url``; ``server.paths`` records requests."""

    def __init__(self, answer: Answer, post: PostAnswer | None = None) -> None:
        self.answer = answer
        self.post = post
        self.paths: list[str] = []

    def __enter__(self) -> StubServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                outer.paths.append(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                status, body, media_type = outer.answer(url.path, query)
                self._send(status, body, media_type)

            def do_POST(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                outer.paths.append(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if outer.post is None:
                    self._send(405, b"", "text/plain")
                    return
                self._send(*outer.post(url.path, self.headers.get("Content-Type", ""), body))

            def _send(self, status: int, body: bytes, media_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
