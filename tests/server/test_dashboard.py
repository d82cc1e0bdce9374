"""The repair desk page at /dashboard over HTTP: the page and its two files, their types,
the Content Security Policy and other security headers, and the login link setting.
(tests/server/test_dashboard_browser.py drives the page itself in Chromium.)"""

from __future__ import annotations

from importlib.resources import files

import httpx

from edom_graphql.server.app import create_app
from edom_graphql.settings import Settings
from tests.factories import Api

POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self' ws://{host}; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
COMMON_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-cache",
}


async def test_dashboard_page_is_served_with_a_strict_policy(api: Api) -> None:
    response = await api.client.get("/dashboard")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    host = response.request.headers["host"]
    assert response.headers["content-security-policy"] == POLICY.format(host=host)
    for name, value in COMMON_HEADERS.items():
        assert response.headers[name] == value
    page = response.text
    assert '<script src="/dashboard/static/dashboard.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/dashboard/static/dashboard.css">' in page
    # No login redirect configured: the page offers only the token form.
    assert '<meta name="edom-login-url" content="">' in page
    # Nothing inline that the policy would block, and nothing from another origin.
    assert "<script>" not in page
    assert "style=" not in page
    assert "http://" not in page
    assert "https://" not in page


async def test_dashboard_files_are_served_from_the_package(api: Api) -> None:
    package = files("edom_graphql.server.dashboard")
    for name, media_type in (
        ("dashboard.js", "text/javascript; charset=utf-8"),
        ("dashboard.css", "text/css; charset=utf-8"),
    ):
        response = await api.client.get(f"/dashboard/static/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"] == media_type
        assert response.content == package.joinpath(name).read_bytes()
        for header, value in COMMON_HEADERS.items():
            assert response.headers[header] == value
    script = package.joinpath("dashboard.js").read_text(encoding="utf-8")
    # Data reaches the DOM as text only.
    assert "innerHTML" not in script
    assert "insertAdjacentHTML" not in script
    assert "document.write" not in script

    for name in ("index.html", "routes.py", "..%2Fapp.py", "missing.js"):
        response = await api.client.get(f"/dashboard/static/{name}")
        assert response.status_code == 404


async def test_policy_names_only_a_sane_host(api: Api) -> None:
    response = await api.client.get("/dashboard", headers={"Host": "evil.example; script-src *"})
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


async def test_dashboard_links_to_the_configured_login(settings: Settings) -> None:
    login = 'https://login.example.org/authorize?client=desk&next="/dashboard"<x>'
    app = create_app(
        settings.model_copy(update={"dashboard_login_url": login}),
        database_url=str(settings.database_url),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://desk.example") as client:
        response = await client.get("/dashboard")

    assert response.status_code == 200
    assert (
        '<meta name="edom-login-url" content="https://login.example.org/authorize?'
        'client=desk&amp;next=&quot;/dashboard&quot;&lt;x&gt;">'
    ) in response.text
    assert "connect-src 'self' wss://desk.example;" in response.headers["content-security-policy"]
