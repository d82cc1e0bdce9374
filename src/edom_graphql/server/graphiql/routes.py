"""GraphiQL, the in-browser IDE that ``GET /graphql`` shows a browser: one HTML page and
its scripts and styles, all shipped as package data (no CDN, so it works offline) and
served with a strict Content Security Policy."""

from __future__ import annotations

import hashlib
import secrets
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edom_graphql.server.dashboard.routes import SECURITY_HEADERS, content_security_policy

JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
ASSET_TYPES = {
    "boot.js": JS,
    "page.css": CSS,
    "graphiql.min.js": JS,
    "graphiql.min.css": CSS,
    "react.production.min.js": JS,
    "react-dom.production.min.js": JS,
    "graphql-ws.min.js": JS,
}
"""Every file the page loads, by the name in its URL."""
NONCE_SLOT = "{{ style_nonce }}"


def _read(name: str) -> bytes:
    return files(__package__).joinpath(name).read_bytes()


def graphiql_policy(request: Request, style_nonce: str) -> str:
    """The dashboard's policy, plus what GraphiQL needs: its stylesheet embeds its fonts
    and icons as ``data:`` URLs, and its scroll lock (opened with a dialog) adds one
    ``<style>`` element, allowed by the page's nonce rather than ``'unsafe-inline'``.
    CodeMirror's inline styles are set through the CSSOM, which the policy allows."""
    directives = []
    for directive in content_security_policy(request).split("; "):
        if directive.startswith("style-src "):
            directive = f"{directive} 'nonce-{style_nonce}'"
        directives.append(directive)
    directives.append("font-src 'self' data:")
    return "; ".join(directives)


_PAGE = _read("index.html").decode("utf-8")
_ASSETS = {name: _read(name) for name in ASSET_TYPES}
_ETAGS = {name: f'"{hashlib.sha256(body).hexdigest()[:32]}"' for name, body in _ASSETS.items()}


def graphiql_page(request: Request) -> Response:
    """The page, with a fresh style nonce for every response."""
    nonce = secrets.token_urlsafe(18)
    return Response(
        _PAGE.replace(NONCE_SLOT, nonce).encode("utf-8"),
        media_type="text/html; charset=utf-8",
        headers={**SECURITY_HEADERS, "Content-Security-Policy": graphiql_policy(request, nonce)},
    )


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    body = _ASSETS.get(name)
    if body is None:
        return Response("Not found.", status_code=404, media_type="text/plain")
    # ``no-cache`` (revalidate): an unchanged file (about 1.5 MB in all) is not sent again.
    headers = {**SECURITY_HEADERS, "ETag": _ETAGS[name]}
    if _ETAGS[name] in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=ASSET_TYPES[name], headers=headers)


def graphiql_routes() -> list[Route]:
    """The page's static files; the page itself is the answer of ``GET /graphql`` to a
    browser (:meth:`edom_graphql.server.http.GraphQLEndpoint.render_graphql_ide`)."""
    return [Route("/graphiql/static/{name}", asset, methods=["GET"])]
