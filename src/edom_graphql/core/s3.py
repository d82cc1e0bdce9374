"""Uploaded files in an S3-compatible object store (AWS S3, MinIO, Ceph, Yandex Object
Storage…), so that several hosts serve the same files.

Requests are signed with AWS Signature Version 4 (``sign``) and sent with httpx; the four
calls used are PutObject, GetObject, DeleteObject and ListObjectsV2.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import httpx

from edom_graphql.core.storage import EXTENSIONS, LocalStorage, Storage, is_key
from edom_graphql.settings import Settings

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
XMLNS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class S3Error(Exception):
    """The object store refused or failed a call (status and the start of its answer)."""


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _encode(value: str, *, keep_slash: bool = False) -> str:
    return quote(value, safe="-_.~/" if keep_slash else "-_.~")


def canonical_query(query: Mapping[str, str]) -> str:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(query.items()))


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    *,
    payload_sha256: str,
    access_key_id: str,
    secret_access_key: str,
    region: str,
    now: datetime,
    service: str = "s3",
) -> str:
    """The ``Authorization`` header of a request (SigV4). ``url`` is sent as given: its
    path already percent-encoded and its query in canonical form; every header in
    ``headers`` (which must include ``host``, ``x-amz-date`` and
    ``x-amz-content-sha256``) is signed."""
    parts = urlsplit(url)
    lowered = {name.lower(): " ".join(value.strip().split()) for name, value in headers.items()}
    signed = ";".join(sorted(lowered))
    canonical_headers = "".join(f"{name}:{lowered[name]}\n" for name in sorted(lowered))
    canonical_request = "\n".join(
        [
            method,
            parts.path or "/",
            parts.query,
            canonical_headers,
            signed,
            payload_sha256,
        ]
    )
    day = now.astimezone(UTC).strftime("%Y%m%d")
    scope = f"{day}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = _hmac(f"AWS4{secret_access_key}".encode(), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    credential = f"{access_key_id}/{scope}"
    return f"{ALGORITHM} Credential={credential}, SignedHeaders={signed}, Signature={signature}"


class S3Storage:
    """Files as objects ``<prefix>/<key>`` of one bucket (the ``Storage`` interface)."""

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.region = region
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token
        if endpoint_url:
            # Path-style addressing: what MinIO and most S3-compatible stores expect.
            self.base = f"{endpoint_url.rstrip('/')}/{_encode(bucket)}"
        else:
            self.base = f"https://{bucket}.s3.{region}.amazonaws.com"
        self.client = httpx.AsyncClient(timeout=timeout)

    def _object_key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    async def _call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> httpx.Response:
        url = self.base + path
        if query:
            url += "?" + canonical_query(query)
        payload_sha256 = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        now = datetime.now(UTC)
        headers = {
            "host": urlsplit(url).netloc,
            "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ"),
            "x-amz-content-sha256": payload_sha256,
        }
        if content_type is not None:
            headers["content-type"] = content_type
        if self.session_token:
            headers["x-amz-security-token"] = self.session_token
        headers["authorization"] = sign(
            method,
            url,
            headers,
            payload_sha256=payload_sha256,
            access_key_id=self.access_key_id,
            secret_access_key=self.secret_access_key,
            region=self.region,
            now=now,
        )
        try:
            return await self.client.request(method, url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise S3Error(f"{method} {url}: {type(error).__name__}: {error}") from error

    @staticmethod
    def _refused(response: httpx.Response) -> S3Error:
        return S3Error(
            f"{response.request.method} {response.request.url}: "
            f"{response.status_code} {response.text[:300]}"
        )

    def _object_path(self, key: str) -> str:
        return "/" + _encode(self._object_key(key), keep_slash=True)

    async def save(self, data: bytes, content_type: str) -> str:
        key = uuid.uuid4().hex + EXTENSIONS[content_type]
        response = await self._call(
            "PUT", self._object_path(key), body=data, content_type=content_type
        )
        if response.status_code != 200:
            raise self._refused(response)
        return key

    async def read(self, key: str) -> bytes | None:
        if not is_key(key):
            return None
        response = await self._call("GET", self._object_path(key))
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._refused(response)
        return response.content

    async def delete(self, key: str) -> None:
        if not is_key(key):
            return
        response = await self._call("DELETE", self._object_path(key))
        if response.status_code not in (200, 204, 404):
            raise self._refused(response)

    async def saved_before(self, moment: datetime) -> list[str]:
        prefix = f"{self.prefix}/" if self.prefix else ""
        keys: list[str] = []
        token: str | None = None
        while True:
            query = {"list-type": "2", "prefix": prefix}
            if token is not None:
                query["continuation-token"] = token
            response = await self._call("GET", "", query=query)
            if response.status_code != 200:
                raise self._refused(response)
            root = ET.fromstring(response.content)  # noqa: S314 (the configured store)
            for item in root.iter(f"{XMLNS}Contents"):
                name = (item.findtext(f"{XMLNS}Key") or "").removeprefix(prefix)
                modified = datetime.fromisoformat(item.findtext(f"{XMLNS}LastModified") or "")
                if is_key(name) and modified < moment:
                    keys.append(name)
            token = root.findtext(f"{XMLNS}NextContinuationToken")
            if root.findtext(f"{XMLNS}IsTruncated") != "true" or not token:
                return keys

    async def close(self) -> None:
        await self.client.aclose()


def configured_storage(settings: Settings) -> Storage:
    """The storage the settings choose: S3 for ``EDOM_STORAGE_URL=s3://bucket/prefix``,
    else the local ``uploads_path``."""
    if settings.storage_url is None:
        return LocalStorage(settings.uploads_path)
    if not settings.s3_access_key_id or not settings.s3_secret_access_key:
        raise ValueError(
            "EDOM_STORAGE_URL=s3://… needs EDOM_S3_ACCESS_KEY_ID and EDOM_S3_SECRET_ACCESS_KEY"
        )
    bucket, _, prefix = settings.storage_url.removeprefix("s3://").partition("/")
    return S3Storage(
        bucket=bucket,
        prefix=prefix,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        session_token=settings.s3_session_token,
        timeout=settings.s3_timeout_seconds,
    )
