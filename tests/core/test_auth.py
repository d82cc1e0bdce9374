"""Bearer-token verification, the Authorization header and the development issuer."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from edom_graphql.core.auth import (
    AuthenticationError,
    Claims,
    TokenVerifier,
    dev_public_key_pem,
    issue_dev_token,
    load_or_create_dev_key,
    parse_authorization_header,
)
from edom_graphql.settings import Settings

ISSUER = "https://id.example.test/realms/edom"
AUDIENCE = "edom-graphql"


# --- helpers -------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(value: Any) -> str:
    return b64url(json.dumps(value).encode())


def craft(header: Any, payload: Any, signature: bytes = b"") -> str:
    """Assemble a compact token by hand, without any validation."""
    return f"{b64json(header)}.{b64json(payload)}.{b64url(signature)}"


def claims_for(settings: Settings, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": settings.oidc_issuer,
        "aud": settings.oidc_audience,
        "sub": "user-1",
        "name": "Ana",
        "iat": now,
        "exp": now + 600,
    }
    for claim, value in overrides.items():
        if value is ...:
            payload.pop(claim, None)
        else:
            payload[claim] = value
    return payload


def public_pem(private_key: Any) -> str:
    return (
        private_key.public_key()
        .public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode("ascii")
    )


async def refused(verifier: TokenVerifier, token: Any) -> str:
    with pytest.raises(AuthenticationError) as info:
        await verifier.verify(token)
    assert str(info.value) == info.value.reason
    return info.value.reason


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(environment="development", data_dir=tmp_path)


@pytest.fixture
def dev_key(settings: Settings) -> Ed25519PrivateKey:
    return load_or_create_dev_key(settings.dev_key_path)


@pytest.fixture
def verifier(settings: Settings, dev_key: Ed25519PrivateKey) -> TokenVerifier:
    return TokenVerifier(settings)


@pytest.fixture
def sign(settings: Settings, dev_key: Ed25519PrivateKey) -> Any:
    """Sign a payload with the development key."""

    def _sign(payload: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        # PyJWS rather than jwt.encode: claims of the wrong type must reach the verifier as is.
        return jwt.PyJWS().encode(
            json.dumps(payload).encode(), dev_key, algorithm="EdDSA", headers=headers
        )

    return _sign


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class JwksServer:
    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                body = json.dumps({"keys": server.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"

    def add(self, jwk: dict[str, Any], kid: str) -> None:
        self.keys.append({**jwk, "kid": kid, "use": "sig"})


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/jwks.json"


# --- development tokens --------------------------------------------------------------------


async def test_dev_token_round_trips_to_claims(settings: Settings, verifier: TokenVerifier) -> None:
    now = datetime.now(UTC)
    token = issue_dev_token(settings, subject="user-42", name="  Ana Kowalska \n", ttl_seconds=600)

    claims = await verifier.verify(token)

    assert claims.subject == "user-42"
    assert claims.full_name == "Ana Kowalska"
    assert claims.display_name == "Ana K."
    assert claims.expires_at.tzinfo is not None
    assert claims.expires_at.utcoffset() == timedelta(0)
    assert abs(claims.expires_at - (now + timedelta(seconds=600))) < timedelta(seconds=5)
    assert verifier.key_source == "development"


def test_dev_token_contents(settings: Settings, dev_key: Ed25519PrivateKey) -> None:
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    token = issue_dev_token(settings, subject="user-1", name="Ana", ttl_seconds=120, now=now)
    other = issue_dev_token(settings, subject="user-1", name="Ana", now=now)

    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, options={"verify_signature": False})

    assert header["alg"] == "EdDSA"
    assert header["kid"] == jwt.get_unverified_header(other)["kid"]
    assert len(header["kid"]) == 43
    stamp = int(now.timestamp())
    assert payload["iss"] == settings.oidc_issuer
    assert payload["aud"] == settings.oidc_audience
    assert payload["sub"] == "user-1"
    assert payload["name"] == "Ana"
    assert payload["iat"] == payload["nbf"] == stamp
    assert payload["exp"] == stamp + 120
    assert len(payload["jti"]) == 32
    other_payload = jwt.decode(other, options={"verify_signature": False})
    assert other_payload["exp"] == stamp + settings.dev_token_ttl_seconds
    assert other_payload["jti"] != payload["jti"]


def test_issue_dev_token_rejects_bad_arguments(settings: Settings) -> None:
    with pytest.raises(ValueError, match="subject"):
        issue_dev_token(settings, subject="", name="x")
    with pytest.raises(ValueError, match="subject"):
        issue_dev_token(settings, subject="s" * 256, name="x")
    with pytest.raises(ValueError, match="ttl_seconds"):
        issue_dev_token(settings, subject="u", name="x", ttl_seconds=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        issue_dev_token(settings, subject="u", name="x", now=datetime(2030, 1, 1))


# --- time-based claims ---------------------------------------------------------------------


async def test_expired_token(settings: Settings, verifier: TokenVerifier) -> None:
    token = issue_dev_token(
        settings,
        subject="u",
        name="x",
        ttl_seconds=3600,
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    assert await refused(verifier, token) == "token expired"


async def test_expiry_within_leeway_is_accepted(
    settings: Settings, verifier: TokenVerifier, sign: Any
) -> None:
    now = int(time.time())
    token = sign(claims_for(settings, iat=now - 100, exp=now - 10))
    assert (await verifier.verify(token)).subject == "user-1"

    strict = TokenVerifier(settings.model_copy(update={"oidc_leeway_seconds": 0}))
    assert await refused(strict, token) == "token expired"


async def test_not_yet_valid_token(settings: Settings, verifier: TokenVerifier, sign: Any) -> None:
    now = int(time.time())
    assert await refused(verifier, sign(claims_for(settings, nbf=now + 600))) == (
        "token not yet valid"
    )
    future = issue_dev_token(
        settings, subject="u", name="x", now=datetime.now(UTC) + timedelta(minutes=10)
    )
    assert await refused(verifier, future) == "token not yet valid"
    # Within the leeway.
    assert await verifier.verify(sign(claims_for(settings, nbf=now + 10)))


async def test_token_issued_in_the_future(
    settings: Settings, verifier: TokenVerifier, sign: Any
) -> None:
    now = int(time.time())
    token = sign(claims_for(settings, iat=now + 600, exp=now + 1200))
    assert await refused(verifier, token) == "token issued in the future"
    assert await verifier.verify(sign(claims_for(settings, iat=now + 10)))


# --- issuer, audience, required claims ------------------------------------------------------


async def test_wrong_issuer(settings: Settings, verifier: TokenVerifier, sign: Any) -> None:
    token = sign(claims_for(settings, iss="https://evil.example.test"))
    assert await refused(verifier, token) == "wrong issuer"


async def test_wrong_audience(settings: Settings, verifier: TokenVerifier, sign: Any) -> None:
    assert await refused(verifier, sign(claims_for(settings, aud="other-api"))) == (
        "wrong audience"
    )
    assert await refused(verifier, sign(claims_for(settings, aud=["a", "b"]))) == ("wrong audience")


async def test_audience_list_containing_ours_is_accepted(
    settings: Settings, verifier: TokenVerifier, sign: Any
) -> None:
    token = sign(claims_for(settings, aud=["account", settings.oidc_audience]))
    assert (await verifier.verify(token)).subject == "user-1"


@pytest.mark.parametrize("claim", ["sub", "exp", "iat", "iss", "aud"])
async def test_missing_required_claim(
    settings: Settings, verifier: TokenVerifier, sign: Any, claim: str
) -> None:
    token = sign(claims_for(settings, **{claim: ...}))
    assert await refused(verifier, token) == f"missing claim: {claim}"


async def test_null_claim_counts_as_missing(
    settings: Settings, verifier: TokenVerifier, sign: Any
) -> None:
    assert await refused(verifier, sign(claims_for(settings, sub=None))) == "missing claim: sub"


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", "9999999999"),
        ("exp", True),
        ("exp", [1]),
        ("exp", float("nan")),
        ("exp", 1e300),
        ("exp", 10**40),
        ("iat", "now"),
        ("nbf", "0"),
        ("sub", ""),
        ("sub", "s" * 256),
        ("sub", 42),
        ("sub", {"id": 1}),
        ("iss", 7),
        ("aud", 5),
        ("aud", [AUDIENCE, 5]),
    ],
)
async def test_claims_of_wrong_type(
    settings: Settings, verifier: TokenVerifier, sign: Any, claim: str, value: Any
) -> None:
    token = sign(claims_for(settings, **{claim: value}))
    assert await refused(verifier, token) == f"invalid claim: {claim}"


async def test_longest_subject_is_accepted(
    settings: Settings, verifier: TokenVerifier, sign: Any
) -> None:
    claims = await verifier.verify(sign(claims_for(settings, sub="s" * 255)))
    assert claims.subject == "s" * 255


@pytest.mark.parametrize(
    ("overrides", "full_name"),
    [
        ({"name": "  Ana  Kowalska "}, "Ana Kowalska"),
        ({"name": ..., "preferred_username": "ana.k"}, None),
        ({"name": "   "}, None),
        ({"name": 12}, None),
        ({"name": ...}, None),
        ({"name": ["Ana"]}, None),
        ({"name": "x" * 500}, "x" * 200),
        # what cannot be shown or stored is dropped, not refused: a sign-in never fails
        # for a name
        ({"name": "Ana\u202e Kowalska"}, "Ana Kowalska"),
        ({"name": "An\u200ba\x00 K\ud800owalska\n"}, "Ana Kowalska"),
        ({"name": "\u200b\u2066"}, None),
    ],
)
async def test_full_name_is_the_name_claim_cleaned(
    settings: Settings,
    verifier: TokenVerifier,
    sign: Any,
    overrides: dict[str, Any],
    full_name: str | None,
) -> None:
    claims = await verifier.verify(sign(claims_for(settings, **overrides)))
    assert claims.full_name == full_name


@pytest.mark.parametrize(
    ("overrides", "display_name"),
    [
        # the full name never becomes the display name: given name and family initial
        ({"name": "Ana Kowalska", "given_name": "Ana", "family_name": "Kowalska"}, "Ana K."),
        ({"name": "Иван Петров", "given_name": "Иван", "family_name": "Петров"}, "Иван П."),
        ({"given_name": "Anna Maria", "family_name": "Nowak"}, "Anna N."),
        ({"given_name": "Ana"}, "Ana"),
        ({"given_name": "Ana\u202e", "family_name": "\u200bKowalska"}, "Ana K."),
        ({"name": "Ana Kowalska"}, "Resident"),
        ({"name": "Ana Kowalska", "preferred_username": "ana.kowalska"}, "Resident"),
        ({"given_name": "\u200b", "family_name": "Kowalska"}, "Resident"),
        ({"given_name": 7}, "Resident"),
    ],
)
async def test_display_name_does_not_identify(
    settings: Settings,
    verifier: TokenVerifier,
    sign: Any,
    overrides: dict[str, Any],
    display_name: str,
) -> None:
    claims = await verifier.verify(sign(claims_for(settings, **overrides)))
    assert claims.display_name == display_name


@pytest.mark.parametrize("subject", ["user\x00", "user\ud800", "user\n1", "\u200e"])
async def test_unprintable_subject_is_refused(
    settings: Settings, verifier: TokenVerifier, sign: Any, subject: str
) -> None:
    with pytest.raises(AuthenticationError, match="invalid claim: sub"):
        await verifier.verify(sign(claims_for(settings, sub=subject)))


async def test_float_expiry_is_accepted(
    settings: Settings, verifier: TokenVerifier, sign: Any
) -> None:
    exp = time.time() + 600.5
    claims = await verifier.verify(sign(claims_for(settings, exp=exp)))
    assert claims.expires_at == datetime.fromtimestamp(exp, tz=UTC)


def test_claims_are_immutable() -> None:
    claims = Claims(
        subject="u", full_name=None, display_name="Resident", expires_at=datetime.now(UTC)
    )
    with pytest.raises(AttributeError):
        claims.subject = "v"  # type: ignore[misc]


# --- algorithms, keys and headers ----------------------------------------------------------


@pytest.mark.parametrize("signature", [b"", b"not-a-signature"])
async def test_alg_none_is_refused(
    settings: Settings, verifier: TokenVerifier, signature: bytes
) -> None:
    token = craft({"alg": "none", "typ": "JWT"}, claims_for(settings), signature)
    assert await refused(verifier, token) == "algorithm not allowed"


@pytest.mark.parametrize("header", [{"typ": "JWT"}, {"alg": None}, {"alg": 256}, {"alg": ""}])
async def test_missing_or_odd_alg_is_refused(
    settings: Settings, verifier: TokenVerifier, header: dict[str, Any]
) -> None:
    token = craft(header, claims_for(settings), b"x" * 64)
    assert await refused(verifier, token) == "algorithm not allowed"


def hs256(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{b64json(header)}.{b64json(payload)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


async def test_hmac_with_public_key_as_secret_is_refused(
    settings: Settings, verifier: TokenVerifier
) -> None:
    pem = dev_public_key_pem(settings).encode()
    token = hs256({"alg": "HS256", "typ": "JWT"}, claims_for(settings), pem)
    assert await refused(verifier, token) == "algorithm not allowed"


async def test_hmac_confusion_against_rsa_pem_is_refused(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    pem = public_pem(rsa_key)
    settings = Settings(
        environment="production",
        data_dir=tmp_path,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_public_key=pem,
    )
    verifier = TokenVerifier(settings)
    token = hs256({"alg": "HS256", "typ": "JWT"}, claims_for(settings), pem.encode())
    assert await refused(verifier, token) == "algorithm not allowed"


async def test_foreign_key_is_refused(settings: Settings, verifier: TokenVerifier) -> None:
    foreign = Ed25519PrivateKey.generate()
    token = jwt.encode(claims_for(settings), foreign, algorithm="EdDSA")
    assert await refused(verifier, token) == "invalid signature"


async def test_tampered_payload_is_refused(
    settings: Settings, verifier: TokenVerifier, sign: Any
) -> None:
    header, _, signature = sign(claims_for(settings)).split(".")
    forged = b64json(claims_for(settings, sub="admin"))
    assert await refused(verifier, f"{header}.{forged}.{signature}") == "invalid signature"


async def test_allowed_algorithm_with_wrong_key_type_is_refused(
    settings: Settings, verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(claims_for(settings), rsa_key, algorithm="RS256")
    assert await refused(verifier, token) == "algorithm does not match key"


async def test_algorithm_outside_settings_is_refused(
    settings: Settings, rsa_key: rsa.RSAPrivateKey
) -> None:
    verifier = TokenVerifier(settings.model_copy(update={"oidc_algorithms": ["EdDSA"]}))
    token = jwt.encode(claims_for(settings), rsa_key, algorithm="PS256")
    assert await refused(verifier, token) == "algorithm not allowed"


@pytest.mark.parametrize("parameter", ["jku", "jwk", "x5u", "x5c", "crit"])
async def test_key_pointing_headers_are_refused(
    settings: Settings, verifier: TokenVerifier, parameter: str
) -> None:
    attacker = Ed25519PrivateKey.generate()
    values: dict[str, Any] = {
        "jku": "https://evil.example.test/jwks.json",
        "jwk": OKPAlgorithm.to_jwk(attacker.public_key(), as_dict=True),
        "x5u": "https://evil.example.test/cert.pem",
        "x5c": ["MIIB"],
        "crit": ["exp"],
    }
    token = jwt.encode(
        claims_for(settings), attacker, algorithm="EdDSA", headers={parameter: values[parameter]}
    )
    assert await refused(verifier, token) == "unsupported token header"


async def test_b64_header_is_refused(settings: Settings, verifier: TokenVerifier) -> None:
    token = craft({"alg": "EdDSA", "b64": False, "crit": ["b64"]}, claims_for(settings), b"x")
    assert await refused(verifier, token) == "unsupported token header"
    token = craft({"alg": "EdDSA", "b64": False}, claims_for(settings), b"x")
    assert await refused(verifier, token) == "unsupported token header"


@pytest.mark.parametrize("kid", [5, None, ["a"], {"k": 1}])
async def test_kid_that_is_not_a_string(
    settings: Settings, verifier: TokenVerifier, kid: Any
) -> None:
    token = craft({"alg": "EdDSA", "kid": kid}, claims_for(settings), b"x")
    assert await refused(verifier, token) == "malformed token"


async def test_token_type(settings: Settings, verifier: TokenVerifier, sign: Any) -> None:
    assert await verifier.verify(sign(claims_for(settings), headers={"typ": "at+jwt"}))
    assert await verifier.verify(sign(claims_for(settings), headers={"typ": None}))
    token = sign(claims_for(settings), headers={"typ": "dpop+jwt"})
    assert await refused(verifier, token) == "unsupported token type"


# --- malformed input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "a.b",
        "a.b.c.d",
        "!!!.@@@.###",
        "abc.def.ghi",
        "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0",
        " eyJhbGciOiJFZERTQSJ9.e30.c2ln",
        "eyJhbGciOiJFZERTQSJ9.e30.c2ln\n",
        "ąęś.źżć.łóń",
        "e30.e30.\u0000",
        "===.===.===",
    ],
)
async def test_garbage_is_refused(verifier: TokenVerifier, token: str) -> None:
    assert await refused(verifier, token) == "malformed token"


@pytest.mark.parametrize("header", [["alg", "EdDSA"], "EdDSA", 42, None])
async def test_header_that_is_not_an_object(
    settings: Settings, verifier: TokenVerifier, header: Any
) -> None:
    token = craft(header, claims_for(settings), b"x" * 64)
    assert await refused(verifier, token) == "malformed token"


async def test_header_that_is_not_json_or_utf8(settings: Settings, verifier: TokenVerifier) -> None:
    payload = b64json(claims_for(settings))
    for raw in (b"{not json", b"\xff\xfe\xfd", b'{"alg": "EdDSA"'):
        token = f"{b64url(raw)}.{payload}.{b64url(b'x' * 64)}"
        assert await refused(verifier, token) == "malformed token"


async def test_deeply_nested_header(settings: Settings, verifier: TokenVerifier) -> None:
    raw = b"[" * 3000 + b"]" * 3000
    token = f"{b64url(raw)}.{b64json(claims_for(settings))}.{b64url(b'x')}"
    assert await refused(verifier, token) == "malformed token"


@pytest.mark.parametrize(
    "payload", [b"[1, 2]", b'"text"', b"not json", b'{"sub": "a", "sub": "admin"}']
)
async def test_signed_payload_that_is_not_a_claims_object(
    verifier: TokenVerifier, dev_key: Ed25519PrivateKey, payload: bytes
) -> None:
    token = jwt.PyJWS().encode(payload, dev_key, algorithm="EdDSA")
    assert await refused(verifier, token) == "malformed token"


async def test_huge_token_is_refused(verifier: TokenVerifier) -> None:
    token = "a" * 50_000 + "." + "b" * 50_000 + ".c"
    assert await refused(verifier, token) == "token too long"


async def test_token_of_maximum_length_is_only_refused_for_its_content(
    verifier: TokenVerifier,
) -> None:
    token = "a" * 4000 + "." + "b" * 4000 + "." + "c" * 190
    assert len(token) == 8192
    assert await refused(verifier, token) == "malformed token"
    assert await refused(verifier, token + "c") == "token too long"


@pytest.mark.parametrize("token", [None, b"a.b.c", 123])
async def test_non_string_token(verifier: TokenVerifier, token: Any) -> None:
    assert await refused(verifier, token) == "malformed token"


async def test_unexpected_failure_becomes_authentication_error(
    settings: Settings,
    verifier: TokenVerifier,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def explode(payload: dict[str, Any]) -> Claims:
        raise RuntimeError("boom")

    monkeypatch.setattr(verifier, "_check_claims", explode)
    token = issue_dev_token(settings, subject="u", name="x")
    with caplog.at_level(logging.ERROR, logger="edom_graphql.core.auth"):
        assert await refused(verifier, token) == "invalid token"
    assert "RuntimeError" in caplog.text
    assert token not in caplog.text


# --- Authorization header -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc.def.ghi", "abc.def.ghi"),
        ("BEARER    abc.def.ghi", "abc.def.ghi"),
        ("  Bearer abc.def.ghi  ", "abc.def.ghi"),
        ("Bearer a-b_c~d+e/f==", "a-b_c~d+e/f=="),
    ],
)
def test_parse_authorization_header(value: str | None, expected: str | None) -> None:
    assert parse_authorization_header(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Basic dXNlcjpwYXNz", "unsupported authorization scheme"),
        ("Token abc", "unsupported authorization scheme"),
        ("abc.def.ghi", "unsupported authorization scheme"),
        ("Bearer", "missing bearer token"),
        ("Bearer    ", "missing bearer token"),
        ("Bearer\tabc", "malformed authorization header"),
        ("Bearer abc def", "malformed bearer token"),
        ("Bearer abc\x00def", "malformed bearer token"),
        ("Bearer abc\r\ndef", "malformed bearer token"),
        ("Bearer ąęś", "malformed bearer token"),
        ("Bearer abc=def", "malformed bearer token"),
        ("Bearer " + "a" * 8193, "token too long"),
    ],
)
def test_parse_authorization_header_refusals(value: str, reason: str) -> None:
    with pytest.raises(AuthenticationError) as info:
        parse_authorization_header(value)
    assert info.value.reason == reason


def test_parse_authorization_header_length_limit() -> None:
    token = "a" * 8192
    assert parse_authorization_header(f"Bearer {token}") == token


# --- JWKS ---------------------------------------------------------------------------------


def jwks_settings(tmp_path: Path, url: str) -> Settings:
    return Settings(
        environment="production",
        data_dir=tmp_path,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_url=url,
    )


async def test_jwks_token_verified_by_kid(
    tmp_path: Path, jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    other = Ed25519PrivateKey.generate()
    jwks_server.add(RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "rsa-1")
    jwks_server.add(OKPAlgorithm.to_jwk(other.public_key(), as_dict=True), "ed-1")
    settings = jwks_settings(tmp_path, jwks_server.url)
    verifier = TokenVerifier(settings)
    assert verifier.key_source == "jwks"

    rsa_token = jwt.encode(
        claims_for(settings, sub="rsa-user"), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"}
    )
    ed_token = jwt.encode(
        claims_for(settings, sub="ed-user"), other, algorithm="EdDSA", headers={"kid": "ed-1"}
    )

    assert (await verifier.verify(rsa_token)).subject == "rsa-user"
    assert (await verifier.verify(ed_token)).subject == "ed-user"
    assert (await verifier.verify(rsa_token)).subject == "rsa-user"
    assert jwks_server.requests == 1  # the key set is cached

    # A valid signature by the other key in the set does not pass under the wrong kid.
    swapped = jwt.encode(claims_for(settings), other, algorithm="EdDSA", headers={"kid": "rsa-1"})
    assert await refused(verifier, swapped) == "algorithm does not match key"
    mislabelled = jwt.encode(
        claims_for(settings), rsa_key, algorithm="RS256", headers={"kid": "ed-1"}
    )
    assert await refused(verifier, mislabelled) == "algorithm does not match key"


async def test_jwks_unknown_and_missing_kid(
    tmp_path: Path, jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    jwks_server.add(RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "rsa-1")
    settings = jwks_settings(tmp_path, jwks_server.url)
    verifier = TokenVerifier(settings)

    unknown = jwt.encode(claims_for(settings), rsa_key, algorithm="RS256", headers={"kid": "nope"})
    assert await refused(verifier, unknown) == "unknown signing key"
    missing = jwt.encode(claims_for(settings), rsa_key, algorithm="RS256")
    assert await refused(verifier, missing) == "missing key id"
    # Repeated unknown kids do not hammer the endpoint.
    for _ in range(5):
        assert await refused(verifier, unknown) == "unknown signing key"
    assert jwks_server.requests == 1


async def test_jwks_foreign_signature_under_known_kid(
    tmp_path: Path, jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    jwks_server.add(RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "rsa-1")
    settings = jwks_settings(tmp_path, jwks_server.url)
    verifier = TokenVerifier(settings)
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims_for(settings), foreign, algorithm="RS256", headers={"kid": "rsa-1"})
    assert await refused(verifier, token) == "invalid signature"


async def test_jwks_without_usable_keys(tmp_path: Path, jwks_server: JwksServer) -> None:
    jwks_server.keys = [{"kty": "oct", "k": b64url(b"secret"), "kid": "hmac"}]
    settings = jwks_settings(tmp_path, jwks_server.url)
    verifier = TokenVerifier(settings)
    token = hs256({"alg": "RS256", "kid": "hmac"}, claims_for(settings), b"secret")
    assert await refused(verifier, token) == "algorithm does not match key"


async def test_jwks_unreachable(
    tmp_path: Path,
    closed_port_url: str,
    rsa_key: rsa.RSAPrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = jwks_settings(tmp_path, closed_port_url)
    verifier = TokenVerifier(settings)
    token = jwt.encode(claims_for(settings), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})

    with caplog.at_level(logging.WARNING, logger="edom_graphql.core.auth"):
        assert await refused(verifier, token) == "signing keys unavailable"

    assert closed_port_url in caplog.text
    assert token not in caplog.text
    # Within the retry window the verifier fails fast and does not log again.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="edom_graphql.core.auth"):
        assert await refused(verifier, token) == "signing keys unavailable"
    assert caplog.text == ""


async def test_jwks_recovers_after_the_retry_window(
    tmp_path: Path,
    jwks_server: JwksServer,
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    settings = jwks_settings(tmp_path, jwks_server.url)
    verifier = TokenVerifier(settings)
    token = jwt.encode(claims_for(settings), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    # An empty key set counts as unavailable.
    assert await refused(verifier, token) == "signing keys unavailable"
    assert await refused(verifier, token) == "signing keys unavailable"
    assert jwks_server.requests == 1

    jwks_server.add(RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "rsa-1")
    verifier._jwks_retry_at = 0.0  # the retry window has passed
    assert (await verifier.verify(token)).subject == "user-1"
    assert jwks_server.requests == 2


async def test_concurrent_verifications_share_one_jwks_fetch(
    tmp_path: Path, jwks_server: JwksServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    jwks_server.add(RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "rsa-1")
    settings = jwks_settings(tmp_path, jwks_server.url)
    verifier = TokenVerifier(settings)
    token = jwt.encode(claims_for(settings), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    results = await asyncio.gather(*(verifier.verify(token) for _ in range(20)))
    assert {claims.subject for claims in results} == {"user-1"}
    assert jwks_server.requests == 1


def test_jwks_url_must_be_http(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="EDOM_OIDC_JWKS_URL"):
        TokenVerifier(jwks_settings(tmp_path, "file:///etc/passwd"))


# --- PEM public key and configuration ------------------------------------------------------


def pem_settings(tmp_path: Path, pem: str, **extra: Any) -> Settings:
    return Settings(
        environment="production",
        data_dir=tmp_path,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_public_key=pem,
        **extra,
    )


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "RS512"])
async def test_rsa_public_key_pem(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, algorithm: str
) -> None:
    settings = pem_settings(
        tmp_path, public_pem(rsa_key), oidc_algorithms=["RS256", "PS256", "RS512"]
    )
    verifier = TokenVerifier(settings)
    assert verifier.key_source == "public_key"
    token = jwt.encode(claims_for(settings, sub="rsa-user"), rsa_key, algorithm=algorithm)
    claims = await verifier.verify(token)
    assert claims.subject == "rsa-user"
    assert not (tmp_path / "dev-signing-key.pem").exists()


async def test_pem_on_one_line_with_escaped_newlines(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    settings = pem_settings(tmp_path, public_pem(rsa_key).replace("\n", "\\n"))
    token = jwt.encode(claims_for(settings), rsa_key, algorithm="RS256")
    assert (await TokenVerifier(settings).verify(token)).subject == "user-1"


async def test_ec_public_key_pem_checks_curve(tmp_path: Path) -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    settings = pem_settings(tmp_path, public_pem(p256))
    verifier = TokenVerifier(settings)
    assert await verifier.verify(jwt.encode(claims_for(settings), p256, algorithm="ES256"))

    # A P-384 key cannot serve ES256.
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(ValueError, match="cannot verify any algorithm"):
        TokenVerifier(pem_settings(tmp_path, public_pem(p384)))


def test_pem_key_unusable_with_allowed_algorithms(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    settings = pem_settings(tmp_path, public_pem(rsa_key), oidc_algorithms=["EdDSA"])
    with pytest.raises(ValueError, match="RSA 2048-bit key"):
        TokenVerifier(settings)


@pytest.mark.parametrize(
    "pem", ["not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"]
)
def test_invalid_pem_is_a_configuration_error(tmp_path: Path, pem: str) -> None:
    with pytest.raises(ValueError, match="EDOM_OIDC_PUBLIC_KEY"):
        TokenVerifier(pem_settings(tmp_path, pem))


def test_production_without_a_key_is_a_configuration_error(tmp_path: Path) -> None:
    # Even an existing development key is not trusted in production.
    load_or_create_dev_key(tmp_path / "dev-signing-key.pem")
    settings = Settings(environment="production", data_dir=tmp_path)
    with pytest.raises(ValueError, match="no token signing key is configured"):
        TokenVerifier(settings)


async def test_production_refuses_dev_tokens_when_another_key_is_configured(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    settings = pem_settings(tmp_path, public_pem(rsa_key))
    token = issue_dev_token(settings, subject="u", name="x")
    assert await refused(TokenVerifier(settings), token) == "algorithm does not match key"


async def test_development_with_configured_key_ignores_the_dev_key(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    settings = Settings(
        environment="development", data_dir=tmp_path, oidc_public_key=public_pem(rsa_key)
    )
    verifier = TokenVerifier(settings)
    assert verifier.key_source == "public_key"
    token = issue_dev_token(settings, subject="u", name="x")
    assert await refused(verifier, token) == "algorithm does not match key"


def test_dev_key_requires_eddsa(settings: Settings) -> None:
    with pytest.raises(ValueError, match="development key"):
        TokenVerifier(settings.model_copy(update={"oidc_algorithms": ["RS256"]}))


# --- development key file ------------------------------------------------------------------


def test_dev_key_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "dev-signing-key.pem"

    first = load_or_create_dev_key(path)

    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind

    second = load_or_create_dev_key(path)

    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    assert first.public_key().public_bytes(*raw) == second.public_key().public_bytes(*raw)


def test_concurrent_dev_key_creation_agrees_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "dev-signing-key.pem"
    barrier = threading.Barrier(8)
    keys: list[bytes] = []

    def create() -> None:
        barrier.wait()
        key = load_or_create_dev_key(path)
        keys.append(
            key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(keys) == 8
    assert len(set(keys)) == 1
    assert os.listdir(path.parent) == [path.name]


def test_dev_public_key_pem_matches_the_key(settings: Settings) -> None:
    pem = dev_public_key_pem(settings)
    key = load_or_create_dev_key(settings.dev_key_path)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert pem == public_pem(key)
    assert dev_public_key_pem(settings) == pem


def test_dev_key_of_wrong_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dev-signing-key.pem"
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="Ed25519"):
        load_or_create_dev_key(path)
    path.write_text("garbage")
    with pytest.raises(ValueError, match="PEM private key"):
        load_or_create_dev_key(path)


async def test_dev_token_verifies_with_the_dev_public_key_pem_in_production(
    tmp_path: Path,
) -> None:
    dev = Settings(environment="development", data_dir=tmp_path)
    prod = Settings(
        environment="production", data_dir=tmp_path, oidc_public_key=dev_public_key_pem(dev)
    )
    token = issue_dev_token(dev, subject="u", name="x")
    assert (await TokenVerifier(prod).verify(token)).subject == "u"


async def test_a_remembered_token_still_expires(tmp_path: Path) -> None:
    settings = Settings(environment="development", data_dir=tmp_path, oidc_leeway_seconds=0)
    verifier = TokenVerifier(settings)
    issued = datetime.now(UTC) - timedelta(seconds=59)
    token = issue_dev_token(settings, subject="cached", name="C", ttl_seconds=60, now=issued)
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first  # served from memory
    await asyncio.sleep(1.2)
    assert await refused(verifier, token) == "token expired"
