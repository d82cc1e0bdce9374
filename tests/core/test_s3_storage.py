"""The S3 storage backend: its SigV4 signatures against AWS's published example, and
every call against a real S3-compatible server (moto's, started as a process, which
checks the signatures), then a photo uploaded through the API stored in S3 and served
at ``/media/{key}``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from edom_graphql.core.s3 import S3Error, S3Storage, configured_storage, sign
from edom_graphql.server.app import create_app
from edom_graphql.settings import Settings
from tests.factories import Api, Clock, make_world, serving
from tests.listings.operations import CREATE, JPEG, PNG, listing_input
from tests.server.processes import free_port

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def test_signature_of_awss_get_object_example() -> None:
    """The GET Object example of the SigV4 documentation for S3 (its published signature)."""
    headers = {
        "host": "examplebucket.s3.amazonaws.com",
        "range": "bytes=0-9",
        "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-amz-date": "20130524T000000Z",
    }
    authorization = sign(
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        headers,
        payload_sha256=headers["x-amz-content-sha256"],
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        now=datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert authorization == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


@dataclass
class S3Server:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    client: Any  # boto3's, to make buckets and foreign objects


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server on a free port, checking signatures: the first three calls (the
    IAM user, its key and its policy) pass unsigned, every later one needs that key."""
    boto3 = pytest.importorskip("boto3", reason="moto[server] (the test extra) brings boto3")
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env={"INITIAL_NO_AUTH_ACTION_COUNT": "3", "PATH": "/usr/bin:/bin"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/moto-api/data.json", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not start:\n{log.read_text()}")
                time.sleep(0.1)
        iam = boto3.client(
            "iam",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="bootstrap",
            aws_secret_access_key="bootstrap",
        )
        iam.create_user(UserName="edom")
        key = iam.create_access_key(UserName="edom")["AccessKey"]
        iam.put_user_policy(UserName="edom", PolicyName="s3", PolicyDocument=json.dumps(POLICY))
        client = boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        client.create_bucket(Bucket="edom-media")
        server = S3Server(url, key["AccessKeyId"], key["SecretAccessKey"], client)
        yield server
    finally:
        process.terminate()
        process.wait(10)


def storage_of(
    server: S3Server,
    *,
    prefix: str = "uploads",
    secret: str | None = None,
    bucket: str = "edom-media",
) -> S3Storage:
    return S3Storage(
        bucket=bucket,
        prefix=prefix,
        endpoint_url=server.endpoint_url,
        region="us-east-1",
        access_key_id=server.access_key_id,
        secret_access_key=secret or server.secret_access_key,
    )


@pytest.fixture
async def storage(s3_server: S3Server) -> AsyncIterator[S3Storage]:
    store = storage_of(s3_server, prefix=f"t{time.monotonic_ns()}/uploads")
    yield store
    await store.close()


async def test_save_read_delete(storage: S3Storage) -> None:
    key = await storage.save(JPEG, "image/jpeg")
    assert key.endswith(".jpg")
    assert await storage.read(key) == JPEG
    other = await storage.save(PNG, "image/png")
    assert await storage.read(other) == PNG
    await storage.delete(key)
    assert await storage.read(key) is None
    assert await storage.read(other) == PNG
    await storage.delete(key)  # unknown: nothing happens
    assert await storage.read("0" * 32 + ".jpg") is None
    assert await storage.read("../secret") is None


async def test_saved_before(s3_server: S3Server) -> None:
    # A bucket of its own, without a prefix: moto checks the signature of a query with
    # "/" in it (prefix=a%2F) wrongly, boto3's own requests included.
    bucket = f"sweep-{time.monotonic_ns()}"
    s3_server.client.create_bucket(Bucket=bucket)
    storage = storage_of(s3_server, prefix="", bucket=bucket)
    try:
        await check_saved_before(storage, s3_server)
    finally:
        await storage.close()


async def check_saved_before(storage: S3Storage, s3_server: S3Server) -> None:
    before = datetime.now(UTC) - timedelta(seconds=2)
    keys = {await storage.save(b"%PDF-" + bytes([i]), "application/pdf") for i in range(3)}
    assert await storage.saved_before(before) == []
    later = datetime.now(UTC) + timedelta(seconds=2)
    assert set(await storage.saved_before(later)) == keys
    # objects not shaped as keys are not the storage's
    s3_server.client.put_object(Bucket=storage.bucket, Key="notes.txt", Body=b"x")
    s3_server.client.put_object(Bucket=storage.bucket, Key="a/" + "0" * 32 + ".jpg", Body=b"x")
    assert set(await storage.saved_before(later + timedelta(seconds=2))) == keys
    # more than one page of ListObjectsV2 (at most 1000 a page)
    for i in range(1001):
        s3_server.client.put_object(Bucket=storage.bucket, Key=f"{i:032x}.png", Body=b"x")
    listed = await storage.saved_before(datetime.now(UTC) + timedelta(seconds=2))
    assert len(listed) == 1004
    assert set(listed) >= keys


async def test_a_wrong_secret_is_refused(s3_server: S3Server) -> None:
    store = storage_of(s3_server, secret="not-the-secret")
    try:
        with pytest.raises(S3Error, match="403"):
            await store.save(JPEG, "image/jpeg")
    finally:
        await store.close()


def test_settings_choose_the_backend(tmp_path: Path) -> None:
    local = Settings(data_dir=tmp_path)
    assert type(configured_storage(local)).__name__ == "LocalStorage"
    chosen = configured_storage(
        Settings(
            data_dir=tmp_path,
            storage_url="s3://media/edom/uploads",
            s3_endpoint_url="http://127.0.0.1:9000",
            s3_access_key_id="k",
            s3_secret_access_key="s",
        )
    )
    assert isinstance(chosen, S3Storage)
    assert (chosen.bucket, chosen.prefix, chosen.base) == (
        "media",
        "edom/uploads",
        "http://127.0.0.1:9000/media",
    )
    with pytest.raises(ValueError, match="EDOM_S3_ACCESS_KEY_ID"):
        configured_storage(Settings(data_dir=tmp_path, storage_url="s3://media"))
    with pytest.raises(ValueError, match="s3://"):
        Settings(storage_url="file:///tmp/x")


async def test_photo_uploaded_through_the_api_is_served_from_s3(
    s3_server: S3Server, settings: Settings, database_url: str, clock: Clock
) -> None:
    prefix = f"e2e{time.monotonic_ns()}"
    s3_settings = settings.model_copy(
        update={
            "storage_url": f"s3://edom-media/{prefix}",
            "s3_endpoint_url": s3_server.endpoint_url,
            "s3_access_key_id": s3_server.access_key_id,
            "s3_secret_access_key": s3_server.secret_access_key,
        }
    )
    app = create_app(s3_settings, database_url=database_url, clock=clock)
    async with (
        serving(app) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        api = Api(client, s3_settings, app)
        world = await make_world(api)
        operations = {"query": CREATE, "variables": {"input": listing_input(world)}}
        operations["variables"]["input"]["photos"] = [None]
        response = await api.client.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.input.photos.0"]}),
            },
            files={"0": ("a.jpg", JPEG, "image/jpeg")},
            headers=world["owner"].headers,
        )
        payload = response.json()["data"]["listingCreate"]
        assert payload["userErrors"] == [], payload
        url = payload["listing"]["photos"][0]["url"]
        served = await api.client.get(url, headers=world["resident"].headers)
        assert served.status_code == 200
        assert served.content == JPEG
        assert served.headers["content-type"] == "image/jpeg"
    store = storage_of(s3_server, prefix=prefix)
    try:
        key = url.removeprefix("/media/")
        assert await store.read(key) == JPEG
        assert not (s3_settings.uploads_path / key).exists()
    finally:
        await store.close()
