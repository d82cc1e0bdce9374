"""Helpers of the repair-request tests: filing requests and moving them through the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from edom_graphql.core.ids import decode_id
from edom_graphql.repairs.models import RepairRequest, RepairRequestEvent
from tests.factories import Api, Person, World

FIELDS = """
  id number scope category description status version followerCount rating dueAt isOverdue
  building { id } premise { id } assignee { id } author { id }
"""
CREATE = (
    """
mutation ($input: RepairRequestCreateInput!) {
  repairRequestCreate(input: $input) {
    repairRequest { """
    + FIELDS
    + """ }
    similarOpenRequests { id }
    userErrors { code field message }
  }
}
"""
)


def mutation(name: str, input_type: str) -> str:
    return (
        f"mutation ($input: {input_type}!) {{ {name}(input: $input) {{ "
        f"repairRequest {{ {FIELDS} }} userErrors {{ code field message }} }} }}"
    )


MUTATIONS = {
    action: mutation(f"repairRequest{action}", f"RepairRequest{action}Input")
    for action in (
        "Cancel",
        "Confirm",
        "Reopen",
        "Rate",
        "Comment",
        "Join",
        "Accept",
        "Reject",
        "Defer",
        "Assign",
        "Start",
        "Complete",
    )
}


def pk_of(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None
    return decoded[1]


def create_input(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "buildingId": world.building_id,
        "scope": "BUILDING",
        "category": "LIFT",
        "description": "The lift in entrance 1 is stuck between floors.",
        **overrides,
    }


async def create(api: Api, world: World, as_: str = "owner", **overrides: Any) -> dict[str, Any]:
    data = await api.gql(CREATE, {"input": create_input(world, **overrides)}, as_=world[as_])
    payload: dict[str, Any] = data["repairRequestCreate"]
    assert payload["userErrors"] == [], payload
    request: dict[str, Any] = payload["repairRequest"]
    return request


async def call(
    api: Api, action: str, person: Person, request_id: str, **fields: Any
) -> dict[str, Any]:
    """Run ``repairRequest<action>``; its payload (must not be a top-level error)."""
    data = await api.gql(
        MUTATIONS[action], {"input": {"requestId": request_id, **fields}}, as_=person
    )
    payload: dict[str, Any] = data[f"repairRequest{action}"]
    return payload


async def step(
    api: Api, action: str, person: Person, request_id: str, **fields: Any
) -> dict[str, Any]:
    """A call that must succeed; the request after it."""
    payload = await call(api, action, person, request_id, **fields)
    assert payload["userErrors"] == [], (action, payload)
    request: dict[str, Any] = payload["repairRequest"]
    return request


async def row(api: Api, request_id: str) -> Any:
    async with api.db.transaction() as (session, _):
        return (
            await session.execute(
                select(RepairRequest.__table__).where(RepairRequest.id == pk_of(request_id))
            )
        ).one()


async def events(api: Api, request_id: str) -> list[tuple[Any, ...]]:
    """(kind, from, to, actor, comment) of the request's events, in id order."""
    async with api.db.transaction() as (session, _):
        rows = (
            await session.execute(
                select(
                    RepairRequestEvent.kind,
                    RepairRequestEvent.from_status,
                    RepairRequestEvent.to_status,
                    RepairRequestEvent.actor_id,
                    RepairRequestEvent.comment,
                )
                .where(RepairRequestEvent.request_id == pk_of(request_id))
                .order_by(RepairRequestEvent.id)
            )
        ).all()
    return [
        (
            kind.value,
            from_.value if from_ else None,
            to.value if to else None,
            actor,
            comment,
        )
        for kind, from_, to, actor, comment in rows
    ]


async def drive(api: Api, world: World, request_id: str, status: str) -> None:
    """Move a fresh (NEW) BUILDING request of the owner to ``status`` through the API."""
    dispatcher, engineer, owner = world["dispatcher"], world["engineer"], world["owner"]
    paths: dict[str, list[tuple[str, Person, dict[str, Any]]]] = {
        "NEW": [],
        "ACCEPTED": [
            ("Accept", dispatcher, {}),
            ("Assign", dispatcher, {"assigneeId": engineer.id}),
        ],
        "REJECTED": [("Reject", dispatcher, {"reason": "Not our responsibility."})],
        "CANCELLED": [("Cancel", owner, {})],
        "IN_PROGRESS": [
            ("Accept", dispatcher, {}),
            ("Assign", dispatcher, {"assigneeId": engineer.id}),
            ("Start", engineer, {}),
        ],
        "DEFERRED": [
            ("Accept", dispatcher, {}),
            ("Assign", dispatcher, {"assigneeId": engineer.id}),
            ("Defer", dispatcher, {}),
        ],
    }
    paths["DONE"] = [*paths["IN_PROGRESS"], ("Complete", engineer, {"comment": "Fixed."})]
    paths["CLOSED"] = [*paths["DONE"], ("Confirm", owner, {})]
    paths["REOPENED"] = [*paths["DONE"], ("Reopen", owner, {"comment": "Still broken."})]
    for action, person, fields in paths[status]:
        await step(api, action, person, request_id, **fields)
