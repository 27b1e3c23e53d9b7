"""``mutuo serve``: the embedded engine over HTTP, for curl and any OpenSearch client.

A stdlib ``ThreadingHTTPServer`` bound to localhost by default; each request goes through
the same ``Engine.handle`` as in-process clients. Gzip request bodies are accepted
(opensearch-py's ``http_compress``).
"""

from __future__ import annotations

import gzip
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .engine import Engine

log = logging.getLogger("mutuo.engine.server")


class _Handler(BaseHTTPRequestHandler):
    server_version = "mutuo-embedded"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm the body then waits for
    # the client's delayed ACK of the headers (~40 ms per response on Linux).
    disable_nagle_algorithm = True
    engine: Engine

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if body and self.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        status, headers, data = self.engine.handle(
            self.command,
            parts.path or "/",
            params,
            body,
            {k.lower(): v for k, v in self.headers.items()},
        )
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)) if self.command != "HEAD" else "0")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


class EngineServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(engine: Engine, host: str = "127.0.0.1", port: int = 9200) -> EngineServer:
    handler = type("BoundHandler", (_Handler,), {"engine": engine})
    return EngineServer((host, port), handler)
