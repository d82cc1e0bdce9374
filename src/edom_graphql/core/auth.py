"""Bearer-token authentication: OIDC access-token verification and the development issuer.

Tokens are compact JWS/JWT strings signed with an asymmetric key. The verifier trusts,
in this order, the issuer's JWKS endpoint (``EDOM_OIDC_JWKS_URL``), a single PEM public key
(``EDOM_OIDC_PUBLIC_KEY``) or, in development only, the local Ed25519 key that
:func:`issue_dev_token` signs with.

PyJWT checks the signature; the registered claims are checked here so that every refusal
carries a precise, client-safe reason and claims of the wrong JSON type (for instance an
``exp`` given as a string) are refused rather than coerced.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import math
import os
import re
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.exceptions import (
    DecodeError,
    InvalidAlgorithmError,
    InvalidKeyError,
    InvalidSignatureError,
    PyJWKClientConnectionError,
    PyJWKClientError,
    PyJWTError,
)

from edom_graphql.core.text import strip_invisible, unstorable
from edom_graphql.settings import ASYMMETRIC_ALGORITHMS, Settings

__all__ = [
    "MAX_TOKEN_LENGTH",
    "AuthenticationError",
    "Claims",
    "TokenVerifier",
    "dev_public_key_pem",
    "issue_dev_token",
    "load_or_create_dev_key",
    "parse_authorization_header",
]

logger = logging.getLogger(__name__)

MAX_TOKEN_LENGTH: Final = 8192
VERIFIED_CACHE_SIZE: Final = 10_000
"""Longest accepted token, in characters."""

MAX_SUBJECT_LENGTH: Final = 255
MAX_NAME_LENGTH: Final = 200
MAX_DISPLAY_NAME_LENGTH: Final = 100

DEV_ALGORITHM: Final = "EdDSA"
"""Signature algorithm of the development issuer (Ed25519)."""

JWKS_CACHE_SECONDS: Final = 300
JWKS_TIMEOUT_SECONDS: Final = 5.0
JWKS_RETRY_SECONDS: Final = 5.0
"""After a failed JWKS fetch, tokens needing it are refused this long without retrying."""

PublicKey: TypeAlias = RSAPublicKey | ec.EllipticCurvePublicKey | Ed25519PublicKey | Ed448PublicKey
_PUBLIC_KEY_TYPES: Final = (
    RSAPublicKey,
    ec.EllipticCurvePublicKey,
    Ed25519PublicKey,
    Ed448PublicKey,
)

# Header parameters that point at, embed or make mandatory something we do not process.
# A token must never be able to choose the key it is verified with.
_FORBIDDEN_HEADERS: Final = frozenset({"jku", "x5u", "jwk", "x5c", "crit", "b64"})
_ACCEPTED_TYPES: Final = frozenset({"jwt", "at+jwt", "application/jwt", "application/at+jwt"})
_EC_CURVES: Final[dict[str, type[ec.EllipticCurve]]] = {
    "ES256": ec.SECP256R1,
    "ES384": ec.SECP384R1,
    "ES512": ec.SECP521R1,
}
_REQUIRED_CLAIMS: Final = ("exp", "iat", "sub", "iss", "aud")

# Three base64url segments (trailing padding tolerated); the signature may be empty so that
# an unsigned token is refused for its algorithm rather than for its shape.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]*={0,2}")
# RFC 6750 ``b64token``.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_AUTHORIZATION = re.compile(r"(\S+)(?: +(.*))?", re.DOTALL)

_jws = jwt.PyJWS()


@dataclass(frozen=True, slots=True)
class Claims:
    """The verified identity carried by a token."""

    subject: str
    """The ``sub`` claim, 1 to 255 printable characters."""
    full_name: str | None
    """The person's full name (``name``): personal data, never shown to neighbours."""
    display_name: str
    """What neighbours see by default: the given name and the initial of the family name
    (``given_name``, ``family_name``), never the full name; "Resident" without them."""
    expires_at: datetime
    """Expiry (``exp``) as an aware UTC datetime."""


class AuthenticationError(Exception):
    """A credential was refused. ``reason`` is short and safe to show to clients."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_authorization_header(value: str | None) -> str | None:
    """Extract the bearer token from an ``Authorization`` header value.

    Returns ``None`` when the header is absent or empty (an anonymous request) and the token
    for ``Bearer <token>`` (scheme case-insensitive). Anything else raises
    :class:`AuthenticationError`: a client that sends credentials expects them to be used.
    """
    if value is None:
        return None
    value = value.strip(" \t")
    if not value:
        return None
    match = _AUTHORIZATION.fullmatch(value)
    if match is None:
        raise AuthenticationError("malformed authorization header")
    scheme, token = match.group(1), match.group(2)
    if scheme.lower() != "bearer":
        raise AuthenticationError("unsupported authorization scheme")
    if not token:
        raise AuthenticationError("missing bearer token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise AuthenticationError("token too long")
    if _B64TOKEN.fullmatch(token) is None:
        raise AuthenticationError("malformed bearer token")
    return token


class TokenVerifier:
    """Verifies bearer tokens against the configured issuer.

    Construction fails with :class:`ValueError` when the configuration cannot work (no key
    outside development, an unreadable PEM key, a key no allowed algorithm can use).
    """

    def __init__(self, settings: Settings) -> None:
        self._issuer = settings.oidc_issuer
        self._audience = settings.oidc_audience
        self._algorithms = list(settings.oidc_algorithms)
        self._leeway = settings.oidc_leeway_seconds
        self._jwks: jwt.PyJWKClient | None = None
        self._jwks_url = settings.oidc_jwks_url or ""
        self._jwks_lock = threading.Lock()
        self._jwks_retry_at = 0.0
        self._key: PublicKey | None = None
        self._verified: OrderedDict[str, Claims] = OrderedDict()
        self.key_source: Literal["jwks", "public_key", "development"]

        if settings.oidc_jwks_url:
            try:
                self._jwks = jwt.PyJWKClient(
                    settings.oidc_jwks_url,
                    cache_jwk_set=True,
                    lifespan=JWKS_CACHE_SECONDS,
                    timeout=JWKS_TIMEOUT_SECONDS,
                )
            except PyJWKClientError as exc:
                raise ValueError(f"EDOM_OIDC_JWKS_URL is not usable: {exc}") from exc
            self.key_source = "jwks"
        elif settings.oidc_public_key:
            self._key = _load_public_key_pem(settings.oidc_public_key)
            self._require_usable(self._key, "EDOM_OIDC_PUBLIC_KEY")
            self.key_source = "public_key"
        elif settings.environment == "development":
            self._key = load_or_create_dev_key(settings.dev_key_path).public_key()
            self._require_usable(self._key, f"the development key {settings.dev_key_path}")
            self.key_source = "development"
        else:
            raise ValueError(
                "no token signing key is configured: set EDOM_OIDC_JWKS_URL or "
                "EDOM_OIDC_PUBLIC_KEY (the development key is trusted only when "
                "EDOM_ENVIRONMENT=development)"
            )

    def _require_usable(self, key: PublicKey, what: str) -> None:
        if not any(_key_fits(key, alg) for alg in self._algorithms):
            raise ValueError(
                f"{what} ({_describe_key(key)}) cannot verify any algorithm in "
                f"EDOM_OIDC_ALGORITHMS {self._algorithms}"
            )

    async def verify(self, token: str) -> Claims:
        """Verify ``token`` and return its claims.

        Raises :class:`AuthenticationError` for every refusal and never another exception.
        """
        cached = self._verified.get(token)
        if cached is not None:
            if cached.expires_at.timestamp() + self._leeway > time.time():
                self._verified.move_to_end(token)
                return cached
            del self._verified[token]
        try:
            claims = await self._verify(token)
        except AuthenticationError:
            raise
        except Exception as exc:
            logger.error("unexpected %s while verifying a token", type(exc).__name__)
            raise AuthenticationError("invalid token") from None
        # A token that verified once is remembered until it expires: clients send the
        # same token with every request, and its signature cannot change.
        self._verified[token] = claims
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return claims

    async def _verify(self, token: str) -> Claims:
        header = _read_header(token)
        alg: str = header["alg"]
        if alg not in self._algorithms:
            raise AuthenticationError("algorithm not allowed")
        key = await self._key_for(header)
        if not _key_fits(key, alg):
            raise AuthenticationError("algorithm does not match key")
        try:
            payload_bytes = _jws.decode(token, key, algorithms=self._algorithms)
        except InvalidSignatureError:
            raise AuthenticationError("invalid signature") from None
        except InvalidAlgorithmError:
            raise AuthenticationError("algorithm not allowed") from None
        except InvalidKeyError:
            raise AuthenticationError("algorithm does not match key") from None
        except DecodeError:
            raise AuthenticationError("malformed token") from None
        except PyJWTError:
            raise AuthenticationError("invalid token") from None
        return self._check_claims(_parse_payload(payload_bytes))

    async def _key_for(self, header: dict[str, Any]) -> PublicKey:
        if self._jwks is None:
            assert self._key is not None
            return self._key
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError("missing key id")
        return await asyncio.to_thread(self._lookup_jwk, self._jwks, kid)

    def _lookup_jwk(self, client: jwt.PyJWKClient, kid: str) -> PublicKey:
        """Find ``kid`` in the (cached) JWKS. Blocking: runs in a worker thread.

        One thread fetches at a time, so an expired cache costs one request rather than one
        per waiting token, and after a failed fetch requests fail fast for a short while
        instead of each waiting for the network timeout.
        """
        with self._jwks_lock:
            if time.monotonic() < self._jwks_retry_at:
                raise AuthenticationError("signing keys unavailable")
            try:
                keys = client.get_signing_keys()
                jwk = client.match_kid(keys, kid)
                if jwk is None:
                    # Not in the cached set: the issuer may have rotated its keys. PyJWKClient
                    # refetches at most once per cooldown period, so random kids cannot flood
                    # the endpoint.
                    try:
                        jwk = client.get_signing_key(kid)
                    except PyJWKClientConnectionError:
                        raise
                    except Exception:
                        raise AuthenticationError("unknown signing key") from None
            except AuthenticationError:
                raise
            except Exception as exc:
                self._jwks_retry_at = time.monotonic() + JWKS_RETRY_SECONDS
                logger.warning("signing keys from %s are unavailable: %s", self._jwks_url, exc)
                raise AuthenticationError("signing keys unavailable") from None
        key = jwk.key
        if not isinstance(key, _PUBLIC_KEY_TYPES):
            raise AuthenticationError("algorithm does not match key")
        return key

    def _check_claims(self, payload: dict[str, Any]) -> Claims:
        for claim in _REQUIRED_CLAIMS:
            if payload.get(claim) is None:
                raise AuthenticationError(f"missing claim: {claim}")
        exp = _numeric_date(payload, "exp")
        iat = _numeric_date(payload, "iat")
        nbf = _numeric_date(payload, "nbf") if payload.get("nbf") is not None else None

        subject = payload["sub"]
        if (
            not isinstance(subject, str)
            or not 1 <= len(subject) <= MAX_SUBJECT_LENGTH
            or not subject.isprintable()
            or unstorable(subject) is not None
        ):
            raise AuthenticationError("invalid claim: sub")
        issuer = payload["iss"]
        if not isinstance(issuer, str):
            raise AuthenticationError("invalid claim: iss")
        audience = payload["aud"]
        if isinstance(audience, str):
            audiences = [audience]
        elif isinstance(audience, list) and all(isinstance(item, str) for item in audience):
            audiences = audience
        else:
            raise AuthenticationError("invalid claim: aud")
        try:
            expires_at = datetime.fromtimestamp(exp, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise AuthenticationError("invalid claim: exp") from None

        now = time.time()
        if exp <= now - self._leeway:
            raise AuthenticationError("token expired")
        if nbf is not None and nbf > now + self._leeway:
            raise AuthenticationError("token not yet valid")
        if iat > now + self._leeway:
            raise AuthenticationError("token issued in the future")
        if issuer != self._issuer:
            raise AuthenticationError("wrong issuer")
        if self._audience not in audiences:
            raise AuthenticationError("wrong audience")

        return Claims(
            subject=subject,
            full_name=_name_claim(payload, "name"),
            display_name=default_display_name(
                _name_claim(payload, "given_name"), _name_claim(payload, "family_name")
            ),
            expires_at=expires_at,
        )


def _read_header(token: object) -> dict[str, Any]:
    """Check the token's shape and return its (not yet trusted) header."""
    if not isinstance(token, str):
        raise AuthenticationError("malformed token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise AuthenticationError("token too long")
    if _COMPACT_JWS.fullmatch(token) is None:
        raise AuthenticationError("malformed token")
    segment = token.split(".", 1)[0].rstrip("=")
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        raise AuthenticationError("malformed token") from None
    if not isinstance(header, dict):
        raise AuthenticationError("malformed token")
    if _FORBIDDEN_HEADERS.intersection(header):
        raise AuthenticationError("unsupported token header")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in _ACCEPTED_TYPES):
        raise AuthenticationError("unsupported token type")
    if not isinstance(header.get("kid", ""), str):
        raise AuthenticationError("malformed token")
    alg = header.get("alg")
    # Explicit, before any key is touched: no "none", no HMAC (a public key must never be
    # usable as a shared secret), nothing outside the asymmetric set.
    if not isinstance(alg, str) or alg not in ASYMMETRIC_ALGORITHMS:
        raise AuthenticationError("algorithm not allowed")
    return header


def _parse_payload(data: Any) -> dict[str, Any]:
    if not isinstance(data, bytes):
        raise AuthenticationError("malformed token")
    try:
        payload = json.loads(data, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError):
        raise AuthenticationError("malformed token") from None
    if not isinstance(payload, dict):
        raise AuthenticationError("malformed token")
    return payload


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("duplicate member")
        result[key] = value
    return result


def _numeric_date(payload: dict[str, Any], claim: str) -> float:
    value = payload[claim]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AuthenticationError(f"invalid claim: {claim}")
    if isinstance(value, float) and not math.isfinite(value):
        raise AuthenticationError(f"invalid claim: {claim}")
    return value


def _name_claim(payload: dict[str, Any], claim: str) -> str | None:
    """A name claim as text fit to show: invisible characters (controls, bidi overrides,
    zero-width marks) and what PostgreSQL cannot store dropped; None when nothing is left."""
    value = payload.get(claim)
    if not isinstance(value, str):
        return None
    return strip_invisible(value, max_length=MAX_NAME_LENGTH) or None


ANONYMOUS_DISPLAY_NAME: Final = "Resident"


def default_display_name(given_name: str | None, family_name: str | None) -> str:
    """A name that does not identify: "Ana K." of "Ana" and "Kowalska"."""
    if not given_name:
        return ANONYMOUS_DISPLAY_NAME
    first = given_name.split(" ")[0][: MAX_DISPLAY_NAME_LENGTH - 3]
    return f"{first} {family_name[0]}." if family_name else first


def _key_fits(key: object, alg: str) -> bool:
    """Whether ``key`` is the kind of public key algorithm ``alg`` verifies with."""
    if alg[:2] in ("RS", "PS"):
        return isinstance(key, RSAPublicKey)
    if alg in _EC_CURVES:
        return isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, _EC_CURVES[alg])
    if alg == "EdDSA":
        return isinstance(key, Ed25519PublicKey | Ed448PublicKey)
    return False


def _describe_key(key: PublicKey) -> str:
    if isinstance(key, RSAPublicKey):
        return f"RSA {key.key_size}-bit key"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name} key"
    if isinstance(key, Ed25519PublicKey):
        return "Ed25519 key"
    return "Ed448 key"


def _load_public_key_pem(text: str) -> PublicKey:
    """Load a PEM public key (or the key of a PEM certificate)."""
    if "\\n" in text and "\n" not in text:
        # A PEM squeezed into one environment-variable line.
        text = text.replace("\\n", "\n")
    data = text.strip().encode()
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            key: object = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"EDOM_OIDC_PUBLIC_KEY is not a PEM public key or certificate: {exc}"
        ) from exc
    if not isinstance(key, _PUBLIC_KEY_TYPES):
        raise ValueError(
            f"EDOM_OIDC_PUBLIC_KEY holds an unsupported key type ({type(key).__name__})"
        )
    return key


# --- Development issuer -------------------------------------------------------------------


def load_or_create_dev_key(path: Path) -> Ed25519PrivateKey:
    """Return the development signing key stored at ``path``, creating it on first use.

    The key is written as an unencrypted PKCS#8 PEM file readable only by its owner. It is
    published atomically and never overwrites an existing file, so processes starting
    together agree on one key.
    """
    try:
        return _read_dev_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    # mkstemp creates the file with mode 0o600.
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        try:
            # Publish only if no other process got there first.
            os.link(temp_name, path)
        except FileExistsError:
            return _read_dev_key(path)
        except OSError:
            # Hard links unsupported by this filesystem.
            os.replace(temp_name, path)
    finally:
        Path(temp_name).unlink(missing_ok=True)
    logger.info("created development signing key %s", path)
    return key


def _read_dev_key(path: Path) -> Ed25519PrivateKey:
    data = path.read_bytes()
    if os.name == "posix" and path.stat().st_mode & 0o077:
        logger.warning("development signing key %s is readable by other users", path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def _key_id(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of an Ed25519 public key."""
    raw = public_key.public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}, separators=(",", ":")
    )
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def dev_public_key_pem(settings: Settings) -> str:
    """The development issuer's public key as a SubjectPublicKeyInfo PEM string."""
    public_key = load_or_create_dev_key(settings.dev_key_path).public_key()
    return public_key.public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    ).decode("ascii")


def issue_dev_token(
    settings: Settings,
    *,
    subject: str,
    name: str,
    ttl_seconds: int | None = None,
    now: datetime | None = None,
) -> str:
    """Sign a token with the development key for ``subject``.

    The token carries ``iss``/``aud`` from the settings and is valid from ``now`` (default:
    the current time) for ``ttl_seconds`` (default: ``dev_token_ttl_seconds``). ``name`` is
    the full name; its first word is the ``given_name``, the rest the ``family_name``.
    """
    if not 1 <= len(subject) <= MAX_SUBJECT_LENGTH:
        raise ValueError(f"subject must be 1 to {MAX_SUBJECT_LENGTH} characters")
    ttl = settings.dev_token_ttl_seconds if ttl_seconds is None else ttl_seconds
    if ttl <= 0:
        raise ValueError("ttl_seconds must be positive")
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    issued_at = int(now.timestamp())
    key = load_or_create_dev_key(settings.dev_key_path)
    given_name, _, family_name = name.strip().partition(" ")
    payload = {
        "iss": settings.oidc_issuer,
        "aud": settings.oidc_audience,
        "sub": subject,
        "name": name,
        "given_name": given_name,
        "family_name": family_name.strip(),
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(
        payload,
        key,
        algorithm=DEV_ALGORITHM,
        headers={"kid": _key_id(key.public_key()), "typ": "JWT"},
    )
