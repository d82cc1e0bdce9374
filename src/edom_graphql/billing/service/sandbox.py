"""The sandbox payment provider: a small acquirer of its own, as an HTTP server.

``python -m edom_graphql.billing.service.sandbox --port 8010 --webhook-url
http://127.0.0.1:8000/payments/webhook/sandbox`` (``--port 0`` picks a free port; the first
line it prints is ``sandbox listening on http://HOST:PORT``). It keeps its payments in
memory and speaks the protocol of :mod:`edom_graphql.billing.service.providers`:

- ``POST /v1/payments`` with an ``Idempotence-Key`` header and ``{"amount", "currency",
  "description", "reference", "return_url"}``: creates a pending payment and answers
  ``{"id", "status", "amount", "reference", "confirmation_url"}``; the same key again
  answers the same payment (a different body with it: 422), so a payer is charged once.
- ``GET /pay/<id>``: the payer's confirmation page (pay or decline).
- ``POST /v1/payments/<id>/complete`` and ``…/fail`` (``{"reason"}``): the payment
  succeeds or fails, and a signed webhook event is sent to the webhook URL; with
  ``?deliver=false`` the event is only made (``POST /v1/events/<id>/deliver`` sends it
  later, out of order). The answer has the event and the platform's answer to it.
- ``POST /v1/events/<id>/deliver``: send an event again (same id, signed afresh).
- ``GET /v1/events/<id>``: the event with a fresh signature and every delivery made.
- ``GET /v1/stats``: payments created and create requests received.
- ``POST /v1/config``: ``{"webhook_url", "auto_complete_after", "retry_delays"}``.

Deliveries that are not answered 2xx are retried (``--retry-delays``, seconds). With
``--auto-complete-after S`` every payment succeeds S seconds after it is created.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import secrets
import socket
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from edom_graphql.billing.service.providers import signed_headers
from edom_graphql.settings import Settings

DEFAULT_SECRET: str = Settings.model_fields["payment_sandbox_secret"].default


@dataclass
class SandboxPayment:
    id: str
    key: str
    request: dict[str, Any]
    status: str = "pending"
    failure_reason: str | None = None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def as_json(self, public_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "amount": self.request["amount"],
            "currency": self.request["currency"],
            "reference": self.request["reference"],
            "description": self.request["description"],
            "failure_reason": self.failure_reason,
            "created_at": self.created_at,
            "confirmation_url": f"{public_url}/pay/{self.id}",
        }


@dataclass
class SandboxEvent:
    id: str
    body: bytes
    deliveries: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Sandbox:
    """The sandbox's state and behaviour (one per process)."""

    secret: str
    webhook_url: str | None
    public_url: str = ""
    auto_complete_after: float | None = None
    retry_delays: Sequence[float] = (0.5, 2.0, 5.0)
    payments: dict[str, SandboxPayment] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    events: dict[str, SandboxEvent] = field(default_factory=dict)
    create_requests: int = 0
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    client: httpx.AsyncClient | None = None

    def http(self) -> httpx.AsyncClient:
        if self.client is None:
            self.client = httpx.AsyncClient(trust_env=False, timeout=30)
        return self.client

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def create(self, key: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.create_requests += 1
        existing = self.by_key.get(key)
        if existing is not None:
            payment = self.payments[existing]
            if payment.request != request:
                return 422, {"error": "IDEMPOTENCE_KEY_REUSED"}
            return 200, payment.as_json(self.public_url)
        payment = SandboxPayment(id=f"sbx_{secrets.token_hex(8)}", key=key, request=request)
        self.payments[payment.id] = payment
        self.by_key[key] = payment.id
        if self.auto_complete_after is not None:
            self.spawn(self._complete_later(payment.id, self.auto_complete_after))
        return 200, payment.as_json(self.public_url)

    async def _complete_later(self, payment_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        if self.payments[payment_id].status == "pending":
            await self.settle(payment_id, succeeded=True, reason=None, deliver=True)

    def event_for(self, payment: SandboxPayment) -> SandboxEvent:
        event_id = f"evt_{secrets.token_hex(10)}"
        body = json.dumps(
            {
                "id": event_id,
                "type": f"payment.{payment.status}",
                "created_at": datetime.now(UTC).isoformat(),
                "payment": payment.as_json(self.public_url),
            },
            ensure_ascii=False,
        ).encode()
        event = SandboxEvent(event_id, body)
        self.events[event_id] = event
        return event

    def signed(self, event: SandboxEvent) -> dict[str, str]:
        return signed_headers(self.secret, event.id, int(time.time()), event.body)

    async def settle(
        self, payment_id: str, *, succeeded: bool, reason: str | None, deliver: bool
    ) -> tuple[int, dict[str, Any]]:
        payment = self.payments.get(payment_id)
        if payment is None:
            return 404, {"error": "NOT_FOUND"}
        if payment.status == "succeeded":
            return 409, {"error": "ALREADY_SUCCEEDED"}
        if not succeeded and payment.status == "failed":
            return 409, {"error": "ALREADY_FAILED"}
        payment.status = "succeeded" if succeeded else "failed"
        payment.failure_reason = None if succeeded else (reason or "declined by the payer")
        event = self.event_for(payment)
        delivery = await self.deliver(event) if deliver else None
        answer = {"event": event.id, "payment": payment.as_json(self.public_url)}
        return 200, {**answer, "delivery": delivery}

    async def deliver(self, event: SandboxEvent) -> dict[str, Any]:
        """Send the event once now; retry in the background while it is not taken."""
        delivery = await self._attempt(event)
        if not 200 <= delivery["status"] < 300 and self.retry_delays:
            self.spawn(self._retry(event))
        return delivery

    async def _attempt(self, event: SandboxEvent) -> dict[str, Any]:
        if self.webhook_url is None:
            delivery: dict[str, Any] = {"status": 0, "answer": "no webhook URL configured"}
        else:
            try:
                response = await self.http().post(
                    self.webhook_url, content=event.body, headers=self.signed(event)
                )
                delivery = {"status": response.status_code, "answer": response.text[:500]}
            except httpx.HTTPError as error:
                delivery = {"status": 0, "answer": repr(error)}
        event.deliveries.append(delivery)
        return delivery

    async def _retry(self, event: SandboxEvent) -> None:
        for delay in self.retry_delays:
            await asyncio.sleep(delay)
            if 200 <= (await self._attempt(event))["status"] < 300:
                return


async def _json(request: Request) -> Any:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except ValueError:
        return None


def create_sandbox_app(sandbox: Sandbox) -> Starlette:
    async def create(request: Request) -> Response:
        key = request.headers.get("idempotence-key", "")
        try:
            data = await request.json()
        except ValueError:
            return JSONResponse({"error": "BAD_JSON"}, status_code=400)
        if not key or len(key) > 200 or not isinstance(data, dict):
            return JSONResponse({"error": "BAD_REQUEST"}, status_code=400)
        amount = data.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
            return JSONResponse({"error": "BAD_AMOUNT"}, status_code=400)
        fields = ("amount", "currency", "description", "reference", "return_url")
        status, answer = sandbox.create(key, {name: data.get(name) for name in fields})
        return JSONResponse(answer, status_code=status)

    async def show(request: Request) -> Response:
        payment = sandbox.payments.get(request.path_params["id"])
        if payment is None:
            return JSONResponse({"error": "NOT_FOUND"}, status_code=404)
        return JSONResponse(payment.as_json(sandbox.public_url))

    async def settle(request: Request) -> Response:
        action = request.path_params["action"]
        if action not in ("complete", "fail"):
            return JSONResponse({"error": "NOT_FOUND"}, status_code=404)
        data = await _json(request)
        reason = data.get("reason") if isinstance(data, dict) else None
        deliver = request.query_params.get("deliver", "true") != "false"
        status, answer = await sandbox.settle(
            request.path_params["id"],
            succeeded=action == "complete",
            reason=reason if isinstance(reason, str) else None,
            deliver=deliver,
        )
        return JSONResponse(answer, status_code=status)

    async def event(request: Request) -> Response:
        found = sandbox.events.get(request.path_params["id"])
        if found is None:
            return JSONResponse({"error": "NOT_FOUND"}, status_code=404)
        return JSONResponse(
            {
                "id": found.id,
                "body": found.body.decode(),
                "headers": sandbox.signed(found),
                "deliveries": found.deliveries,
            }
        )

    async def deliver(request: Request) -> Response:
        found = sandbox.events.get(request.path_params["id"])
        if found is None:
            return JSONResponse({"error": "NOT_FOUND"}, status_code=404)
        return JSONResponse({"event": found.id, "delivery": await sandbox.deliver(found)})

    async def stats(request: Request) -> Response:
        return JSONResponse(
            {"payments": len(sandbox.payments), "create_requests": sandbox.create_requests}
        )

    async def config(request: Request) -> Response:
        data = await _json(request)
        if not isinstance(data, dict):
            return JSONResponse({"error": "BAD_JSON"}, status_code=400)
        if "webhook_url" in data:
            sandbox.webhook_url = data["webhook_url"]
        if "auto_complete_after" in data:
            sandbox.auto_complete_after = data["auto_complete_after"]
        if "retry_delays" in data:
            sandbox.retry_delays = [float(delay) for delay in data["retry_delays"]]
        return JSONResponse(
            {
                "webhook_url": sandbox.webhook_url,
                "auto_complete_after": sandbox.auto_complete_after,
                "retry_delays": list(sandbox.retry_delays),
            }
        )

    async def page(request: Request) -> Response:
        payment = sandbox.payments.get(request.path_params["id"])
        if payment is None:
            return HTMLResponse("<h1>No such payment</h1>", status_code=404)
        if request.method == "POST":
            form = await request.form()
            await sandbox.settle(
                payment.id, succeeded=form.get("action") == "pay", reason=None, deliver=True
            )
            back = payment.request.get("return_url")
            if isinstance(back, str) and back.startswith(("http://", "https://")):
                return RedirectResponse(back, status_code=303)
        amount = payment.request["amount"]
        description = html.escape(str(payment.request.get("description") or ""))
        return HTMLResponse(
            "<!doctype html><meta charset=utf-8><title>Sandbox payment</title>"
            f"<h1>{description}</h1><p>{amount // 100},{amount % 100:02d} ₽ — "
            f"{html.escape(payment.status)}</p>"
            + (
                "<form method=post><button name=action value=pay>Pay</button> "
                "<button name=action value=decline>Decline</button></form>"
                if payment.status == "pending"
                else ""
            )
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        for task in list(sandbox.tasks):
            task.cancel()
        if sandbox.client is not None:
            await sandbox.client.aclose()

    return Starlette(
        routes=[
            Route("/v1/payments", create, methods=["POST"]),
            Route("/v1/payments/{id}", show, methods=["GET"]),
            Route("/v1/payments/{id}/{action:str}", settle, methods=["POST"]),
            Route("/v1/events/{id}", event, methods=["GET"]),
            Route("/v1/events/{id}/deliver", deliver, methods=["POST"]),
            Route("/v1/stats", stats, methods=["GET"]),
            Route("/v1/config", config, methods=["POST"]),
            Route("/pay/{id}", page, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m edom_graphql.billing.service.sandbox",
        description="The sandbox payment provider (see the module's docstring).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010, help="0: a free port")
    parser.add_argument("--secret", default=DEFAULT_SECRET, help="the webhook signing secret")
    parser.add_argument("--webhook-url", default=None, help="where events are POSTed")
    parser.add_argument(
        "--auto-complete-after", type=float, default=None, help="succeed payments after S s"
    )
    parser.add_argument(
        "--retry-delays", default="0.5,2,5", help="seconds between redeliveries ('' for none)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    # Listen before saying so: a client that connects at once waits in the backlog until
    # the server accepts, instead of being refused while it starts.
    sock.listen(128)
    host, port = sock.getsockname()[:2]
    sandbox = Sandbox(
        secret=args.secret,
        webhook_url=args.webhook_url,
        public_url=f"http://{host}:{port}",
        auto_complete_after=args.auto_complete_after,
        retry_delays=[float(d) for d in args.retry_delays.split(",") if d.strip()],
    )
    print(f"sandbox listening on {sandbox.public_url}", flush=True)
    config = uvicorn.Config(
        create_sandbox_app(sandbox), log_level="warning", access_log=False, lifespan="on"
    )
    uvicorn.Server(config).run(sockets=[sock])
    sys.exit(0)


if __name__ == "__main__":
    main()
