"""The JavaScript examples of docs/clients.md (graphql-ws, Apollo Client, urql) work
against a live server: each script queries a building's chat over HTTP or WebSocket,
subscribes to its events from `eventsCursor`, and prints the message this test sends.
They need ``npm ci --prefix tests/clients/js``; without it they are skipped, unless
EDOM_REQUIRE_NODE_CLIENTS=1 (CI) makes that a failure."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.chats.operations import sent
from tests.factories import Api, make_world

JS = Path(__file__).parent / "js"
TIMEOUT_SECONDS = 30


def _node() -> str:
    node = shutil.which("node")
    missing = (
        "node is not installed"
        if node is None
        else "tests/clients/js/node_modules is missing: npm ci --prefix tests/clients/js"
        if not (JS / "node_modules").is_dir()
        else None
    )
    if missing is not None:
        if os.environ.get("EDOM_REQUIRE_NODE_CLIENTS") == "1":
            pytest.fail(f"EDOM_REQUIRE_NODE_CLIENTS=1 but {missing}")
        pytest.skip(missing)
    assert node is not None
    return node


def _env(api: Api, token: str, building_id: str) -> dict[str, str]:
    return dict(
        os.environ,
        EDOM_URL=str(api.client.base_url) + "/graphql",
        EDOM_WS_URL=api.ws_url,
        EDOM_TOKEN=token,
        EDOM_BUILDING_ID=building_id,
    )


async def _finish(process: asyncio.subprocess.Process) -> tuple[list[Any], str]:
    try:
        out, err = await asyncio.wait_for(process.communicate(), TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()], err.decode()


@pytest.mark.parametrize("script", ["graphql-ws.mjs", "apollo.mjs", "urql.mjs"])
async def test_query_then_subscription_receives_a_sent_message(api: Api, script: str) -> None:
    node = _node()
    world = await make_world(api)
    owner = world["owner"]
    assert owner.token is not None
    process = await asyncio.create_subprocess_exec(
        node,
        str(JS / script),
        env=_env(api, owner.token, world.building_id),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT_SECONDS)
    assert line, (await _finish(process))[1]
    queried = json.loads(line)
    chat = queried["data"]["building"]["chat"]
    # Sent after the query: the subscription replays it from eventsCursor.
    message = await sent(api, owner, chat["id"], f"Привет, {script}")
    results, err = await _finish(process)
    assert len(results) == 1, (results, err)
    event = results[0]["data"]["chatMessageEvents"]
    assert event["kind"] == "ADDED"
    assert event["message"]["body"] == message["body"] == f"Привет, {script}"
    assert event["cursor"] != chat["eventsCursor"]


async def test_graphql_ws_gives_up_on_a_refused_token_with_4403(api: Api) -> None:
    node = _node()
    world = await make_world(api)
    process = await asyncio.create_subprocess_exec(
        node,
        str(JS / "graphql-ws.mjs"),
        "--refused",
        env=_env(api, "not.a.token", world.building_id),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    results, err = await _finish(process)
    assert results == [{"refused": True, "code": 4403}], err
    # shouldRetry excluded 4403: one connection, closed once, no retries.
    assert err.count("closed 4403") == 1, err
