"""The GraphQL endpoint: authentication, content negotiation and coded HTTP errors,
on top of Strawberry's ASGI view (HTTP and both WebSocket protocols).

HTTP follows the GraphQL-over-HTTP specification: ``POST`` with an
``application/json`` body, ``GET`` for queries only (405 otherwise), and answers in
``application/graphql-response+json`` (400 for request errors) when the client asks for
it, ``application/json`` (200) otherwise. Every refusal has a JSON body whose errors
carry ``extensions.code``."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import uuid
from collections.abc import Mapping
from contextlib import suppress
from datetime import timedelta
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from edom_graphql.core.auth import AuthenticationError, Claims, parse_authorization_header
from edom_graphql.core.context import Context, Services
from edom_graphql.core.db import is_unavailable
from edom_graphql.core.errors import ErrorCode, RateLimited
from edom_graphql.core.logs import request_id_var
from edom_graphql.core.observability import (
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_MESSAGE,
    classify,
    hides_suggestions,
)
from edom_graphql.core.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from edom_graphql.core.ratelimit import Window, check_and_count
from edom_graphql.residents.service import provision_user
from edom_graphql.schema import Schema
from edom_graphql.server.graphiql.routes import graphiql_page
from edom_graphql.server.lane import QueryLane

log = logging.getLogger("edom_graphql.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
ALLOWED_METHODS = "GET, POST"
MAX_BODY_BYTES = 1_048_576
"""Largest accepted request body: a query is at most a few thousand tokens."""
MULTIPART = "multipart/form-data"
MAX_MULTIPART_BYTES = MAX_BODY_BYTES + MAX_PHOTOS * MAX_PHOTO_BYTES + 65_536
"""Largest accepted multipart (file upload) body: the operation and its photos, with room
for the parts' headers."""
UPLOADS = (Window(60, timedelta(hours=1)), Window(200, timedelta(days=1)))
"""Files a user may upload, over all mutations that take them."""
PARSED_KEY = "edom_graphql.request_data"
"""Where a request's parsed operation is kept (``scope["state"]``)."""
MAX_FILES = MAX_PHOTOS + 1
"""File parts a multipart request may carry (one more than a listing takes, so the
mutation, not the parser, reports too many photos)."""


class HttpError(Exception):
    """A refusal before GraphQL execution, answered with a coded JSON error body."""

    def __init__(
        self,
        status: int,
        message: str,
        code: ErrorCode = ErrorCode.BAD_USER_INPUT,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})
        self.extensions = extensions


def error_body(message: str, code: ErrorCode, **extensions: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code.value, **extensions}}]}


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return 0.0
            # Also false for NaN.
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0


@functools.lru_cache(maxsize=256)
def negotiate(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or ``None`` if the client
    accepts neither ``application/graphql-response+json`` nor ``application/json``.

    The most specific range that matches each type gives its quality; the higher quality
    wins, then the range named first. Without an ``Accept`` header, and when only a
    wildcard matches both, the answer is ``application/json``.
    """
    if accept is None or not accept.strip():
        return JSON
    best: dict[str, tuple[int, float, int]] = {}
    for position, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        media = media.lower()
        quality = _quality(params)
        for offered in (GRAPHQL_RESPONSE, JSON):
            if media == offered:
                specificity = 2
            elif media == "application/*":
                specificity = 1
            elif media == "*/*":
                specificity = 0
            else:
                continue
            current = best.get(offered)
            if current is None or specificity > current[0]:
                best[offered] = (specificity, quality, position)
    ranked = sorted(
        (-quality, position, offered != JSON, offered)
        for offered, (_, quality, position) in best.items()
        if quality > 0
    )
    return ranked[0][3] if ranked else None


def wants_graphql_response(accept: str | None) -> bool:
    """True when the client prefers ``application/graphql-response+json``."""
    return negotiate(accept) == GRAPHQL_RESPONSE


def _limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses a request body longer than ``limit`` bytes."""
    received = 0

    async def receive_limited() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise HttpError(413, f"The request body is larger than {limit} bytes.")
        return message

    return receive_limited


def _limited_messages(receive: Receive, send: Send, limit: int) -> Receive:
    """``receive`` of a WebSocket that closes it (1009, "message too big") on a message
    longer than ``limit`` bytes, which the application then sees as a disconnect."""

    async def receive_limited() -> Message:
        message = await receive()
        if message["type"] == "websocket.receive":
            text, data = message.get("text"), message.get("bytes")
            size = len(data) if data is not None else len(text.encode()) if text else 0
            if size > limit:
                await send(
                    {
                        "type": "websocket.close",
                        "code": 1009,
                        "reason": f"A message is at most {limit} bytes.",
                    }
                )
                return {"type": "websocket.disconnect", "code": 1009}
        return message

    return receive_limited


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == MULTIPART


def body_limit(scope: Scope) -> int:
    """Largest body accepted for the request: uploads may be larger than JSON."""
    headers = dict(scope.get("headers") or ())
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    return MAX_MULTIPART_BYTES if is_multipart(content_type) else MAX_BODY_BYTES


def _put_file(operations: dict[str, Any], path: str, file: object) -> None:
    """Put ``file`` at ``path`` (``variables.input.photos.0``) of the operation; the path
    must lead to an existing null placeholder inside ``variables``."""
    keys = path.split(".")
    if len(keys) < 2 or keys[0] != "variables":
        raise HttpError(400, f"`map` path `{path}` does not point into `variables`.")
    target: Any = operations
    for key in keys[:-1]:
        target = _step(target, key, path)
    last = keys[-1]
    if isinstance(target, dict) and last in target and target[last] is None:
        target[last] = file
    elif (
        isinstance(target, list)
        and last.isdigit()
        and int(last) < len(target)
        and target[int(last)] is None
    ):
        target[int(last)] = file
    else:
        raise HttpError(400, f"`map` path `{path}` does not point to a null placeholder.")


def _step(target: Any, key: str, path: str) -> Any:
    if isinstance(target, dict) and key in target:
        return target[key]
    if isinstance(target, list) and key.isdigit() and int(key) < len(target):
        return target[int(key)]
    raise HttpError(400, f"`map` path `{path}` does not exist in `operations`.")


MAX_MESSAGE_BYTES = MAX_BODY_BYTES
"""Largest WebSocket message accepted: the same as an HTTP request body."""
_OPTIONAL_OBJECTS = ("variables", "extensions")


def malformed_message(message: object, *, subscribe: str) -> str | None:
    """Why a message of a WebSocket protocol is malformed (None when it is not): it must
    be a JSON object with a string ``type``; an operation (``subscribe``, or the legacy
    ``start``) a string ``id`` and a ``payload`` object with a string ``query``, optional
    ``variables`` and ``extensions`` objects and an optional string ``operationName``."""
    if not isinstance(message, dict):
        return "A message must be a JSON object."
    kind = message.get("type")
    if not isinstance(kind, str):
        return "A message must have a string `type`."
    if kind in (subscribe, "complete", "stop") and not isinstance(message.get("id"), str):
        return f"A `{kind}` message must have a string `id`."
    if kind != subscribe:
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return f"The payload of `{subscribe}` must be an object."
    if not isinstance(payload.get("query"), str):
        return f"The payload of `{subscribe}` must have a string `query`."
    for key in _OPTIONAL_OBJECTS:
        if payload.get(key) is not None and not isinstance(payload[key], dict):
            return f"`{key}` must be an object."
    name = payload.get("operationName")
    if name is not None and not isinstance(name, str):
        return "`operationName` must be a string."
    return None


class TransportWebSocketHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, closing the socket with 4400 on a malformed message (the
    protocol's answer to anything it cannot read) instead of failing on it."""

    async def handle_message(self, message: Any) -> None:
        problem = malformed_message(message, subscribe="subscribe")
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        # The watchdog is cancelled once the connection is initialised: the connection
        # does not keep its finished task (and coroutine) for the rest of its life.
        self.connection_init_timeout_task = None


class LegacyWebSocketHandler(BaseGraphQLWSHandler[Context, None]):
    """The legacy ``graphql-ws`` protocol, closing (4408) a socket that does not send
    ``connection_init`` in time, like graphql-transport-ws does, and (4400) one that
    sends a malformed message."""

    async def handle_message(self, message: Any) -> None:
        problem = malformed_message(message, subscribe="start")
        if problem is not None:
            with suppress(Exception):
                await self.websocket.close(4400, problem)
            return
        await super().handle_message(message)

    async def handle(self) -> None:
        timeout = self.view.connection_init_wait_timeout.total_seconds()

        async def close_unless_initialised() -> None:
            await asyncio.sleep(timeout)
            if not self.connection_acknowledged:
                with suppress(Exception):
                    await self.websocket.close(4408, "Connection initialisation timeout")

        watchdog = asyncio.create_task(close_unless_initialised())
        try:
            await super().handle()
        finally:
            watchdog.cancel()


SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""A JSON escape of a UTF-16 surrogate; paired ones decode to one character, lone ones
stay surrogates."""


def _encodable(value: object) -> bool:
    """Every string in the decoded JSON is valid Unicode (encodes as UTF-8)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


class GraphQLEndpoint(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWebSocketHandler
    graphql_ws_handler_class = LegacyWebSocketHandler

    def __init__(self, schema: Schema, services: Services) -> None:
        settings = services.settings
        super().__init__(
            schema,
            # GraphiQL explores the schema by introspection: where that is off (production,
            # by default), a browser gets the endpoint's plain answer instead of the IDE.
            graphql_ide="graphiql" if settings.introspection_enabled else None,
            allow_queries_via_get=True,
            keep_alive=True,
            keep_alive_interval=15,
            connection_init_wait_timeout=timedelta(seconds=settings.websocket_init_timeout_seconds),
            max_subscriptions_per_connection=50,
            allowed_origins=tuple(settings.cors_origins),
            multipart_uploads_enabled=True,
        )
        self.services = services
        self.hide_suggestions = hides_suggestions(settings)
        self.lane = QueryLane(self)

    # -- authentication ---------------------------------------------------------------

    async def authenticate(self, authorization: str | None) -> tuple[int | None, Claims | None]:
        """The viewer's user id and claims; ``(None, None)`` without a token."""
        token = parse_authorization_header(authorization)
        if token is None:
            return None, None
        claims = await self.services.verifier.verify(token)
        subjects = self.services.subjects
        user_id = subjects.get(claims.subject)
        if user_id is None:
            user_id = await provision_user(
                self.services.db,
                subject=claims.subject,
                display_name=claims.display_name,
                full_name=claims.full_name,
            )
            subjects.put(claims.subject, user_id)
        return user_id, claims

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.scope.setdefault("state", {})
        return Context(
            self.services,
            viewer_id=state.get("viewer_id"),
            claims=state.get("claims"),
            request_id=request_id_var.get() or uuid.uuid4().hex,
            request=request,
        )

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        authorization = params.get("authorization") or params.get("Authorization")
        if not isinstance(authorization, str):
            raise ConnectionRejectionError({"reason": "missing authorization"})
        try:
            viewer_id, claims = await self.authenticate(authorization)
        except AuthenticationError as error:
            raise ConnectionRejectionError({"reason": error.reason}) from error
        if viewer_id is None:
            raise ConnectionRejectionError({"reason": "missing authorization"})
        context.viewer_id, context.claims = viewer_id, claims
        return None

    async def pick_websocket_subprotocol(self, request: WebSocket) -> str | None:
        """graphql-transport-ws whenever the client offers it, whatever its order: a client
        that also speaks the legacy protocol gets the maintained one."""
        offered = request["subprotocols"]
        for protocol in (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL):
            if protocol in offered and protocol in self.websocket_subprotocols:
                return protocol
        return None

    # -- HTTP ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                # The connection context must exist before connection_init arrives.
                scope.setdefault("state", {})
                receive = _limited_messages(receive, send, MAX_MESSAGE_BYTES)
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, _limited(receive, body_limit(scope)))
        try:
            response = await self.handle_http(request)
        finally:
            await request.close()  # the spooled files of a multipart body
        await response(scope, receive, send)

    async def handle_http(self, request: Request) -> Response:
        media_type = negotiate(request.headers.get("accept"))
        try:
            return await self._serve(request, media_type)
        except HttpError as error:
            return self.error_response(error, media_type)
        except HTTPException as error:
            return self.error_response(HttpError(error.status_code, error.reason), media_type)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception as error:
            request_id = request_id_var.get()
            if is_unavailable(error):
                log.warning("database unavailable serving %s: %r", request.url.path, error)
                return self.error_response(
                    HttpError(
                        503,
                        UNAVAILABLE_MESSAGE,
                        ErrorCode.SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                        requestId=request_id,
                        retryAfter=RETRY_AFTER_SECONDS,
                    ),
                    media_type,
                )
            log.exception("unexpected error serving %s %s", request.method, request.url.path)
            return self.error_response(
                HttpError(
                    500,
                    "Internal server error.",
                    ErrorCode.INTERNAL_SERVER_ERROR,
                    requestId=request_id,
                ),
                media_type,
            )

    def error_response(self, error: HttpError, media_type: str | None) -> Response:
        return JSONResponse(
            error_body(error.message, error.code, **error.extensions),
            status_code=error.status,
            media_type=media_type or JSON,
            headers=error.headers,
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's own page loads GraphiQL from a CDN; ours ships with the package.
        return graphiql_page(request)

    def renders_ide(self, request: Request) -> bool:
        return (
            bool(self.graphql_ide)
            and request.method == "GET"
            and self.should_render_graphql_ide(self.request_adapter_class(request))
        )

    async def _serve(self, request: Request, media_type: str | None) -> Response:
        if request.method not in ("GET", "POST"):
            raise HttpError(
                405,
                f"GraphQL is served over GET (queries) and POST, not {request.method}.",
                headers={"Allow": ALLOWED_METHODS},
            )
        if self.renders_ide(request):
            return await self.run(request)
        if request.method == "GET" and "query" not in request.query_params:
            raise HttpError(
                400,
                "A GET request carries its operation in the `query` parameter"
                + ("." if self.graphql_ide else "; GraphiQL is served where introspection is on."),
            )
        if media_type is None:
            raise HttpError(
                406,
                f"Accept {GRAPHQL_RESPONSE} or {JSON}: this endpoint answers in no other "
                "media type.",
            )
        declared = request.headers.get("content-length", "")
        limit = body_limit(request.scope)
        if declared.isdigit() and int(declared) > limit:
            raise HttpError(413, f"The request body is larger than {limit} bytes.")
        if is_multipart(request.headers.get("content-type")) and not request.headers.get(
            "authorization"
        ):
            # Uploads are for signed-in users only. Requiring the header also makes every
            # multipart request non-simple (a browser preflights it), so another site
            # cannot forge one with a plain HTML form (CSRF).
            raise HttpError(
                401,
                "Multipart requests must carry an Authorization header.",
                ErrorCode.UNAUTHENTICATED,
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            viewer_id, claims = await self.authenticate(request.headers.get("authorization"))
        except AuthenticationError as error:
            raise HttpError(
                401,
                f"Invalid credentials: {error.reason}.",
                ErrorCode.UNAUTHENTICATED,
                headers={
                    "WWW-Authenticate": (
                        f'Bearer error="invalid_token", error_description="{error.reason}"'
                    )
                },
            ) from error
        request.scope.setdefault("state", {}).update(viewer_id=viewer_id, claims=claims)
        response = await self._answer_in_lane(request)
        if response is None:
            response = await self.run(request)
        response.headers["content-type"] = media_type
        error_status = request.scope["state"].get("error_status")
        if media_type == GRAPHQL_RESPONSE and error_status is not None:
            response.status_code = error_status
        if request.scope["state"].get("unavailable"):
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    async def _answer_in_lane(self, request: Request) -> Response | None:
        """The query lane's answer (:mod:`edom_graphql.server.lane`), or None. The request
        data it parsed is kept for the full path, which then does not parse it again."""
        if is_multipart(request.headers.get("content-type")):
            return None
        data = await self.parse_http_body(self.request_adapter_class(request))
        request.scope["state"][PARSED_KEY] = data
        assert isinstance(data, GraphQLRequestData)  # batches are refused
        return await self.lane.answer(request, data)

    def decode_json(self, data: str | bytes) -> object:
        try:
            value = json.loads(data)
        except RecursionError as error:
            raise json.JSONDecodeError("nested too deeply", "", 0) from error
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        if SURROGATE_ESCAPE.search(text) and not _encodable(value):
            # JSON may spell a lone UTF-16 surrogate ("\ud800"); no text column can hold it.
            raise json.JSONDecodeError("a string holds an unpaired surrogate", text, 0)
        return value

    def _decode(self, raw: str | bytes, what: str) -> object:
        try:
            return self.decode_json(raw)
        except ValueError as error:
            # JSONDecodeError and UnicodeDecodeError
            raise HttpError(400, f"{what} is not valid JSON.") from error

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        raw = getattr(request, "_request", None)
        parsed = raw.scope.get("state", {}).get(PARSED_KEY) if isinstance(raw, Request) else None
        if isinstance(parsed, GraphQLRequestData):
            return parsed
        data: Mapping[str, object]
        if request.method == "GET":
            params = request.query_params
            data = {
                "query": params.get("query"),
                "operationName": params.get("operationName"),
            }
            for key in ("variables", "extensions"):
                raw = params.get(key)
                if raw:
                    data = {**data, key: self._decode(raw, f"`{key}`")}
        else:
            content_type = (request.content_type or "").split(";", 1)[0].strip().lower()
            if content_type == MULTIPART:
                return self.request_data(await self._multipart(request))
            if content_type != JSON:
                raise HttpError(
                    415,
                    f"Send the request body as {JSON}"
                    + (f", not {content_type}." if content_type else "."),
                    headers={"Accept-Post": f"{JSON}, {MULTIPART}"},
                )
            body = self._decode(await request.get_body(), "The request body")
            if not isinstance(body, dict):
                raise HttpError(
                    400,
                    "The request body must be a JSON object with a `query` "
                    "(batches are not supported).",
                )
            data = body
        return self.request_data(data)

    async def _multipart(self, request: AsyncHTTPRequestAdapter) -> Mapping[str, object]:
        """The operation of a GraphQL multipart request, its files put in place."""
        raw = getattr(request, "_request", None)
        if not isinstance(raw, Request):
            raise HttpError(415, f"Send the request body as {JSON}.")
        try:
            form = await raw.form(max_files=MAX_FILES, max_fields=MAX_FILES + 2)
        except HttpError:
            raise
        except Exception as error:  # starlette's MultiPartException and HTTPException
            raise HttpError(400, "The multipart body could not be parsed.") from error
        operations = form.get("operations")
        files_map = form.get("map")
        if not isinstance(operations, str):
            raise HttpError(400, "The multipart request has no `operations` field.")
        if not isinstance(files_map, str):
            raise HttpError(400, "The multipart request has no `map` field.")
        data = self._decode(operations, "`operations`")
        mapping = self._decode(files_map, "`map`")
        if not isinstance(data, dict):
            raise HttpError(400, "`operations` must be a JSON object (batches are not supported).")
        if not isinstance(mapping, dict) or not all(
            isinstance(paths, list) and all(isinstance(path, str) for path in paths)
            for paths in mapping.values()
        ):
            raise HttpError(400, "`map` must be a JSON object of lists of paths.")
        files = {name: form.get(name) for name in mapping}
        if any(isinstance(file, str) or file is None for file in files.values()):
            raise HttpError(400, "A file named in `map` is missing from the request.")
        await self._count_uploads(raw, len(files))
        for name, paths in mapping.items():
            for path in paths:
                _put_file(data, path, files[name])
        return data

    async def _count_uploads(self, request: Request, files: int) -> None:
        """Uploads are limited per user (:data:`UPLOADS`), counted in files: one place for
        every mutation that takes them."""
        viewer_id = request.scope.get("state", {}).get("viewer_id")
        if viewer_id is None or files == 0:
            return  # the operation itself refuses anonymous viewers
        try:
            async with self.services.db.transaction() as (session, _):
                await check_and_count(
                    session,
                    bucket="upload",
                    key=str(viewer_id),
                    user_id=viewer_id,
                    windows=UPLOADS,
                    now=self.services.clock(),
                    hits=files,
                )
        except RateLimited as limited:
            raise HttpError(
                429,
                limited.message,
                ErrorCode.RATE_LIMITED,
                headers={"Retry-After": str(limited.retry_after_seconds)},
                retryAfter=limited.retry_after_seconds,
            ) from limited

    def request_data(self, data: Mapping[str, object]) -> GraphQLRequestData:
        query = data.get("query")
        if query is None or query == "":
            raise HttpError(400, "No GraphQL query found in the request: send `query`.")
        if not isinstance(query, str):
            raise HttpError(400, "`query` must be a string.")
        variables = data.get("variables")
        if variables is not None and not isinstance(variables, dict):
            raise HttpError(400, "`variables` must be a JSON object.")
        operation_name = data.get("operationName")
        if operation_name is not None and not isinstance(operation_name, str):
            raise HttpError(400, "`operationName` must be a string.")
        extensions = data.get("extensions")
        if extensions is not None and not isinstance(extensions, dict):
            raise HttpError(400, "`extensions` must be a JSON object.")
        return GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=operation_name or None,
            extensions=extensions,
            protocol="http",
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # Subscriptions are served over WebSocket only; mutations need POST.
        allowed = {OperationType.QUERY}
        if request_adapter.method == "POST":
            allowed.add(OperationType.MUTATION)
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as error:
            message = (
                f"The document has no operation named `{error.operation_name}`."
                if error.operation_name is not None
                else "The document has no operation to run."
            )
            raise HttpError(400, message) from error
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.SUBSCRIPTION:
                raise HttpError(
                    400,
                    "Subscriptions are served over WebSocket (graphql-transport-ws) at this "
                    "URL, not over HTTP.",
                ) from error
            raise HttpError(
                405, "Mutations must be sent with POST.", headers={"Allow": "POST"}
            ) from error
        except MissingQueryError as error:
            raise HttpError(400, "No GraphQL query found in the request: send `query`.") from error

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            # Errors that bypassed the operation hooks (raised by a failing hook) get
            # their code and masking here.
            request_id = request_id_var.get()
            result.errors = [
                classify(error, request_id, hide_suggestions=self.hide_suggestions)
                for error in result.errors
            ]
        if any(
            (e.extensions or {}).get("code") == ErrorCode.SERVICE_UNAVAILABLE.value
            for e in result.errors or ()
        ):
            request.scope.setdefault("state", {})["unavailable"] = True
        response = await super().process_result(request, result)
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            # Failed before execution: a request error (parse, validation, limits), or a
            # server failure outside the resolvers. No data entry, and with the
            # graphql-response media type a 4xx or 5xx status.
            codes = {(e.extensions or {}).get("code") for e in result.errors}
            status = 400
            if ErrorCode.INTERNAL_SERVER_ERROR.value in codes:
                status = 500
            elif ErrorCode.SERVICE_UNAVAILABLE.value in codes:
                status = 503
            request.scope.setdefault("state", {})["error_status"] = status
            if wants_graphql_response(request.headers.get("accept")):
                response.pop("data", None)
        return response

    def encode_json(self, data: object) -> str:
        # Text, not bytes: WebSocket messages of graphql-transport-ws are text frames.
        return orjson.dumps(data).decode()
