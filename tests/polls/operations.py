"""The GraphQL operations the polls tests send, and the calls that send them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from edom_graphql.core.ids import decode_id
from edom_graphql.polls.models import PollBallot, PollVote
from tests.factories import Api, Person, World

POLL_FIELDS = """
id question multipleChoice resultsVisibility closesAt isOpen viewerHasVoted viewerCanVote
options { id text position }
results { pollId ballots options { option { id } votes } }
"""
CREATE = f"""
mutation ($input: PollCreateInput!) {{
  pollCreate(input: $input) {{ poll {{ {POLL_FIELDS} }} userErrors {{ code field message }} }}
}}
"""
VOTE = f"""
mutation ($input: PollVoteInput!) {{
  pollVote(input: $input) {{ poll {{ {POLL_FIELDS} }} userErrors {{ code field }} }}
}}
"""
NODE = f"query ($id: ID!) {{ node(id: $id) {{ ... on Poll {{ {POLL_FIELDS} }} }} }}"
LIST = """
query ($id: ID!, $first: Int!, $after: String, $open: Boolean) {
  building(id: $id) {
    polls(first: $first, after: $after, open: $open) {
      nodes { id question isOpen }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""
RESULTS = """
subscription ($pollId: ID!) {
  pollResults(pollId: $pollId) { pollId ballots options { option { text } votes } }
}
"""


def closes(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def create_input(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "input": {
            "buildingId": world.building_id,
            "question": "Где поставить лавочку?",
            "options": ["У подъезда", "У детской площадки", "Не нужна"],
            "multipleChoice": False,
            "resultsVisibility": "AFTER_VOTE",
            "closesAt": closes(days=7),
            **overrides,
        }
    }


async def create(api: Api, world: World, as_: str = "owner", **overrides: Any) -> dict[str, Any]:
    data = await api.gql(CREATE, create_input(world, **overrides), as_=world[as_])
    payload: dict[str, Any] = data["pollCreate"]
    assert payload["userErrors"] == [], payload
    poll: dict[str, Any] = payload["poll"]
    return poll


async def vote(api: Api, voter: Person, poll: dict[str, Any], *positions: int) -> dict[str, Any]:
    option_ids = [poll["options"][position]["id"] for position in positions]
    data = await api.gql(
        VOTE, {"input": {"pollId": poll["id"], "optionIds": option_ids}}, as_=voter
    )
    payload: dict[str, Any] = data["pollVote"]
    return payload


async def node(api: Api, poll: dict[str, Any], viewer: Person) -> Any:
    return (await api.gql(NODE, {"id": poll["id"]}, as_=viewer))["node"]


def counts(results: dict[str, Any]) -> list[int]:
    return [option["votes"] for option in results["options"]]


async def ballots_and_votes(api: Api, poll: dict[str, Any]) -> tuple[int, int]:
    decoded = decode_id(poll["id"])
    assert decoded is not None
    async with api.db.transaction() as (session, _):
        ballots = (
            await session.execute(
                select(func.count()).select_from(PollBallot).where(PollBallot.poll_id == decoded[1])
            )
        ).scalar_one()
        votes = (
            await session.execute(
                select(func.count()).select_from(PollVote).where(PollVote.poll_id == decoded[1])
            )
        ).scalar_one()
    return ballots, votes
