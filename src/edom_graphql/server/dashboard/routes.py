"""The live repair desk for staff at ``/dashboard``: one HTML page, its stylesheet and its
script, shipped as package data and served with a strict Content Security Policy."""

from __future__ import annotations

import html
import re
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edom_graphql.settings import Settings

ASSET_TYPES = {
    "dashboard.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
}
# A Host header that is safe to repeat in the policy (a name or IP literal, and a port).
HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def _read(name: str) -> bytes:
    return files(__package__).joinpath(name).read_bytes()


def content_security_policy(request: Request) -> str:
    """Scripts and styles from this origin only, no inline code, no framing; the page
    talks to ``/graphql`` over HTTP and over a WebSocket of the same host."""
    connect = ["'self'"]
    host = request.headers.get("host", "")
    if HOST.fullmatch(host):
        # 'self' covers same-host WebSockets in current browsers; older ones need it spelt.
        connect.append(f"{'wss' if request.url.scheme == 'https' else 'ws'}://{host}")
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"connect-src {' '.join(connect)}",
            "img-src 'self' data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cache-Control": "no-cache",
}


def dashboard_routes(settings: Settings) -> list[Route]:
    """``GET /dashboard`` and its two static files."""
    page = (
        _read("index.html")
        .decode("utf-8")
        .replace("{{ login_url }}", html.escape(settings.dashboard_login_url or "", quote=True))
        .encode("utf-8")
    )
    assets = {name: _read(name) for name in ASSET_TYPES}

    async def dashboard(request: Request) -> Response:
        return Response(
            page,
            media_type="text/html; charset=utf-8",
            headers={
                **SECURITY_HEADERS,
                "Content-Security-Policy": content_security_policy(request),
            },
        )

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        body = assets.get(name)
        if body is None:
            return Response("Not found.", status_code=404, media_type="text/plain")
        return Response(body, media_type=ASSET_TYPES[name], headers=SECURITY_HEADERS)

    return [
        Route("/dashboard", dashboard, methods=["GET"]),
        Route("/dashboard/static/{name}", asset, methods=["GET"]),
    ]
