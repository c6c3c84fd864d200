"""The daemon's small HTTP server: /healthz, /readyz, /metrics and the dashboard at /.

The standard library's ``ThreadingHTTPServer`` in one thread (a request per short-lived
thread, each socket with a timeout, so a slow client cannot hold anything). It listens
on 127.0.0.1 by default. Off loopback a bearer token is required (``[http] token_*``;
check-config and startup refuse without one); when a token is configured it is
required on loopback too. Everything is read-only.
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from mailbot.config import ConfigError
from mailbot.health import liveness, loop_states, readiness, snapshot
from mailbot.telemetry import scrape_registry

log = logging.getLogger("mailbot.web")

REQUEST_TIMEOUT_SECONDS = 10.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client never delays shutdown
    allow_reuse_address = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class WebServer:
    def __init__(self, daemon: Any) -> None:
        self.daemon = daemon
        self.settings = daemon.app.settings.http
        self.registry = scrape_registry(daemon.app, daemon)
        self.token: str | None = None
        self._server: _Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1]) if self._server else 0

    def start(self) -> None:
        token = self.settings.token.resolve()
        if not self.settings.is_loopback and not token:
            raise ConfigError(self.daemon.app.settings.path, [
                f"http.address: listening on {self.settings.address} (not loopback) requires a bearer token, "
                f"not found in {self.settings.token.describe()}"])
        self.token = token or None
        server_class = _Server6 if ":" in self.settings.address else _Server
        self._server = server_class((self.settings.address, self.settings.port), _handler(self))
        self.thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.5}, name="http", daemon=True)
        self.thread.start()
        log.info("http: dashboard, /metrics, /healthz and /readyz on http://%s:%d/ (%s)", self.settings.address, self.port,
                 "bearer token required" if self.token else "no token: loopback only")

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def authorised(self, header: str | None) -> bool:
        if self.token is None:
            return True
        scheme, _, value = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self.token.encode())


def _handler(web: WebServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = REQUEST_TIMEOUT_SECONDS  # applied to the socket by StreamRequestHandler
        server_version = "mailbot"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            log.debug("http %s %s", self.address_string(), format % args)

        def do_HEAD(self) -> None:  # noqa: N802 - the stdlib's name
            self._serve(body=False)

        def do_GET(self) -> None:  # noqa: N802
            self._serve(body=True)

        def _serve(self, body: bool) -> None:
            path = self.path.split("?", 1)[0]
            if not web.authorised(self.headers.get("Authorization")):
                self._send(HTTPStatus.UNAUTHORIZED, "text/plain; charset=utf-8", b"bearer token required\n", body,
                           {"WWW-Authenticate": 'Bearer realm="mailbot"'})
                return
            try:
                if path == "/healthz":
                    self._checks(liveness(loop_states(web.daemon)), body, ("alive", "not alive"))
                elif path == "/readyz":
                    state = snapshot(web.daemon)
                    self._checks(liveness(state.loops) + readiness(state, web.daemon.app.settings), body, ("ready", "not ready"))
                elif path == "/metrics":
                    self._send(HTTPStatus.OK, CONTENT_TYPE_LATEST, generate_latest(web.registry), body)
                elif path in ("/", "/index.html"):
                    from mailbot.dashboard import render_dashboard

                    html = render_dashboard(web.daemon).encode()
                    self._send(HTTPStatus.OK, "text/html; charset=utf-8", html, body)
                else:
                    self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n", body)
            except Exception:  # noqa: BLE001 - one failing page must not kill the server
                log.exception("http: %s failed", path)
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", b"internal error; see the log\n", body)

        def _checks(self, checks: list, body: bool, verdicts: tuple[str, str]) -> None:
            ok = all(c.ok for c in checks)
            if "json" in (self.headers.get("Accept") or ""):
                payload = json.dumps({"ok": ok, "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks]}).encode()
                content_type = "application/json"
            else:
                lines = [f"{'ok' if c.ok else 'FAIL'} {c.name}{': ' + c.detail if c.detail else ''}" for c in checks]
                payload = ("\n".join([verdicts[0] if ok else verdicts[1], *lines]) + "\n").encode()
                content_type = "text/plain; charset=utf-8"
            self._send(HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE, content_type, payload, body)

        def _send(self, status: HTTPStatus, content_type: str, payload: bytes, body: bool,
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if body:
                self.wfile.write(payload)

    return Handler
