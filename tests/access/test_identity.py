"""Who a token says the viewer is: the full name it carries is personal data, never the
name neighbours see; what no name may hold is dropped; a subject that could not be stored
is refused; a token of a user who no longer exists signs nobody in."""

from __future__ import annotations

import json
import uuid
from typing import Any

import jwt
import pytest
from sqlalchemy import delete, func, select

from edom_graphql.core.auth import load_or_create_dev_key
from edom_graphql.residents.models import User
from edom_graphql.settings import Settings
from edom_graphql.vehicles.models import Vehicle
from tests.factories import Api, Person
from tests.server.surface import claims, codes

ME = "{ viewer { user { id displayName fullName } } }"
VEHICLE = {"input": {"plate": "А123ВС777"}}
ADD_VEHICLE = """
mutation ($input: VehicleAddInput!) { vehicleAdd(input: $input) { vehicle { id } } }
"""


def signed(settings: Settings, payload: dict[str, Any]) -> str:
    """A token signed by the development issuer, claims as given (even odd ones)."""
    key = load_or_create_dev_key(settings.dev_key_path)
    token: str = jwt.PyJWS().encode(json.dumps(payload).encode(), key, algorithm="EdDSA")
    return token


def subject() -> str:
    return f"test|{uuid.uuid4().hex[:10]}|sso"


async def me(api: Api, token: str) -> Any:
    return await api.client.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
    )


async def test_the_full_name_is_personal_data_and_not_the_display_name(
    api: Api, settings: Settings
) -> None:
    token = signed(
        settings,
        claims(
            settings,
            subject(),
            name="Анна Сергеевна Ковальская",
            given_name="Анна",
            family_name="Ковальская",
        ),
    )
    user = (await me(api, token)).json()["data"]["viewer"]["user"]
    assert user["displayName"] == "Анна К."
    assert user["fullName"] == "Анна Сергеевна Ковальская"  # the user sees their own


async def test_without_a_given_name_the_display_name_names_nobody(
    api: Api, settings: Settings
) -> None:
    token = signed(settings, claims(settings, subject(), name="Иван Петров"))
    user = (await me(api, token)).json()["data"]["viewer"]["user"]
    assert (user["displayName"], user["fullName"]) == ("Resident", "Иван Петров")


async def test_names_from_a_token_lose_what_no_name_may_hold(api: Api, settings: Settings) -> None:
    token = signed(
        settings,
        claims(
            settings,
            subject(),
            name="\u202eАнна\u200b \x00Ковальская\ud800\n",
            given_name="\u2066Анна\u2069",
            family_name="\x07Ковальская",
        ),
    )
    response = await me(api, token)
    assert response.status_code == 200, response.text
    user = response.json()["data"]["viewer"]["user"]
    assert (user["displayName"], user["fullName"]) == ("Анна К.", "Анна Ковальская")


@pytest.mark.parametrize("sub", ["user\x00", "user\ud800", "user\n", "\u202e"])
async def test_a_subject_no_column_can_hold_is_refused(
    api: Api, settings: Settings, sub: str
) -> None:
    before = await api.db.fetch_one(select(func.count()).select_from(User))
    response = await me(api, signed(settings, claims(settings, sub)))
    assert response.status_code == 401, response.text
    assert codes(response) == ["UNAUTHENTICATED"]
    assert await api.db.fetch_one(select(func.count()).select_from(User)) == before


@pytest.mark.parametrize("operation", ["query", "mutation"])
async def test_a_token_of_a_deleted_user_signs_nobody_in(
    api: Api, settings: Settings, operation: str
) -> None:
    sub = subject()
    token = signed(settings, claims(settings, sub))
    first = (await me(api, token)).json()["data"]["viewer"]["user"]
    async with api.db.transaction() as (session, _):
        await session.execute(delete(User).where(User.subject == sub))

    # the id the server remembers for the subject is gone: refused, never a 500
    query, variables = (ME, None) if operation == "query" else (ADD_VEHICLE, VEHICLE)
    response = await api.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert codes(response) == ["UNAUTHENTICATED"], response.text
    stored = select(func.count()).where(Vehicle.plate_display == VEHICLE["input"]["plate"])
    assert (await api.db.fetch_one(stored)) == (0,)
    # signing in again makes a new account
    again = (await me(api, token)).json()["data"]["viewer"]["user"]
    assert again["id"] != first["id"]
    person = Person("again", None, sub, token)
    assert (await api.post(ME, as_=person)).ok()["viewer"]["user"]["id"] == again["id"]
