"""The FCM and APNs adapters' requests and how they read answers (Google's and Apple's
servers cannot run here: the requests go to an in-process transport that records them),
and which providers the settings configure."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from edom_graphql.notifications.models import PushPlatform
from edom_graphql.notifications.service.delivery import providers_of
from edom_graphql.notifications.service.mobile import (
    FCM_SCOPE,
    ApnsProvider,
    FcmProvider,
    ServiceAccountTokens,
)
from edom_graphql.notifications.service.push import (
    Outcome,
    PushMessage,
    PushTarget,
    vapid_key_of,
)
from edom_graphql.settings import Settings

MESSAGE = PushMessage(
    "Tm90aWZpY2F0aW9uOjE=", "INTERCOM_CALL", "Звонок в домофон", None, "t", "Домофон"
)
APNS_TOKEN = "ab" * 32


def recorder(
    answer: Callable[[httpx.Request], httpx.Response],
) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle)), seen


async def token() -> str:
    return "access-token"


async def test_fcm_request_and_answers() -> None:
    answers = iter(
        [
            httpx.Response(200, json={"name": "projects/p/messages/1"}),
            httpx.Response(
                404,
                json={"error": {"status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}},
            ),
            httpx.Response(503, text="unavailable"),
            httpx.Response(400, json={"error": {"status": "INVALID_ARGUMENT"}}),
        ]
    )
    client, seen = recorder(lambda request: next(answers))
    fcm = FcmProvider("edom-app", token, client)
    target = PushTarget(PushPlatform.FCM, "fcm-token-1")
    outcomes = [(await fcm.send(target, MESSAGE)).outcome for _ in range(4)]
    assert outcomes == [Outcome.SENT, Outcome.GONE, Outcome.RETRY, Outcome.FAILED]
    request = seen[0]
    assert str(request.url) == "https://fcm.googleapis.com/v1/projects/edom-app/messages:send"
    assert request.headers["authorization"] == "Bearer access-token"
    body = json.loads(request.content)
    assert body == {
        "message": {
            "token": "fcm-token-1",
            "notification": {"title": "Домофон", "body": "Звонок в домофон"},
            "data": {
                "id": "Tm90aWZpY2F0aW9uOjE=",
                "kind": "INTERCOM_CALL",
                "title": "Домофон",
                "message": "Звонок в домофон",
                "subjectId": "",
                "createdAt": "t",
            },
            "android": {"priority": "HIGH"},
        }
    }
    await client.aclose()


async def test_service_account_tokens_are_a_signed_jwt_exchange() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    account = {"client_email": "push@edom-app.iam.gserviceaccount.com", "private_key": pem}
    client, seen = recorder(
        lambda request: httpx.Response(200, json={"access_token": "ya29.x", "expires_in": 3600})
    )
    tokens = ServiceAccountTokens(account, client)
    assert await tokens() == "ya29.x"
    assert await tokens() == "ya29.x"
    assert len(seen) == 1  # cached
    form = dict(x.split("=", 1) for x in seen[0].content.decode().split("&"))
    assert form["grant_type"] == "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
    claims = jwt.decode(
        form["assertion"],
        key.public_key(),
        algorithms=["RS256"],
        audience="https://oauth2.googleapis.com/token",
    )
    assert claims["iss"] == account["client_email"]
    assert claims["scope"] == FCM_SCOPE
    await client.aclose()


async def test_apns_request_and_answers() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    answers = iter(
        [
            httpx.Response(200),
            httpx.Response(410, json={"reason": "Unregistered"}),
            httpx.Response(400, json={"reason": "BadDeviceToken"}),
            httpx.Response(429, json={"reason": "TooManyRequests"}),
            httpx.Response(400, json={"reason": "PayloadTooLarge"}),
        ]
    )
    client, seen = recorder(lambda request: next(answers))
    apns = ApnsProvider(
        team_id="TEAM123456",
        key_id="KEY1234567",
        private_key=pem,
        topic="ru.edom.app",
        client=client,
        sandbox=True,
    )
    target = PushTarget(PushPlatform.APNS, APNS_TOKEN)
    outcomes = [(await apns.send(target, MESSAGE)).outcome for _ in range(5)]
    assert outcomes == [Outcome.SENT, Outcome.GONE, Outcome.GONE, Outcome.RETRY, Outcome.FAILED]
    request = seen[0]
    assert str(request.url) == f"https://api.sandbox.push.apple.com/3/device/{APNS_TOKEN}"
    assert request.headers["apns-topic"] == "ru.edom.app"
    assert request.headers["apns-push-type"] == "alert"
    assert request.headers["apns-priority"] == "10"
    scheme, bearer = request.headers["authorization"].split(" ")
    assert scheme == "bearer"
    assert jwt.get_unverified_header(bearer)["kid"] == "KEY1234567"
    claims = jwt.decode(bearer, key.public_key(), algorithms=["ES256"])
    assert claims["iss"] == "TEAM123456"
    body = json.loads(request.content)
    assert body["aps"]["alert"] == {"title": "Домофон", "body": "Звонок в домофон"}
    assert body["id"] == MESSAGE.notification_id
    await client.aclose()


async def test_a_network_failure_is_retried() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client, _ = recorder(fail)
    fcm = FcmProvider("p", token, client)
    result = await fcm.send(PushTarget(PushPlatform.FCM, "t"), MESSAGE)
    assert result.outcome is Outcome.RETRY
    assert result.error is not None
    assert "ConnectError" in result.error
    await client.aclose()


async def test_providers_of_the_settings(tmp_path: Path) -> None:
    async with httpx.AsyncClient() as client:
        plain = Settings(data_dir=tmp_path)
        assert set(providers_of(plain, client)) == {PushPlatform.WEB_PUSH}
        assert (tmp_path / "vapid-key.pem").exists()  # made at first start
        key = ec.generate_private_key(ec.SECP256R1())
        (tmp_path / "apns.p8").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (tmp_path / "account.json").write_text(
            json.dumps({"client_email": "a", "private_key": "k"})
        )
        full = Settings(
            data_dir=tmp_path,
            fcm_project_id="p",
            fcm_service_account_file=tmp_path / "account.json",
            apns_team_id="T",
            apns_key_id="K",
            apns_key_file=tmp_path / "apns.p8",
            apns_topic="ru.edom.app",
        )
        assert set(providers_of(full, client)) == set(PushPlatform)


def test_production_requires_a_vapid_key(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="EDOM_VAPID_PRIVATE_KEY"):
        vapid_key_of(Settings(environment="production", data_dir=tmp_path))
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    configured = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    loaded = vapid_key_of(
        Settings(environment="production", data_dir=tmp_path, vapid_private_key=configured)
    )
    assert loaded.private_numbers().private_value == key.private_numbers().private_value
