"""The intercom device simulator: panels of the HTTP device API, as a separate server.

``python -m edom_graphql.intercom.service.simulator --port 8020`` (``--port 0`` picks a
free port; the first line it prints is ``simulator listening on http://HOST:PORT``).
It simulates any number of panels, each under ``/devices/<name>``, created on first use,
and speaks the protocol of ``docs/intercom-protocol.md``:

- the device API, called by the platform (signed with the panel's secret once one is
  configured): ``POST …/open``, ``PUT …/codes/<id>`` (``{"code", "valid_until"}``),
  ``DELETE …/codes/<id>``; each answers ``{"result": "OK"}``, or 503 while the panel is
  offline, or only after ``delay`` seconds while it is slow;
- what happens at the door, for tests and demos: ``POST …/type`` (``{"code"}``: a code
  typed on the keypad, refused when unknown, expired or revoked, else the door opens and
  an ``entry`` event is posted), ``POST …/fob`` (``{"fob"}``), ``POST …/ring``
  (``{"apartment"}``: a ``ring`` event with the call's ``media_url``), ``POST …/hangup``
  (``{"call_id"}``), ``POST …/replay`` (the last event again, same id);
- ``POST …/config`` (``{"secret", "callback_url", "mode": "online"|"offline"|"slow",
  "delay"}``) and ``GET …/state`` (opens, codes, events posted).

Events are posted to the panel's ``callback_url`` (the platform's ``POST
/intercom/devices/<panel id>/events``), signed with its secret.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import socket
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from edom_graphql.intercom.service.devices import signed_headers, verify


@dataclass
class HeldCode:
    code: str
    valid_until: datetime | None
    revoked: bool = False


@dataclass
class Panel:
    name: str
    secret: str | None = None
    callback_url: str | None = None
    mode: str = "online"
    delay: float = 0.0
    opens: int = 0
    codes: dict[str, HeldCode] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    last: tuple[str, bytes] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "mode": self.mode,
            "delay": self.delay,
            "opens": self.opens,
            "codes": {
                key: {
                    "valid_until": held.valid_until.isoformat() if held.valid_until else None,
                    "revoked": held.revoked,
                }
                for key, held in self.codes.items()
            },
            "events": self.events,
        }


class Simulator:
    def __init__(self, public_url: str) -> None:
        self.public_url = public_url
        self.panels: dict[str, Panel] = {}
        self.client: httpx.AsyncClient | None = None

    def panel(self, name: str) -> Panel:
        found = self.panels.get(name)
        if found is None:
            found = self.panels[name] = Panel(name)
        return found

    async def post_event(self, panel: Panel, event: dict[str, Any]) -> int | None:
        """Post an event to the panel's callback; the platform's status (None: unsent)."""
        panel.events.append(event)
        if panel.callback_url is None or panel.secret is None or self.client is None:
            return None
        body = json.dumps(event).encode()
        event_id = secrets.token_hex(12)
        panel.last = (event_id, body)
        return await self._deliver(panel, event_id, body)

    async def _deliver(self, panel: Panel, event_id: str, body: bytes) -> int | None:
        assert panel.callback_url is not None
        assert panel.secret is not None
        assert self.client is not None
        try:
            response = await self.client.post(
                panel.callback_url,
                content=body,
                headers=signed_headers(panel.secret, body, event_id=event_id),
            )
        except httpx.HTTPError:
            return None
        return response.status_code

    async def replay(self, panel: Panel) -> int | None:
        if panel.last is None:
            return None
        return await self._deliver(panel, *panel.last)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def create_simulator_app(simulator: Simulator) -> Starlette:
    async def lifespan(app: Starlette) -> Any:
        async with httpx.AsyncClient(timeout=10) as client:
            simulator.client = client
            yield
            simulator.client = None

    async def command(request: Request) -> tuple[Panel, dict[str, Any]] | Response:
        """The panel and the body of a command from the platform (signature checked)."""
        panel = simulator.panel(request.path_params["name"])
        body = await request.body()
        if (
            panel.secret is not None
            and verify(panel.secret, request.headers, body, now=time.time()) is None
        ):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        if panel.mode == "offline":
            return JSONResponse({"error": "offline"}, status_code=503)
        if panel.mode == "slow":
            await asyncio.sleep(panel.delay)
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return JSONResponse({"error": "bad json"}, status_code=400)
        return panel, payload if isinstance(payload, dict) else {}

    async def open_door(request: Request) -> Response:
        found = await command(request)
        if isinstance(found, Response):
            return found
        panel, _ = found
        panel.opens += 1
        return JSONResponse({"result": "OK"})

    async def codes(request: Request) -> Response:
        found = await command(request)
        if isinstance(found, Response):
            return found
        panel, payload = found
        key = request.path_params["id"]
        if request.method == "DELETE":
            held = panel.codes.get(key)
            if held is not None:
                held.revoked = True
            return JSONResponse({"result": "OK"})
        code, until = payload.get("code"), payload.get("valid_until")
        if not isinstance(code, str) or not code.isdigit():
            return JSONResponse({"error": "bad code"}, status_code=400)
        panel.codes[key] = HeldCode(code, datetime.fromisoformat(until) if until else None)
        return JSONResponse({"result": "OK"})

    async def typed(request: Request) -> Response:
        panel = simulator.panel(request.path_params["name"])
        code = (await request.json()).get("code")
        now = datetime.now(UTC)
        reason = "UNKNOWN"
        for key, held in panel.codes.items():
            if held.code != code:
                continue
            if held.revoked:
                reason = "REVOKED"
            elif held.valid_until is not None and held.valid_until <= now:
                reason = "EXPIRED"
            else:
                status = await simulator.post_event(
                    panel, {"type": "entry", "method": "CODE", "code_id": key, "at": _now()}
                )
                return JSONResponse({"opened": True, "delivered": status})
        return JSONResponse({"opened": False, "reason": reason})

    async def fob(request: Request) -> Response:
        panel = simulator.panel(request.path_params["name"])
        key = str((await request.json()).get("fob", ""))
        status = await simulator.post_event(
            panel, {"type": "entry", "method": "KEY_FOB", "fob": key, "at": _now()}
        )
        return JSONResponse({"opened": True, "delivered": status})

    async def ring(request: Request) -> Response:
        panel = simulator.panel(request.path_params["name"])
        apartment = str((await request.json()).get("apartment", ""))
        call_id = secrets.token_hex(8)
        event = {
            "type": "ring",
            "call_id": call_id,
            "apartment": apartment,
            "media_url": f"{simulator.public_url}/media/{panel.name}/{call_id}",
            "at": _now(),
        }
        status = await simulator.post_event(panel, event)
        return JSONResponse({"call_id": call_id, "delivered": status})

    async def hangup(request: Request) -> Response:
        panel = simulator.panel(request.path_params["name"])
        call_id = str((await request.json()).get("call_id", ""))
        status = await simulator.post_event(
            panel, {"type": "call_ended", "call_id": call_id, "at": _now()}
        )
        return JSONResponse({"delivered": status})

    async def replay(request: Request) -> Response:
        panel = simulator.panel(request.path_params["name"])
        return JSONResponse({"delivered": await simulator.replay(panel)})

    async def config(request: Request) -> Response:
        panel = simulator.panel(request.path_params["name"])
        payload = await request.json()
        for name in ("secret", "callback_url", "mode"):
            if name in payload:
                setattr(panel, name, payload[name])
        if "delay" in payload:
            panel.delay = float(payload["delay"])
        return JSONResponse(panel.as_json())

    async def state(request: Request) -> Response:
        return JSONResponse(simulator.panel(request.path_params["name"]).as_json())

    async def media(request: Request) -> Response:
        name, call = request.path_params["name"], request.path_params["call"]
        return HTMLResponse(f"<p>Video of call {call} at panel {name} (simulated).</p>")

    base = "/devices/{name}"
    return Starlette(
        routes=[
            Route(f"{base}/open", open_door, methods=["POST"]),
            Route(f"{base}/codes/{{id}}", codes, methods=["PUT", "DELETE"]),
            Route(f"{base}/type", typed, methods=["POST"]),
            Route(f"{base}/fob", fob, methods=["POST"]),
            Route(f"{base}/ring", ring, methods=["POST"]),
            Route(f"{base}/hangup", hangup, methods=["POST"]),
            Route(f"{base}/replay", replay, methods=["POST"]),
            Route(f"{base}/config", config, methods=["POST"]),
            Route(f"{base}/state", state, methods=["GET"]),
            Route("/media/{name}/{call}", media, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m edom_graphql.intercom.service.simulator",
        description="The intercom device simulator (see the module's docstring).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8020, help="0: a free port")
    args = parser.parse_args(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    # Listen before saying so: a client that connects at once waits in the backlog until
    # the server accepts, instead of being refused while it starts.
    sock.listen(128)
    host, port = sock.getsockname()[:2]
    simulator = Simulator(f"http://{host}:{port}")
    print(f"simulator listening on {simulator.public_url}", flush=True)
    config = uvicorn.Config(
        create_simulator_app(simulator), log_level="warning", access_log=False, lifespan="on"
    )
    uvicorn.Server(config).run(sockets=[sock])
    sys.exit(0)


if __name__ == "__main__":
    main()
