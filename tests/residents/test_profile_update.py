"""`profileUpdate`: the viewer changes their own profile."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from edom_graphql.residents.models import User
from tests.factories import Api, GraphQLResult, Person, make_user

UPDATE = """
mutation Update($input: ProfileUpdateInput!) {
  profileUpdate(input: $input) {
    user { id displayName fullName phone email }
    userErrors { __typename code field message }
  }
}
"""


async def update(api: Api, person: Person, values: dict[str, Any]) -> Any:
    # Sent as ASCII JSON so that any string, even a lone surrogate, reaches the server.
    body = json.dumps({"query": UPDATE, "variables": {"input": values}})
    headers = {**person.headers, "Content-Type": "application/json"}
    return GraphQLResult(await api.client.post("/graphql", content=body, headers=headers))


async def stored(api: Api, person: Person) -> dict[str, Any]:
    row = await api.db.fetch_one(
        select(User.display_name, User.full_name, User.phone, User.email, User.updated_at).where(
            User.id == person.pk
        )
    )
    assert row is not None
    return {
        "displayName": row[0],
        "fullName": row[1],
        "phone": row[2],
        "email": row[3],
        "updatedAt": row[4],
    }


async def profiled_user(api: Api) -> Person:
    person = await make_user(api, "profiled")
    result = await update(
        api,
        person,
        {
            "displayName": "Анна",
            "fullName": "Анна Сергеевна Иванова",
            "phone": "+79161234567",
            "email": "anna@example.org",
        },
    )
    assert result.ok()["profileUpdate"]["userErrors"] == []
    return person


def profile(data: Any) -> dict[str, Any]:
    payload = data["profileUpdate"]
    assert payload["userErrors"] == []
    user = dict(payload["user"])
    user.pop("id")
    return user


def without_time(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key != "updatedAt"}


# -- setting and clearing -------------------------------------------------------------------


async def test_set_every_field(api: Api) -> None:
    person = await make_user(api, "profiled")
    before = await stored(api, person)
    result = await update(
        api,
        person,
        {
            "displayName": "  Анна  ",
            "fullName": "Анна Сергеевна Иванова",
            "phone": "+7 (916) 123-45-67",
            "email": " anna@example.org ",
        },
    )
    expected = {
        "displayName": "Анна",
        "fullName": "Анна Сергеевна Иванова",
        "phone": "+79161234567",
        "email": "anna@example.org",
    }
    data = result.ok()
    assert data["profileUpdate"]["user"]["id"] == person.id
    assert profile(data) == expected
    after = await stored(api, person)
    assert without_time(after) == expected
    assert after["updatedAt"] > before["updatedAt"]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("displayName", "Пётр", "Пётр"),
        ("displayName", "x" * 100, "x" * 100),
        ("displayName", "Zoë 🏠", "Zoë 🏠"),
        ("fullName", "Пётр Петров", "Пётр Петров"),
        ("fullName", "y" * 200, "y" * 200),
        ("phone", "+7 (916) 123-45-67", "+79161234567"),
        ("phone", "+7 916 123 45 67", "+79161234567"),
        ("phone", "+44 20 7946 0958", "+442079460958"),
        ("phone", "+123456789012345", "+123456789012345"),
        ("email", "Pyotr.Petrov+home@mail.example.ru", "Pyotr.Petrov+home@mail.example.ru"),
    ],
)
async def test_set_one_field(api: Api, field: str, value: str, expected: str) -> None:
    person = await profiled_user(api)
    before = await stored(api, person)
    result = await update(api, person, {field: value})
    assert profile(result.ok()) == {**without_time(before), field: expected}
    assert without_time(await stored(api, person)) == {**without_time(before), field: expected}


@pytest.mark.parametrize("field", ["fullName", "phone", "email"])
@pytest.mark.parametrize("empty", [None, "", "   "], ids=["null", "empty", "blank"])
async def test_clear_optional_field(api: Api, field: str, empty: str | None) -> None:
    person = await profiled_user(api)
    before = await stored(api, person)
    result = await update(api, person, {field: empty})
    assert profile(result.ok()) == {**without_time(before), field: None}
    assert without_time(await stored(api, person)) == {**without_time(before), field: None}


async def test_omitted_fields_stay(api: Api) -> None:
    person = await profiled_user(api)
    before = await stored(api, person)
    result = await update(api, person, {})
    assert profile(result.ok()) == without_time(before)
    assert await stored(api, person) == before


async def test_a_user_changes_only_their_own_profile(api: Api) -> None:
    person = await profiled_user(api)
    other = await profiled_user(api)
    other_before = await stored(api, other)
    (await update(api, person, {"displayName": "Renamed"})).ok()
    assert await stored(api, other) == other_before


# -- refusals -------------------------------------------------------------------------------


async def assert_refused(api: Api, values: dict[str, Any], code: str, field: list[str]) -> None:
    person = await profiled_user(api)
    before = await stored(api, person)
    result = await update(api, person, values)
    payload = result.ok()["profileUpdate"]
    (error,) = payload["userErrors"]
    assert error["__typename"] == "ProfileUpdateError"
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    # The payload shows the profile as it still is.
    assert {k: v for k, v in payload["user"].items() if k != "id"} == without_time(before)
    assert await stored(api, person) == before


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (None, "REQUIRED"),
        ("", "REQUIRED"),
        ("   ", "REQUIRED"),
        ("\t\n ", "REQUIRED"),
        ("\u3000", "REQUIRED"),
        ("x" * 101, "TOO_LONG"),
        ("  " + "x" * 101 + "  ", "TOO_LONG"),
        ("Ann\x07a", "INVALID"),
        ("Ann\na", "INVALID"),
        ("Ann\x7fa", "INVALID"),
        ("Ann\u200ba", "INVALID"),
        ("\u200b", "INVALID"),
        ("Ann\u200d", "INVALID"),
        ("Ann\ufeff", "INVALID"),
        ("Ann\u202ea", "INVALID"),
        ("Ann\u2028a", "INVALID"),
    ],
    ids=[
        "null",
        "empty",
        "spaces",
        "whitespace",
        "ideographic-space",
        "101-chars",
        "101-chars-padded",
        "bell",
        "newline",
        "delete",
        "zero-width-space",
        "only-zero-width-space",
        "zero-width-joiner",
        "byte-order-mark",
        "right-to-left-override",
        "line-separator",
    ],
)
async def test_bad_display_name(api: Api, value: str | None, code: str) -> None:
    await assert_refused(api, {"displayName": value}, code, ["displayName"])


@pytest.mark.parametrize(
    "values",
    [
        {"displayName": "Ann\x00a"},
        {"fullName": "Ivan\x00"},
        {"phone": "+7916\x001234567"},
        {"email": "anna\x00@example.org"},
    ],
)
async def test_a_nul_is_a_malformed_request(api: Api, values: dict[str, str]) -> None:
    """No text can hold it: refused before any resolver runs, whatever the field."""
    person = await profiled_user(api)
    before = await stored(api, person)
    result = await update(api, person, values)
    assert result.codes == ["BAD_USER_INPUT"], result
    assert result.data is None
    assert await stored(api, person) == before


async def test_a_lone_surrogate_is_a_malformed_request(api: Api) -> None:
    """No text can hold it: the request is refused before it reaches the resolver."""
    person = await profiled_user(api)
    before = await stored(api, person)
    result = await update(api, person, {"displayName": "Ann\ud800a"})
    assert result.response.status_code == 400
    assert result.codes == ["BAD_USER_INPUT"]
    assert await stored(api, person) == before


@pytest.mark.parametrize(
    ("value", "code"),
    [("z" * 201, "TOO_LONG"), ("Iv\u200ban", "INVALID")],
)
async def test_bad_full_name(api: Api, value: str, code: str) -> None:
    await assert_refused(api, {"fullName": value}, code, ["fullName"])


@pytest.mark.parametrize(
    "value",
    [
        "89161234567",
        "9161234567",
        "+0 916 123 45 67",
        "+7 916 CALL ME",
        "+7 916 123 45 67 ext 1",
        "+7916123456789012",
        "+1234567",
        "++79161234567",
        "+7.916.123.45.67",
        "+７９１６１２３４５６７",
        "+٧٩١٦١٢٣٤٥٦٧",
        "+7" + "1" * 10_000,
    ],
)
async def test_bad_phone(api: Api, value: str) -> None:
    await assert_refused(api, {"phone": value}, "INVALID_PHONE", ["phone"])


@pytest.mark.parametrize(
    "value",
    [
        "anna",
        "anna@",
        "@example.org",
        "anna@example",
        "anna@@example.org",
        "an na@example.org",
        "anna@exa mple.org",
        "anna@example.o",
        "a" * 65 + "@example.org",
        "anna@" + "e" * 250 + ".org",
        "an\u200bna@example.org",
        "anna@example.org\nBcc: x@example.org",
    ],
)
async def test_bad_email(api: Api, value: str) -> None:
    await assert_refused(api, {"email": value}, "INVALID_EMAIL", ["email"])


async def test_one_bad_field_changes_nothing(api: Api) -> None:
    await assert_refused(
        api,
        {"displayName": "Valid Name", "fullName": "Valid Full", "phone": "12", "email": "x@y.org"},
        "INVALID_PHONE",
        ["phone"],
    )


@pytest.mark.parametrize(
    "values",
    [{"displayName": 42}, {"phone": ["+79161234567"]}, {"nickname": "x"}],
    ids=["number", "list", "unknown-field"],
)
async def test_wrong_types(api: Api, values: dict[str, Any]) -> None:
    person = await profiled_user(api)
    before = await stored(api, person)
    result = await update(api, person, values)
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.data is None
    assert await stored(api, person) == before


async def test_anonymous(api: Api) -> None:
    result = await api.post(UPDATE, {"input": {"displayName": "Ghost"}})
    assert result.codes == ["UNAUTHENTICATED"]
    assert result.data is None
