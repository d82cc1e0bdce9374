"""Push adapters for phones' native services: FCM (Android) and APNs (iOS).

**FCM, HTTP v1.** ``POST https://fcm.googleapis.com/v1/projects/<project>/messages:send``
with ``Authorization: Bearer <OAuth 2 access token>`` and a JSON body
``{"message": {"token": <registration token>, "notification": {"title", "body"},
"data": {string → string}, "android": {"priority": "HIGH"}}}``. The access token comes
from the project's service account: an RS256 JWT (``iss`` the account's email, ``scope``
``https://www.googleapis.com/auth/firebase.messaging``, ``aud`` the token URI, one hour)
exchanged at ``https://oauth2.googleapis.com/token`` (grant type
``urn:ietf:params:oauth:grant-type:jwt-bearer``); :class:`ServiceAccountTokens` caches
it. An error body's ``error.details[].errorCode`` ``UNREGISTERED`` (HTTP 404) means the
app was uninstalled: the device is gone; 429 and 5xx are retried.

**APNs, HTTP/2.** ``POST https://api.push.apple.com/3/device/<device token>`` (sandbox:
``api.sandbox.push.apple.com``) with ``authorization: bearer <JWT>`` (ES256 signed with
the team's .p8 key, header ``kid`` the key id, claims ``iss`` the team id and ``iat``;
reused for up to an hour, refreshed after 50 minutes), ``apns-topic`` the app's bundle
id, ``apns-push-type: alert``, ``apns-priority: 10`` and the body
``{"aps": {"alert": {"title", "body"}, "sound": "default"}, <data>}``. 410
(``Unregistered``) and 400 ``BadDeviceToken`` mean the token is gone; 429 and 5xx are
retried. APNs speaks only HTTP/2: give the adapter an ``httpx.AsyncClient(http2=True)``
(which needs the ``h2`` package, ``httpx[http2]``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jwt

from edom_graphql.notifications.service.push import (
    MAX_ERROR_LENGTH,
    Outcome,
    PushMessage,
    PushResult,
    PushTarget,
)

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL)
APNS_TOKEN_SECONDS = 50 * 60
TokenSource = Callable[[], Awaitable[str]]


def _data(message: PushMessage) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in message.payload().items()}


def _error(status: int, body: str) -> str:
    return f"HTTP {status}: {body}"[:MAX_ERROR_LENGTH]


class ServiceAccountTokens:
    """OAuth 2 access tokens of a Google service account (its JSON key), cached."""

    def __init__(self, account: dict[str, Any], client: httpx.AsyncClient) -> None:
        self._account = account
        self._client = client
        self._token: tuple[float, str] | None = None

    async def __call__(self) -> str:
        now = time.time()
        if self._token is not None and self._token[0] - now > 300:
            return self._token[1]
        uri = self._account.get("token_uri", GOOGLE_TOKEN_URI)
        assertion = jwt.encode(
            {
                "iss": self._account["client_email"],
                "scope": FCM_SCOPE,
                "aud": uri,
                "iat": int(now),
                "exp": int(now) + 3600,
            },
            self._account["private_key"],
            algorithm="RS256",
        )
        response = await self._client.post(
            uri,
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion,
            },
        )
        response.raise_for_status()
        answer = response.json()
        self._token = (now + float(answer.get("expires_in", 3600)), answer["access_token"])
        return self._token[1]


class FcmProvider:
    """Firebase Cloud Messaging, HTTP v1 API."""

    def __init__(
        self,
        project_id: str,
        tokens: TokenSource,
        client: httpx.AsyncClient,
        *,
        base_url: str = "https://fcm.googleapis.com",
    ) -> None:
        self.url = f"{base_url}/v1/projects/{project_id}/messages:send"
        self._tokens = tokens
        self._client = client

    def body(self, target: PushTarget, message: PushMessage) -> dict[str, Any]:
        return {
            "message": {
                "token": target.endpoint,
                "notification": {"title": message.title, "body": message.message},
                "data": _data(message),
                "android": {"priority": "HIGH"},
            }
        }

    async def send(self, target: PushTarget, message: PushMessage) -> PushResult:
        try:
            token = await self._tokens()
            response = await self._client.post(
                self.url,
                json=self.body(target, message),
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as error:
            return PushResult(Outcome.RETRY, f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH])
        status, text = response.status_code, response.text
        if status < 300:
            return PushResult(Outcome.SENT)
        if "UNREGISTERED" in _fcm_codes(text):
            return PushResult(Outcome.GONE, _error(status, text))
        if status == 429 or status >= 500:
            return PushResult(Outcome.RETRY, _error(status, text))
        return PushResult(Outcome.FAILED, _error(status, text))


def _fcm_codes(text: str) -> set[str]:
    try:
        details = json.loads(text).get("error", {}).get("details", [])
    except (ValueError, AttributeError):
        return set()
    return {d.get("errorCode", "") for d in details if isinstance(d, dict)}


class ApnsProvider:
    """Apple Push Notification service, token-based (JWT) authentication over HTTP/2."""

    def __init__(
        self,
        *,
        team_id: str,
        key_id: str,
        private_key: str,
        topic: str,
        client: httpx.AsyncClient,
        sandbox: bool = False,
    ) -> None:
        host = "api.sandbox.push.apple.com" if sandbox else "api.push.apple.com"
        self.base_url = f"https://{host}"
        self._team_id = team_id
        self._key_id = key_id
        self._key = private_key
        self._topic = topic
        self._client = client
        self._jwt: tuple[float, str] | None = None

    def bearer(self) -> str:
        now = time.time()
        if self._jwt is None or now - self._jwt[0] > APNS_TOKEN_SECONDS:
            token = jwt.encode(
                {"iss": self._team_id, "iat": int(now)},
                self._key,
                algorithm="ES256",
                headers={"kid": self._key_id},
            )
            self._jwt = (now, token)
        return self._jwt[1]

    def request(self, target: PushTarget, message: PushMessage) -> httpx.Request:
        body = {
            "aps": {"alert": {"title": message.title, "body": message.message}, "sound": "default"},
            **_data(message),
        }
        return self._client.build_request(
            "POST",
            f"{self.base_url}/3/device/{target.endpoint}",
            json=body,
            headers={
                "authorization": f"bearer {self.bearer()}",
                "apns-topic": self._topic,
                "apns-push-type": "alert",
                "apns-priority": "10",
                "apns-expiration": str(int(time.time()) + 24 * 3600),
            },
        )

    async def send(self, target: PushTarget, message: PushMessage) -> PushResult:
        try:
            response = await self._client.send(self.request(target, message))
        except httpx.HTTPError as error:
            return PushResult(Outcome.RETRY, f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH])
        status, text = response.status_code, response.text
        if status < 300:
            return PushResult(Outcome.SENT)
        if status == 410 or (status == 400 and "BadDeviceToken" in text):
            return PushResult(Outcome.GONE, _error(status, text))
        if status == 429 or status >= 500:
            return PushResult(Outcome.RETRY, _error(status, text))
        return PushResult(Outcome.FAILED, _error(status, text))
