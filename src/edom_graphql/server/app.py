"""The ASGI application: routes, middleware and the lifespan of shared resources."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edom_graphql.access.gate import Access
from edom_graphql.billing.service.webhooks import receive_webhook
from edom_graphql.core.auth import AuthenticationError, TokenVerifier
from edom_graphql.core.clock import utcnow
from edom_graphql.core.context import Context, Services
from edom_graphql.core.db import Database
from edom_graphql.core.logs import request_id_var
from edom_graphql.core.metrics import Metrics
from edom_graphql.core.pubsub import PubSub
from edom_graphql.core.s3 import configured_storage
from edom_graphql.core.storage import is_key as is_storage_key
from edom_graphql.intercom.service.callbacks import receive_device_event
from edom_graphql.schema import DOMAINS, build_schema
from edom_graphql.server.dashboard.routes import dashboard_routes
from edom_graphql.server.graphiql.routes import graphiql_routes
from edom_graphql.server.http import GraphQLEndpoint
from edom_graphql.server.media import PHOTOS, orphan_sweep_task, visible_photo_type
from edom_graphql.server.migrations import current_revision, head_revision
from edom_graphql.settings import Settings

log = logging.getLogger("edom_graphql.server.app")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
READY_TIMEOUT_SECONDS = 3.0
GC_THRESHOLDS = (50_000, 20, 20)
"""The collector's thresholds while serving. A request allocates a few thousand
container objects that die by reference counting; with the default first threshold
(700) many requests in flight keep enough of them alive that every few requests a
young-generation pass, and often an older one, scans them: collection time per request
grew with the number of requests in flight (0.5 ms at one, 3 ms at 16 on the desk)."""


def new_request_id() -> str:
    """32 random hex digits, as a UUID4's: from the process's own generator (reseeded in
    each forked worker), not the operating system's, which costs a system call each."""
    return f"{random.getrandbits(128):032x}"


def request_id_of(scope: Scope) -> str:
    """The client's ``X-Request-ID`` if it is sane, else a new one."""
    given = next(
        (value for name, value in scope.get("headers", ()) if name == b"x-request-id"), b""
    ).decode("latin-1")
    return given if REQUEST_ID.fullmatch(given) else new_request_id()


def route_path(scope: Scope) -> str:
    """The request's path within the application (without the ``root_path`` it is
    mounted under), as Starlette's router matches it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(f"{root}/") else path


class Application(Starlette):
    """Starlette's application, handing GraphQL's WebSocket connections straight to the
    endpoint.

    A subscription socket stays open for hours, and every layer of middleware and routing
    it passes through keeps a suspended frame (with its closures) for all that time: at
    10,000 connections those layers alone hold tens of megabytes. All they do for such a
    socket is give it a request id, done here.
    """

    def __init__(self, *, sockets: ASGIApp, socket_path: str, **options: Any) -> None:
        super().__init__(**options)
        self.sockets = sockets
        self.socket_path = socket_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and route_path(scope) == self.socket_path:
            scope["app"] = self
            token = request_id_var.set(request_id_of(scope))
            try:
                await self.sockets(scope, receive, send)
            finally:
                request_id_var.reset(token)
            return
        await super().__call__(scope, receive, send)


class RequestContextMiddleware:
    """Gives every request an id (the client's ``X-Request-ID`` if sane), returns it in
    a header, counts the response and logs one line per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                # Clients choose the method: keep the label's values bounded.
                method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
                self.metrics.labelled(self.metrics.http_requests, method, str(status)).inc()
                log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={"duration_ms": round((time.perf_counter() - started) * 1000, 2)},
                )
            request_id_var.reset(token)


def create_app(
    settings: Settings,
    *,
    database_url: str,
    clock: Callable[[], datetime] = utcnow,
) -> Starlette:
    """The application, serving ``database_url`` with ``settings``."""
    metrics = Metrics()
    db = Database(
        database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        statement_timeout_ms=settings.database_statement_timeout_ms,
        read_plans=settings.database_read_plans,
    )
    pubsub = PubSub(
        settings.pubsub_url,
        queue_size=settings.pubsub_queue_size,
        heartbeat_interval=settings.pubsub_heartbeat_seconds,
    )
    db.pubsub = pubsub
    services = Services(
        settings=settings,
        db=db,
        pubsub=pubsub,
        verifier=TokenVerifier(settings),
        clock=clock,
        access=Access(db, clock),
        storage=configured_storage(settings),
    )
    endpoint = GraphQLEndpoint(build_schema(settings, metrics), services)
    photos = PHOTOS
    scheduled = [job for domain in DOMAINS for job in domain.scheduled]
    expected_revision = head_revision()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def check_database(checks: dict[str, str]) -> None:
        await db.fetch(text("SELECT 1"))
        checks["database"] = "ok"
        revision = await current_revision(db.engine)
        checks["migrations"] = (
            "ok" if revision == expected_revision else f"at {revision}, want {expected_revision}"
        )

    async def readyz(request: Request) -> Response:
        checks: dict[str, str] = {}
        try:
            # A database that does not answer must not hang the probe.
            await asyncio.wait_for(check_database(checks), READY_TIMEOUT_SECONDS)
        except Exception as error:
            if "database" in checks:
                checks["migrations"] = f"unknown: {type(error).__name__}"
            else:
                checks["database"] = f"unreachable: {type(error).__name__}"
        checks["pubsub"] = "ok" if pubsub.connected else "reconnecting"
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    async def media(request: Request) -> Response:
        """A photo of a listing or repair request, for whoever may see what it belongs to;
        404 for anyone else."""
        key = request.path_params["key"]
        not_found = JSONResponse(
            {"errors": [{"message": "Not found.", "extensions": {"code": "NOT_FOUND"}}]},
            status_code=404,
        )
        if not is_storage_key(key):
            return not_found
        try:
            viewer_id, claims = await endpoint.authenticate(request.headers.get("authorization"))
        except AuthenticationError:
            return not_found
        if viewer_id is None:
            return not_found
        context = Context(
            services,
            viewer_id=viewer_id,
            claims=claims,
            request_id=request_id_var.get() or new_request_id(),
        )
        content_type = await visible_photo_type(context, photos, key)
        if content_type is None:
            return not_found
        data = await services.storage.read(key)
        if data is None:
            return not_found
        return Response(
            data,
            media_type=content_type,
            headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    async def metrics_endpoint(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def payment_webhook(request: Request) -> Response:
        """A payment provider's signed confirmation (``billing.service.webhooks``)."""
        status, answer = await receive_webhook(
            services, request.path_params["provider"], request.headers, request.stream()
        )
        return JSONResponse(answer, status_code=status)

    async def intercom_device_event(request: Request) -> Response:
        """A panel's signed event (``intercom.service.callbacks``)."""
        status, answer = await receive_device_event(
            services, request.path_params["panel"], request.headers, request.stream()
        )
        return JSONResponse(answer, status_code=status)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pubsub.start()
        # Everything built so far (schema, routes, compiled statements) lives as long as
        # the process: keep it out of the garbage collector's scans.
        gc.collect()
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            async with contextlib.AsyncExitStack() as jobs:
                for job in scheduled:
                    await jobs.enter_async_context(job(services))
                await jobs.enter_async_context(orphan_sweep_task(services, photos))
                yield
        finally:
            gc.set_threshold(*thresholds)
            await pubsub.stop()
            await db.dispose()

    middleware = [Middleware(RequestContextMiddleware, metrics=metrics)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-request-id"],
            )
        )
    app = Application(
        sockets=endpoint,
        socket_path="/graphql",
        routes=[
            # Every method reaches the endpoint, which refuses others with a coded 405.
            Route("/graphql", endpoint),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/media/{key}", media, methods=["GET"]),
            Route("/payments/webhook/{provider}", payment_webhook, methods=["POST"]),
            Route("/intercom/devices/{panel}/events", intercom_device_event, methods=["POST"]),
            *dashboard_routes(settings),
            *graphiql_routes(),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.metrics = metrics
    return app
