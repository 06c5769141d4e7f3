"""The operators' web page on the gateway's port: files of ``web/``, ``config.json`` and, with
``--auth local``, the development sign-in ``POST /dev/token``; loopback names only."""

from __future__ import annotations

import asyncio
import email.utils
import http
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

log = logging.getLogger("twschat-local")

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOOPBACK_HOST_NAMES = ("localhost", "127.0.0.1", "[::1]")
"""The ``Host`` names the sign-in endpoint, ``config.json`` and the page's origin may carry: another
name pointing at 127.0.0.1 is a DNS-rebinding page, not the developer."""


# ---------------------------------------------------------------------------------------- web page

WEB_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
"""The only files served: anything else in ``web/`` (sources, notes, dotfiles) stays private."""
TOKEN_PATH = "/dev/token"
_WEB_FILE = re.compile(r"^/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*\Z")
_HOST = re.compile(r"^(?P<name>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?\Z")


def default_web_dir(template: Path) -> Path | None:
    """``web/`` next to the template, else the one of the checkout this package is installed from
    (editable install); None when neither has an ``index.html``."""
    for candidate in (template.resolve().parent / "web", Path(__file__).resolve().parents[3] / "web"):
        if (candidate / "index.html").is_file():
            return candidate
    return None


def is_websocket_upgrade(request: Request) -> bool:
    return any("websocket" in value.lower() for value in request.headers.get_all("Upgrade"))


def web_security_headers(websocket_origin: str) -> dict[str, str]:
    """Headers on every page response. No inline script or style, nothing from another origin but
    the chat's WebSocket; Trusted Types make any HTML-string sink (innerHTML...) throw, so server
    text can only ever become text nodes."""
    csp = "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            f"connect-src 'self' {websocket_origin}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        )
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        # Development server: always the files on disk; and a token response is never cached.
        "Cache-Control": "no-store",
    }


def http_response(
    status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A complete HTTP/1.1 response for the websockets server to send (it closes the connection)."""
    out = Headers()
    out["Date"] = email.utils.formatdate(usegmt=True)
    out["Connection"] = "close"
    out["Content-Type"] = content_type
    out["Content-Length"] = str(len(body))
    for name, value in (headers or {}).items():
        out[name] = value
    return Response(status, http.HTTPStatus(status).phrase, out, body)


@dataclass
class WebPage:
    """Serves ``web/`` and ``config.json`` on the WebSocket port; ``POST /dev/token`` with ``--auth local``.

    ``mint`` (user, role) -> token is set only with ``--auth local``. websockets reads no request body
    (its HTTP parser refuses a ``Content-Length`` other than 0), so the token request carries
    ``user`` and ``role`` in the query string; the token comes back in the body only. Only loopback
    clients may ask, and a browser only from this page's own origin (``Origin``), so another site
    cannot mint tokens through a developer's browser. Both the token and ``config.json`` answer only
    to a ``Host`` (and an ``Origin``) in :attr:`hosts`: a page of another name that resolves to
    127.0.0.1 (DNS rebinding) is that other site, not this one.
    """

    directory: Path | None
    auth: str = "none"
    mint: Callable[[str, str], str] | None = None
    agent: str | None = None
    hosts: tuple[str, ...] = LOOPBACK_HOST_NAMES
    """Host names (without port) this page is served under; ``twschat serve --host ADDR`` adds ADDR."""

    def serves_host(self, host: str) -> bool:
        """``host`` (a ``Host`` header, port optional) names this page's server."""
        match = _HOST.fullmatch(host)
        return match is not None and match.group("name").lower() in self.hosts

    def origins(self, port: int) -> set[str]:
        """The page's own origins on ``port``: what a browser sends as ``Origin`` from this page."""
        return {f"http://{name}:{port}" for name in self.hosts}

    async def respond(self, request: Request, peer: str) -> Response:
        host = request.headers.get("Host", "")
        if not _HOST.fullmatch(host):
            return self._text(400, "bad Host header\n", "localhost")
        path = urlsplit(request.path).path
        if path in (TOKEN_PATH, "/config.json") and not self._same_site(request, host):
            log.info("web %s refused: Host or Origin not a loopback name of this gateway", path)
            return self._json(403, {"error": "forbidden", "message": "use http://localhost"}, "localhost")
        if path == TOKEN_PATH and self.mint is not None:
            if request.method == "POST":  # never GET: a link or an <img> must not mint a token
                return await self._token(request, host, peer)
            return self._not_allowed("POST", host)
        if request.method != "GET":
            return self._not_allowed("GET", host)
        if path == "/config.json":
            return self._json(200, self.config(host), host)
        if path in ("", "/"):
            path = "/index.html"
        file = self._file(path)
        if file is None:
            log.debug("web 404 %s", path)  # the path only: a sign-in redirect's query is not logged
            hint = "" if self.directory else " (no web/ folder found: twschat serve --web-dir DIR)"
            return self._text(404, f"Not Found{hint}\n", host)
        return http_response(200, file.read_bytes(), WEB_CONTENT_TYPES[file.suffix], self._headers(host))

    def config(self, host: str) -> dict[str, Any]:
        """What the page reads at start: where the chat is, and how to sign in."""
        auth: dict[str, Any] = {"mode": self.auth}
        if self.mint is not None:
            auth["tokenEndpoint"] = TOKEN_PATH
        config: dict[str, Any] = {"websocketUrl": f"ws://{host}", "auth": auth, "environment": "local"}
        if self.agent:
            config["agent"] = self.agent
        return config

    def _file(self, path: str) -> Path | None:
        if self.directory is None or not _WEB_FILE.fullmatch(path) or "/." in path:
            return None
        root = self.directory.resolve()
        file = (root / path.lstrip("/")).resolve()
        if not file.is_relative_to(root) or not file.is_file() or file.suffix not in WEB_CONTENT_TYPES:
            return None
        return file

    def _same_site(self, request: Request, host: str) -> bool:
        """A loopback ``Host``, and no ``Origin`` (curl, the CLI) or this very page's."""
        origin = request.headers.get("Origin")
        return self.serves_host(host) and (origin is None or origin.lower() == f"http://{host}".lower())

    async def _token(self, request: Request, host: str, peer: str) -> Response:
        assert self.mint is not None
        cross_site = request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")
        if cross_site:
            return self._json(403, {"error": "forbidden", "message": "cross-origin token request"}, host)
        if peer not in _LOOPBACK:
            return self._json(403, {"error": "forbidden", "message": "loopback clients only"}, host)
        query = parse_qs(urlsplit(request.path).query)
        user = (query.get("user") or [""])[-1]
        role = (query.get("role") or [""])[-1]
        if role not in ("", "viewer", "operator", "admin"):
            return self._json(
                400, {"error": "invalid_role", "message": "role: viewer, operator or admin"}, host
            )
        try:
            token = await asyncio.to_thread(self.mint, user, role)
        except ValueError as exc:
            return self._json(400, {"error": "invalid_user", "message": str(exc)}, host)
        log.info("web sign-in: development token for %s (%s)", user, role or "no role")
        return self._json(200, {"token": token}, host)

    def _headers(self, host: str) -> dict[str, str]:
        return web_security_headers(f"ws://{host}")

    def _not_allowed(self, allow: str, host: str) -> Response:
        response = self._text(405, "Method Not Allowed\n", host)
        response.headers["Allow"] = allow
        return response

    def _text(self, status: int, text: str, host: str) -> Response:
        return http_response(status, text.encode(), "text/plain; charset=utf-8", self._headers(host))

    def _json(self, status: int, payload: Any, host: str) -> Response:
        body = json.dumps(payload, ensure_ascii=False).encode()
        return http_response(status, body, "application/json", self._headers(host))
