"""The GraphQL endpoint: authentication, content negotiation and coded HTTP errors,
on top of Strawberry's ASGI view (HTTP and both WebSocket protocols)."""

from __future__ import annotations

import json
import logging
import uuid
from collections import OrderedDict
from datetime import timedelta
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from edom_graphql.core.auth import AuthenticationError, Claims, parse_authorization_header
from edom_graphql.core.context import Context, Services
from edom_graphql.core.errors import ErrorCode
from edom_graphql.core.logs import request_id_var
from edom_graphql.residents.service import provision_user
from edom_graphql.schema import Schema

log = logging.getLogger("edom_graphql.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
SUBJECT_CACHE_SIZE = 10_000


def error_body(message: str, code: ErrorCode, **extensions: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code.value, **extensions}}]}


def wants_graphql_response(accept: str | None) -> bool:
    """True when the client prefers ``application/graphql-response+json``."""
    if not accept:
        return False
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if media in (GRAPHQL_RESPONSE, JSON, "application/*", "*/*"):
            ranked.append((-quality, index, media))
    if not ranked:
        return False
    ranked.sort()
    return ranked[0][2] == GRAPHQL_RESPONSE and ranked[0][0] < 0


class GraphQLEndpoint(GraphQL[Context, None]):
    def __init__(self, schema: Schema, services: Services) -> None:
        settings = services.settings
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            keep_alive=True,
            keep_alive_interval=15,
            connection_init_wait_timeout=timedelta(seconds=settings.websocket_init_timeout_seconds),
            max_subscriptions_per_connection=50,
            allowed_origins=tuple(settings.cors_origins),
        )
        self.services = services
        self._subjects: OrderedDict[str, int] = OrderedDict()

    # -- authentication ---------------------------------------------------------------

    async def authenticate(self, authorization: str | None) -> tuple[int | None, Claims | None]:
        """The viewer's user id and claims; ``(None, None)`` without a token."""
        token = parse_authorization_header(authorization)
        if token is None:
            return None, None
        claims = await self.services.verifier.verify(token)
        user_id = self._subjects.get(claims.subject)
        if user_id is None:
            user_id = await provision_user(
                self.services.db, subject=claims.subject, name=claims.name
            )
            self._subjects[claims.subject] = user_id
            if len(self._subjects) > SUBJECT_CACHE_SIZE:
                self._subjects.popitem(last=False)
        else:
            self._subjects.move_to_end(claims.subject)
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

    # -- HTTP ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                # The connection context must exist before connection_init arrives.
                scope.setdefault("state", {})
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        response = await self.handle_http(request)
        await response(scope, receive, send)

    async def handle_http(self, request: Request) -> Response:
        graphql_response = wants_graphql_response(request.headers.get("accept"))
        media_type = GRAPHQL_RESPONSE if graphql_response else JSON
        is_ide = request.method == "GET" and "text/html" in request.headers.get("accept", "")
        if not is_ide:
            try:
                viewer_id, claims = await self.authenticate(request.headers.get("authorization"))
            except AuthenticationError as error:
                return JSONResponse(
                    error_body(error.reason, ErrorCode.UNAUTHENTICATED),
                    status_code=401,
                    media_type=media_type,
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            request.scope.setdefault("state", {}).update(viewer_id=viewer_id, claims=claims)
        try:
            response = await self.run(request)
        except HTTPException as error:
            status = error.status_code
            headers = {}
            if request.method == "GET" and "not allowed when using GET" in error.reason:
                status = 405
                headers["Allow"] = "POST"
            elif status == 405:
                headers["Allow"] = "GET, POST"
            return JSONResponse(
                error_body(error.reason, ErrorCode.BAD_USER_INPUT),
                status_code=status,
                media_type=media_type,
                headers=headers,
            )
        if response.media_type == JSON or response.headers.get("content-type", "").startswith(JSON):
            response.headers["content-type"] = media_type
            if graphql_response and request.scope.get("state", {}).get("request_error"):
                response.status_code = 400
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            # Failed before execution (parse, validation, limits): a request error.
            request.scope.setdefault("state", {})["request_error"] = True
            if wants_graphql_response(request.headers.get("accept")):
                response.pop("data", None)
        return response

    def encode_json(self, data: object) -> str:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
