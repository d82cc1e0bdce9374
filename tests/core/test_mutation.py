"""The shared mutation tail: every payload of the schema can answer every refusal its
error-code enum names, with its other fields null."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from edom_graphql.core.errors import ServiceError
from edom_graphql.core.mutation import Payload, UserError
from edom_graphql.schema import DOMAINS


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


assert DOMAINS  # the schema is imported, so every payload type is defined
PAYLOADS = sorted(_subclasses(Payload), key=lambda cls: cls.__name__)


def test_every_mutation_of_the_schema_has_a_payload_of_the_shared_tail() -> None:
    names = {cls.__name__ for cls in PAYLOADS}
    assert len(names) >= 30


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda cls: cls.__name__)
def test_a_payload_answers_each_of_its_codes(payload: type[Payload]) -> None:
    (error_type,) = typing.get_args(typing.get_type_hints(payload)["user_errors"])
    assert issubclass(error_type, UserError)
    codes = typing.get_type_hints(error_type)["code"]
    hints = typing.get_type_hints(payload)
    required = {  # non-null fields a refusal states itself (how many were marked: 0)
        field.name: hints[field.name]()
        for field in dataclasses.fields(payload)  # type: ignore[arg-type]
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    }
    for code in codes:
        answer = payload.refused(ServiceError(code.value, "Refused.", ["input", "x"]), **required)
        (error,) = answer.user_errors  # type: ignore[attr-defined]
        assert (error.code, error.message, error.field) == (code, "Refused.", ["input", "x"])
    with pytest.raises(ValueError, match="NOT_A_CODE_OF_THIS_MUTATION"):
        payload.refused(ServiceError("NOT_A_CODE_OF_THIS_MUTATION", "Refused."), **required)


def test_of_answers_a_result_or_its_refusal() -> None:
    payload = next(cls for cls in PAYLOADS if cls.__name__ == "VehicleRemovePayload")
    done = payload.of(None, removed_vehicle_id="VmVoaWNsZTox")
    assert done.user_errors == []  # type: ignore[attr-defined]
    refused = payload.of(ServiceError("NOT_FOUND", "No such vehicle."), removed_vehicle_id=None)
    assert [e.code.value for e in refused.user_errors] == ["NOT_FOUND"]  # type: ignore[attr-defined]
