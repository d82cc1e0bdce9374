"""A Web Push service for the tests, run as its own process (``python -m
tests.notifications.push_service --port 0``; its first line of output is ``push service
listening on http://HOST:PORT``).

It plays both the browser and the push service: ``POST /subscriptions`` makes a
subscription (a P-256 key pair and an auth secret, kept here) and answers with what
``PushSubscription.toJSON()`` gives (``endpoint``, ``keys``). ``POST /push/<id>`` is the
endpoint: it checks the VAPID ``Authorization: vapid t=<JWT>, k=<key>`` (RFC 8292: an
ES256 JWT signed by ``k``, ``aud`` this origin, ``exp`` within 24 hours, a ``sub``),
decrypts the ``aes128gcm`` body with the subscription's private key (RFC 8291, http_ece)
and keeps the plaintext. ``POST /subscriptions/<id>/answers`` with ``{"answers": [500,
410, ...], "delay": seconds}`` sets the next answers (then 201) and a delay before each;
``GET /subscriptions/<id>`` tells what it received.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscription:
    key: ec.EllipticCurvePrivateKey
    auth: bytes
    answers: list[int] = field(default_factory=list)
    delay: float = 0.0
    messages: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    vapid_keys: list[str] = field(default_factory=list)


class PushService:
    def __init__(self) -> None:
        self.origin = ""
        self.subscriptions: dict[str, Subscription] = {}

    async def subscribe(self, request: Request) -> Response:
        sid = uuid.uuid4().hex
        key = ec.generate_private_key(ec.SECP256R1())
        self.subscriptions[sid] = Subscription(key=key, auth=os.urandom(16))
        point = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return JSONResponse(
            {
                "id": sid,
                "endpoint": f"{self.origin}/push/{sid}",
                "keys": {"p256dh": b64url(point), "auth": b64url(self.subscriptions[sid].auth)},
            }
        )

    async def answers(self, request: Request) -> Response:
        subscription = self.subscriptions[request.path_params["sid"]]
        body = await request.json()
        subscription.answers = list(body.get("answers", []))
        subscription.delay = float(body.get("delay", 0))
        return JSONResponse({"ok": True})

    async def report(self, request: Request) -> Response:
        subscription = self.subscriptions[request.path_params["sid"]]
        return JSONResponse(
            {
                "messages": subscription.messages,
                "attempts": subscription.attempts,
                "errors": subscription.errors,
                "vapidKeys": subscription.vapid_keys,
            }
        )

    def _vapid(self, request: Request) -> str:
        """The VAPID public key the request is signed with; raises ValueError."""
        scheme, _, params = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError("not a vapid authorization")
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        token, key = parts["t"], parts["k"]
        point = unb64url(key)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        claims = jwt.decode(token, public, algorithms=["ES256"], audience=self.origin)
        if not (time.time() < claims["exp"] <= time.time() + 24 * 3600 + 60):
            raise ValueError("exp is not within 24 hours")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            raise ValueError("sub is not a mailto: or https: URL")
        return key

    async def push(self, request: Request) -> Response:
        subscription = self.subscriptions.get(request.path_params["sid"])
        if subscription is None:
            return Response(status_code=404)
        subscription.attempts += 1
        if subscription.delay:
            await asyncio.sleep(subscription.delay)
        body = await request.body()
        try:
            key = self._vapid(request)
            if request.headers.get("content-encoding") != "aes128gcm":
                raise ValueError("content-encoding is not aes128gcm")
            if "ttl" not in request.headers:
                raise ValueError("no TTL")
            plain = http_ece.decrypt(
                body,
                private_key=subscription.key,
                auth_secret=subscription.auth,
                version="aes128gcm",
            )
        except Exception as error:
            subscription.errors.append(f"{type(error).__name__}: {error}")
            return JSONResponse(
                {"error": str(error)}, status_code=400 if "vapid" not in str(error) else 401
            )
        status = subscription.answers.pop(0) if subscription.answers else 201
        if status == 201:
            subscription.messages.append(json.loads(plain))
            subscription.vapid_keys.append(key)
        return Response(status_code=status)


def app_of(service: PushService) -> Starlette:
    return Starlette(
        routes=[
            Route("/subscriptions", service.subscribe, methods=["POST"]),
            Route("/subscriptions/{sid}", service.report, methods=["GET"]),
            Route("/subscriptions/{sid}/answers", service.answers, methods=["POST"]),
            Route("/push/{sid}", service.push, methods=["POST"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    service = PushService()
    service.origin = f"http://{args.host}:{sock.getsockname()[1]}"
    print(f"push service listening on {service.origin}", flush=True)
    config = uvicorn.Config(app_of(service), log_config=None, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
