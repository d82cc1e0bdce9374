"""The intercom tests' scene: a world whose entrance 1 is connected (applied for,
approved and connected through the API) to a panel of the device simulator, and a
client of the simulator's test endpoints."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from edom_graphql.core.ids import decode_id
from tests.factories import Api, World, make_world

APPLY = """
mutation Apply($input: IntercomApplyInput!) {
  intercomApply(input: $input) {
    application { id status reason entrance { id number connected } }
    userErrors { code field message }
  }
}"""
REVIEW = """
mutation Review($input: IntercomApplicationReviewInput!) {
  intercomApplicationReview(input: $input) {
    application { id status reason steps { status reason } }
    userErrors { code field message }
  }
}"""
CONNECT = """
mutation Connect($input: IntercomApplicationConnectInput!) {
  intercomApplicationConnect(input: $input) {
    application {
      id status steps { status }
      entrance { id number connected panels { id name } }
    }
    userErrors { code field message }
  }
}"""
OPEN = """
mutation Open($input: IntercomDoorOpenInput!) {
  intercomDoorOpen(input: $input) {
    outcome
    entry { id method outcome byViewer panel { id } }
    userErrors { code field message }
  }
}"""
CODE_CREATE = """
mutation CodeCreate($input: IntercomCodeCreateInput!) {
  intercomCodeCreate(input: $input) {
    code { id active expiresAt createdByViewer }
    secret
    userErrors { code field message }
  }
}"""
CODE_REVOKE = """
mutation CodeRevoke($input: IntercomCodeRevokeInput!) {
  intercomCodeRevoke(input: $input) {
    code { id active revokedAt }
    userErrors { code field message }
  }
}"""
ENTRIES = """
query Entries($id: ID!) {
  node(id: $id) {
    id
    ... on Premise {
      intercomEntries(first: 50) {
        nodes { id method outcome byViewer code { id } }
      }
    }
  }
}"""
CODES = """
query Codes($id: ID!) {
  node(id: $id) {
    id
    ... on Premise { intercomCodes(first: 50) { nodes { id active } } }
  }
}"""
ANSWER = """
mutation Answer($input: IntercomCallAnswerInput!) {
  intercomCallAnswer(input: $input) {
    call { id state answeredByViewer }
    outcome
    entry { id method outcome }
    userErrors { code field message }
  }
}"""
CALLS = """
subscription Calls($premiseId: ID!, $after: String) {
  intercomCalls(premiseId: $premiseId, after: $after) {
    cursor state call { id state mediaUrl premise { id } }
  }
}"""


@dataclass
class SimulatorClient:
    url: str
    describe: Callable[[], str] = lambda: ""
    """What the simulator's process says of itself (its state and log), for a failure."""

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            try:
                response = await client.request(method, path, json=body)
            except httpx.ConnectError as error:
                raise RuntimeError(f"the simulator does not answer: {self.describe()}") from error
            response.raise_for_status()
            return response.json()

    async def configure(self, device: str, **options: Any) -> Any:
        return await self.call("POST", f"/devices/{device}/config", options)

    async def state(self, device: str) -> Any:
        return await self.call("GET", f"/devices/{device}/state")

    async def type_code(self, device: str, code: str) -> Any:
        return await self.call("POST", f"/devices/{device}/type", {"code": code})

    async def ring(self, device: str, apartment: str) -> Any:
        return await self.call("POST", f"/devices/{device}/ring", {"apartment": apartment})

    async def hangup(self, device: str, call_id: str) -> Any:
        return await self.call("POST", f"/devices/{device}/hangup", {"call_id": call_id})


@dataclass
class Scene:
    world: World
    device: str
    secret: str
    entrance_id: str
    panel_id: str
    application_id: str

    @property
    def panel_pk(self) -> int:
        decoded = decode_id(self.panel_id)
        assert decoded is not None
        return decoded[1]


async def connected_world(api: Api, simulator: SimulatorClient) -> Scene:
    """A world whose entrance 1 is connected to a fresh simulated panel."""
    world = await make_world(api)
    device = secrets.token_hex(6)
    secret = secrets.token_hex(16)
    applied = (
        await api.gql(APPLY, {"input": {"premiseId": world.premise_id("1")}}, as_=world["owner"])
    )["intercomApply"]
    assert applied["userErrors"] == [], applied
    application_id = applied["application"]["id"]
    reviewed = await api.gql(
        REVIEW,
        {"input": {"applicationId": application_id, "approve": True}},
        as_=world["manager"],
    )
    assert reviewed["intercomApplicationReview"]["userErrors"] == [], reviewed
    connected = (
        await api.gql(
            CONNECT,
            {
                "input": {
                    "applicationId": application_id,
                    "panels": [
                        {
                            "name": "Main door",
                            "apiUrl": f"{simulator.url}/devices/{device}",
                            "secret": secret,
                        }
                    ],
                }
            },
            as_=world["engineer"],
        )
    )["intercomApplicationConnect"]
    assert connected["userErrors"] == [], connected
    entrance = connected["application"]["entrance"]
    panel_id = entrance["panels"][0]["id"]
    scene = Scene(world, device, secret, entrance["id"], panel_id, application_id)
    await simulator.configure(
        device,
        secret=secret,
        callback_url=f"{api.client.base_url}/intercom/devices/{scene.panel_pk}/events",
        mode="online",
    )
    return scene
