"""Root fields of repair requests: filing and handling them, the staff desk, and the live
history and boards."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import timedelta
from typing import Annotated, Any

import strawberry
from sqlalchemy import and_, any_, bindparam, func, not_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload

from edom_graphql.buildings.types import ManagementOrganisation
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.db import Outbox, Prepared, run_in_transaction
from edom_graphql.core.errors import BadUserInput, Forbidden, ServiceError, Unauthenticated
from edom_graphql.core.ids import expect_id
from edom_graphql.core.loaders import keys_param
from edom_graphql.core.nodes import visible, visible_only
from edom_graphql.core.pagination import (
    After,
    First,
    build_connection,
    decode_cursor,
    encode_cursor,
    keyset_desc,
    page_params,
    page_request,
)
from edom_graphql.core.permissions import Target, requires, source_organisation
from edom_graphql.core.photos import (
    PHOTO_ERROR_CODES,
    PHOTOS_DESCRIPTION,
    StoredPhoto,
    read_photos,
    with_stored_photos,
)
from edom_graphql.core.ratelimit import RateLimit, Window
from edom_graphql.core.streams import follow
from edom_graphql.core.user_errors import (
    MutationInput,
    UserError,
    error_codes,
    errors_of,
    user_errors,
)
from edom_graphql.repairs import service
from edom_graphql.repairs.models import (
    MAX_COMMENT_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MIN_DESCRIPTION_LENGTH,
    RepairCategory,
    RepairRequestScope,
    RepairRequestStatus,
)
from edom_graphql.repairs.models import RepairRequest as RequestRow
from edom_graphql.repairs.models import RepairRequestEvent as EventRow
from edom_graphql.repairs.service import Action
from edom_graphql.repairs.types import (
    EVENT_COLUMNS,
    REQUEST_COLUMNS,
    REQUESTS_BY_ID,
    RepairRequest,
    RepairRequestConnection,
    RepairRequestEvent,
    similar_open_requests,
)

_STATE_CODES = {
    "VERSION_CONFLICT": "The request is no longer at `expectedVersion`: someone changed it.",
    "ILLEGAL_TRANSITION": "The request's status does not allow this, or not by you.",
}
_OPTIONAL_COMMENT_CODES = {
    "TOO_LONG": f"The comment is longer than {MAX_COMMENT_LENGTH} characters.",
}
_REQUIRED_COMMENT_CODES = {
    "COMMENT_REQUIRED": "The comment is empty.",
    **_OPTIONAL_COMMENT_CODES,
}
_REASON_CODES = {
    "COMMENT_REQUIRED": "The reason is empty.",
    "TOO_LONG": f"The reason is longer than {MAX_COMMENT_LENGTH} characters.",
}
_RATING_CODES = {
    "INVALID_RATING": "The rating is not 1 to 5.",
    "ALREADY_RATED": "The viewer has rated this request before.",
}
_ASSIGN_CODES = {
    "NOT_AN_ENGINEER": "The assignee is not an engineer of the request's organisation.",
}

RepairRequestCreateErrorCode = error_codes(
    "RepairRequestCreateErrorCode",
    "Why `repairRequestCreate` refused.",
    {
        "BLANK": "The description is empty.",
        "TOO_SHORT": f"The description is shorter than {MIN_DESCRIPTION_LENGTH} characters.",
        "TOO_LONG": f"The description is longer than {MAX_DESCRIPTION_LENGTH} characters.",
        "PREMISE_REQUIRED": "An APARTMENT request names no premise.",
        "NOT_YOUR_PREMISE": "The premise is not one of the viewer's in this building.",
        "PREMISE_NOT_ALLOWED": "A BUILDING or YARD request names a premise.",
        **PHOTO_ERROR_CODES,
    },
)


@strawberry.type(description="A reason `repairRequestCreate` refused.")
class RepairRequestCreateError(UserError):
    code: RepairRequestCreateErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.input(description="A new repair request.")
class RepairRequestCreateInput:
    building_id: strawberry.ID = strawberry.field(description="The building concerned.")
    scope: RepairRequestScope = strawberry.field(description="Apartment, building or yard.")
    category: RepairCategory = strawberry.field(description="What needs repair.")
    description: str = strawberry.field(
        description=f"What is wrong ({MIN_DESCRIPTION_LENGTH}–{MAX_DESCRIPTION_LENGTH} characters)."
    )
    premise_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The viewer's apartment, for (and only for) APARTMENT requests.",
    )
    photos: list[Upload] | None = strawberry.field(default=None, description=PHOTOS_DESCRIPTION)


@strawberry.type(description="Result of `repairRequestCreate`.")
class RepairRequestCreatePayload:
    repair_request: RepairRequest | None = strawberry.field(description="The request filed.")
    similar_open_requests: list[RepairRequest] = strawberry.field(
        description="Open building or yard requests of the same category in the building, "
        "newest first: the viewer may join one (`repairRequestJoin`) instead of a duplicate."
    )
    user_errors: list[RepairRequestCreateError] = strawberry.field(
        description="Business errors; empty on success."
    )


RepairRequestCommentErrorCode = error_codes(
    "RepairRequestCommentErrorCode",
    "Why `repairRequestComment` refused.",
    {
        "ILLEGAL_TRANSITION": "The request is finished, or the viewer is neither its author, "
        "a follower nor staff of its organisation.",
        **_REQUIRED_COMMENT_CODES,
    },
)


@strawberry.type(description="A reason `repairRequestComment` refused.")
class RepairRequestCommentError(UserError):
    code: RepairRequestCommentErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.input(description="A message in a request's thread.")
class RepairRequestCommentInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    comment: str = strawberry.field(description=f"The message (1–{MAX_COMMENT_LENGTH} characters).")


@strawberry.type(description="Result of `repairRequestComment`.")
class RepairRequestCommentPayload:
    repair_request: RepairRequest | None = strawberry.field(description="The request.")
    user_errors: list[RepairRequestCommentError] = strawberry.field(
        description="Business errors; empty on success."
    )


RepairRequestJoinErrorCode = error_codes(
    "RepairRequestJoinErrorCode",
    "Why `repairRequestJoin` refused.",
    {
        "NOT_JOINABLE": "Apartment requests cannot be joined.",
        "OWN_REQUEST": "The viewer filed this request.",
        "ILLEGAL_TRANSITION": "The request is no longer open (DONE or finished).",
    },
)


@strawberry.type(description="A reason `repairRequestJoin` refused.")
class RepairRequestJoinError(UserError):
    code: RepairRequestJoinErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.input(description="A neighbour's \u201cme too\u201d on a building or yard request.")
class RepairRequestJoinInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")


@strawberry.type(description="Result of `repairRequestJoin`.")
class RepairRequestJoinPayload:
    repair_request: RepairRequest | None = strawberry.field(
        description="The request, now followed by the viewer (joining twice changes nothing)."
    )
    user_errors: list[RepairRequestJoinError] = strawberry.field(
        description="Business errors; empty on success."
    )


DESCRIPTIONS = {
    "Cancel": "Withdraw the viewer's own request while it is NEW or ACCEPTED.",
    "Confirm": "Confirm that the work on the viewer's own request is done (DONE → CLOSED).",
    "Reopen": "Reopen the viewer's own DONE request: the work was not good enough (a "
    "comment says why).",
    "Rate": "Rate the work on the viewer's own request, once, after it is DONE (1–5).",
    "Accept": "Staff (dispatchers, managers) accept a NEW request.",
    "Reject": "Staff (dispatchers, managers) reject a NEW or ACCEPTED request, with a reason.",
    "Defer": "Staff (dispatchers, managers) put off an ACCEPTED, IN_PROGRESS or REOPENED request.",
    "Assign": "Staff (dispatchers, managers) assign an engineer of the organisation.",
    "Start": "The assigned engineer starts the work (→ IN_PROGRESS).",
    "Complete": "The assigned engineer finishes the work (IN_PROGRESS → DONE), saying what "
    "was done.",
}
"""What each state-machine mutation does (its SDL description)."""


RepairRequestCancelErrorCode = error_codes(
    "RepairRequestCancelErrorCode",
    "Why `repairRequestCancel` refused.",
    {**_STATE_CODES, **_OPTIONAL_COMMENT_CODES},
)


@strawberry.type(description="A reason `repairRequestCancel` refused.")
class RepairRequestCancelError(UserError):
    code: RepairRequestCancelErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="Result of `repairRequestCancel`.")
class RepairRequestCancelPayload:
    repair_request: RepairRequest | None = strawberry.field(
        description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestCancelError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Input of `repairRequestCancel`.")
class RepairRequestCancelInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    comment: str | None = strawberry.field(
        default=None, description=f"A note (at most {MAX_COMMENT_LENGTH} characters)."
    )


RepairRequestConfirmErrorCode = error_codes(
    "RepairRequestConfirmErrorCode",
    "Why `repairRequestConfirm` refused.",
    {**_STATE_CODES, **_OPTIONAL_COMMENT_CODES},
)


@strawberry.type(description="A reason `repairRequestConfirm` refused.")
class RepairRequestConfirmError(UserError):
    code: RepairRequestConfirmErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="Result of `repairRequestConfirm`.")
class RepairRequestConfirmPayload:
    repair_request: RepairRequest | None = strawberry.field(
        description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestConfirmError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Input of `repairRequestConfirm`.")
class RepairRequestConfirmInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    comment: str | None = strawberry.field(
        default=None, description=f"A note (at most {MAX_COMMENT_LENGTH} characters)."
    )


RepairRequestReopenErrorCode = error_codes(
    "RepairRequestReopenErrorCode",
    "Why `repairRequestReopen` refused.",
    {**_STATE_CODES, **_REQUIRED_COMMENT_CODES},
)


@strawberry.type(description="A reason `repairRequestReopen` refused.")
class RepairRequestReopenError(UserError):
    code: RepairRequestReopenErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="Result of `repairRequestReopen`.")
class RepairRequestReopenPayload:
    repair_request: RepairRequest | None = strawberry.field(
        description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestReopenError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Input of `repairRequestReopen`.")
class RepairRequestReopenInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    comment: str = strawberry.field(
        description=f"What and why (1–{MAX_COMMENT_LENGTH} characters)."
    )


RepairRequestRateErrorCode = error_codes(
    "RepairRequestRateErrorCode",
    "Why `repairRequestRate` refused.",
    {**_STATE_CODES, **_RATING_CODES},
)


@strawberry.type(description="A reason `repairRequestRate` refused.")
class RepairRequestRateError(UserError):
    code: RepairRequestRateErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="Result of `repairRequestRate`.")
class RepairRequestRatePayload:
    repair_request: RepairRequest | None = strawberry.field(
        description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestRateError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Input of `repairRequestRate`.")
class RepairRequestRateInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    rating: int = strawberry.field(description="1 (poor) to 5 (excellent).")


RepairRequestAcceptErrorCode = error_codes(
    "RepairRequestAcceptErrorCode",
    "Why `repairRequestAccept` refused.",
    {**_STATE_CODES, **_OPTIONAL_COMMENT_CODES},
)


@strawberry.type(description="A reason `repairRequestAccept` refused.")
class RepairRequestAcceptError(UserError):
    code: RepairRequestAcceptErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="Result of `repairRequestAccept`.")
class RepairRequestAcceptPayload:
    repair_request: RepairRequest | None = strawberry.field(
        description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestAcceptError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Input of `repairRequestAccept`.")
class RepairRequestAcceptInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    comment: str | None = strawberry.field(
        default=None, description=f"A note (at most {MAX_COMMENT_LENGTH} characters)."
    )


RepairRequestRejectErrorCode = error_codes(
    "RepairRequestRejectErrorCode",
    "Why `repairRequestReject` refused.",
    {**_STATE_CODES, **_REASON_CODES},
)


@strawberry.type(description="A reason `repairRequestReject` refused.")
class RepairRequestRejectError(UserError):
    code: RepairRequestRejectErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="Result of `repairRequestReject`.")
class RepairRequestRejectPayload:
    repair_request: RepairRequest | None = strawberry.field(
        description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestRejectError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Input of `repairRequestReject`.")
class RepairRequestRejectInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    reason: str = strawberry.field(
        description=f"Why it is rejected (1–{MAX_COMMENT_LENGTH} characters)."
    )


RepairRequestDeferErrorCode = error_codes(
    "RepairRequestDeferErrorCode",
    "Why `repairRequestDefer` refused.",
    {**_STATE_CODES, **_OPTIONAL_COMMENT_CODES},
)


@strawberry.type(description="A reason `repairRequestDefer` refused.")
class RepairRequestDeferError(UserError):
    code: RepairRequestDeferErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="Result of `repairRequestDefer`.")
class RepairRequestDeferPayload:
    repair_request: RepairRequest | None = strawberry.field(
        description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestDeferError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Input of `repairRequestDefer`.")
class RepairRequestDeferInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    comment: str | None = strawberry.field(
        default=None, description=f"A note (at most {MAX_COMMENT_LENGTH} characters)."
    )


RepairRequestAssignErrorCode = error_codes(
    "RepairRequestAssignErrorCode",
    "Why `repairRequestAssign` refused.",
    {**_STATE_CODES, **_OPTIONAL_COMMENT_CODES, **_ASSIGN_CODES},
)


@strawberry.type(description="A reason `repairRequestAssign` refused.")
class RepairRequestAssignError(UserError):
    code: RepairRequestAssignErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="Result of `repairRequestAssign`.")
class RepairRequestAssignPayload:
    repair_request: RepairRequest | None = strawberry.field(
        description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestAssignError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Input of `repairRequestAssign`.")
class RepairRequestAssignInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    assignee_id: strawberry.ID = strawberry.field(
        description="An engineer of the request's organisation (a User id)."
    )
    comment: str | None = strawberry.field(
        default=None, description=f"A note (at most {MAX_COMMENT_LENGTH} characters)."
    )


RepairRequestStartErrorCode = error_codes(
    "RepairRequestStartErrorCode",
    "Why `repairRequestStart` refused.",
    {**_STATE_CODES, **_OPTIONAL_COMMENT_CODES},
)


@strawberry.type(description="A reason `repairRequestStart` refused.")
class RepairRequestStartError(UserError):
    code: RepairRequestStartErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="Result of `repairRequestStart`.")
class RepairRequestStartPayload:
    repair_request: RepairRequest | None = strawberry.field(
        description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestStartError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Input of `repairRequestStart`.")
class RepairRequestStartInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    comment: str | None = strawberry.field(
        default=None, description=f"A note (at most {MAX_COMMENT_LENGTH} characters)."
    )


RepairRequestCompleteErrorCode = error_codes(
    "RepairRequestCompleteErrorCode",
    "Why `repairRequestComplete` refused.",
    {**_STATE_CODES, **_REQUIRED_COMMENT_CODES},
)


@strawberry.type(description="A reason `repairRequestComplete` refused.")
class RepairRequestCompleteError(UserError):
    code: RepairRequestCompleteErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="Result of `repairRequestComplete`.")
class RepairRequestCompletePayload:
    repair_request: RepairRequest | None = strawberry.field(
        description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestCompleteError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Input of `repairRequestComplete`.")
class RepairRequestCompleteInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    comment: str = strawberry.field(
        description=f"What and why (1–{MAX_COMMENT_LENGTH} characters)."
    )


# -- guards and helpers ---------------------------------------------------------------------


async def _input_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    return Target(
        building_id=expect_id(kwargs["input"].building_id, "Building", field="buildingId")
    )


async def _input_request_building(
    source: Any, info: AppInfo, kwargs: dict[str, Any]
) -> Target | None:
    request_id = expect_id(kwargs["input"].request_id, "RepairRequest", field="requestId")
    row = await info.context.db.fetch_one(REQUESTS_BY_ID, keys=[request_id])
    return Target(building_id=int(row["building_id"])) if row is not None else None


def _argument_organisation(source: Any, kwargs: dict[str, Any]) -> Target | None:
    return Target(
        organisation_id=expect_id(
            kwargs["organisation_id"], "ManagementOrganisation", field="organisationId"
        )
    )


async def _one_request(context: Context, request_id: int) -> RepairRequest | None:
    (request,) = await RepairRequest.load_nodes(context, [request_id])
    return await visible(context, request)


async def _visible_request_id(context: Context, global_id: str) -> int:
    """The pk of a request the viewer may see; FORBIDDEN otherwise."""
    request_id = expect_id(global_id, "RepairRequest", field="requestId")
    if await _one_request(context, request_id) is None:
        raise Forbidden("You may not see this repair request.")
    return request_id


async def _act(
    info: AppInfo,
    request_global_id: str,
    action: Action,
    error_type: type[Any],
    code_enum: Any,
    *,
    expected_version: int | None = None,
    comment: str | None = None,
    comment_field: str = "comment",
    rating: int | None = None,
    assignee_id: int | None = None,
) -> tuple[RepairRequest | None, list[Any]]:
    """Take ``action`` as the viewer; the request as it is now and the userErrors."""
    context = info.context
    actor_id = context.require_viewer()
    request_id = await _visible_request_id(context, request_global_id)
    staff_roles = (await context.profile()).staff_roles

    async def work(session: AsyncSession, outbox: Outbox) -> None:
        await service.act(
            session,
            outbox,
            request_id=request_id,
            action=action,
            actor_id=actor_id,
            staff_roles=staff_roles,
            now=context.now,
            expected_version=expected_version,
            comment=comment,
            comment_field=comment_field,
            rating=rating,
            assignee_id=assignee_id,
        )

    result = await run_in_transaction(context.db, work)
    request = await _one_request(context.after_write(), request_id)
    return request, errors_of(result, error_type, code_enum)


_HANDLE = Capability.REPAIR_REQUEST_HANDLE
_AUTHOR = Capability.REPAIR_REQUEST_CREATE


CREATE_LIMIT = RateLimit(
    "repair_request_create", (Window(10, timedelta(hours=1)), Window(30, timedelta(days=1)))
)
COMMENT_LIMIT = RateLimit(
    "repair_request_comment", (Window(30, timedelta(hours=1)), Window(200, timedelta(days=1)))
)


@strawberry.type
class RepairRequestMutations:
    @requires(
        Capability.REPAIR_REQUEST_CREATE,
        _input_building,
        mutation=True,
        rate_limit=CREATE_LIMIT,
        description="File a repair request for the viewer's apartment, their building or its "
        "yard. Emergencies (LEAK, BLOCKAGE, EMERGENCY_DAMAGE) get their legal `dueAt`.",
    )
    async def repair_request_create(
        self, info: AppInfo, input: MutationInput[RepairRequestCreateInput]
    ) -> RepairRequestCreatePayload | None:
        context = info.context
        author_id = context.require_viewer()
        building_id = expect_id(input.building_id, "Building", field="buildingId")
        premise_id = (
            expect_id(input.premise_id, "Premise", field="premiseId")
            if input.premise_id is not None
            else None
        )
        new = service.NewRequest(
            building_id=building_id,
            scope=input.scope,
            category=input.category,
            description=input.description,
            premise_id=premise_id,
        )
        profile = await context.profile()

        async def work(stored: list[StoredPhoto]) -> int | ServiceError:
            async def write(session: AsyncSession, outbox: Outbox) -> int:
                return await service.create_request(
                    session,
                    outbox,
                    request=new,
                    description=description,
                    author_id=author_id,
                    photos=stored,
                    now=context.now,
                )

            return await run_in_transaction(context.db, write)

        result: int | ServiceError
        try:
            # Everything is checked before a byte is stored.
            description = service.check_new_request(
                request=new, author_premises=profile.premise_buildings
            )
            photos = await read_photos(input.photos or [], owner="A repair request")
        except ServiceError as error:
            result = error
        else:
            result = await with_stored_photos(context.services.storage, photos, work)
        fresh = context.after_write()
        similar = await similar_open_requests(
            fresh,
            building_id=building_id,
            scope=input.scope,
            category=input.category,
            exclude_id=result if isinstance(result, int) else 0,
        )
        if isinstance(result, ServiceError):
            return RepairRequestCreatePayload(
                repair_request=None,
                similar_open_requests=similar,
                user_errors=user_errors(
                    RepairRequestCreateError, RepairRequestCreateErrorCode, result
                ),
            )
        return RepairRequestCreatePayload(
            repair_request=await _one_request(fresh, result),
            similar_open_requests=similar,
            user_errors=[],
        )

    @requires(
        Capability.REPAIR_REQUEST_CREATE,
        _input_request_building,
        mutation=True,
        description="Join (\u201cme too\u201d) an open building or yard request of the "
        "viewer's building instead of filing a duplicate: the viewer follows it and is "
        "counted. Joining twice changes nothing.",
    )
    async def repair_request_join(
        self, info: AppInfo, input: MutationInput[RepairRequestJoinInput]
    ) -> RepairRequestJoinPayload | None:
        context = info.context
        user_id = context.require_viewer()
        request_id = await _visible_request_id(context, input.request_id)

        async def work(session: AsyncSession, outbox: Outbox) -> bool:
            return await service.join_request(
                session, outbox, request_id=request_id, user_id=user_id, now=context.now
            )

        result = await run_in_transaction(context.db, work)
        return RepairRequestJoinPayload(
            repair_request=await _one_request(context.after_write(), request_id),
            user_errors=errors_of(result, RepairRequestJoinError, RepairRequestJoinErrorCode),
        )

    @strawberry.mutation(
        description="Write in a request's thread: its author, its followers and the staff "
        "of its organisation, until it is finished.",
        directives=COMMENT_LIMIT.directives,
    )
    @COMMENT_LIMIT
    async def repair_request_comment(
        self, info: AppInfo, input: MutationInput[RepairRequestCommentInput]
    ) -> RepairRequestCommentPayload:
        request, errors = await _act(
            info,
            input.request_id,
            Action.COMMENT,
            RepairRequestCommentError,
            RepairRequestCommentErrorCode,
            comment=input.comment,
        )
        return RepairRequestCommentPayload(repair_request=request, user_errors=errors)

    @requires(_AUTHOR, _input_request_building, mutation=True, description=DESCRIPTIONS["Cancel"])
    async def repair_request_cancel(
        self, info: AppInfo, input: MutationInput[RepairRequestCancelInput]
    ) -> RepairRequestCancelPayload | None:
        request, errors = await _act(
            info,
            input.request_id,
            Action.CANCEL,
            RepairRequestCancelError,
            RepairRequestCancelErrorCode,
            expected_version=input.expected_version,
            comment=input.comment,
        )
        return RepairRequestCancelPayload(repair_request=request, user_errors=errors)

    @requires(_AUTHOR, _input_request_building, mutation=True, description=DESCRIPTIONS["Confirm"])
    async def repair_request_confirm(
        self, info: AppInfo, input: MutationInput[RepairRequestConfirmInput]
    ) -> RepairRequestConfirmPayload | None:
        request, errors = await _act(
            info,
            input.request_id,
            Action.CONFIRM,
            RepairRequestConfirmError,
            RepairRequestConfirmErrorCode,
            expected_version=input.expected_version,
            comment=input.comment,
        )
        return RepairRequestConfirmPayload(repair_request=request, user_errors=errors)

    @requires(_AUTHOR, _input_request_building, mutation=True, description=DESCRIPTIONS["Reopen"])
    async def repair_request_reopen(
        self, info: AppInfo, input: MutationInput[RepairRequestReopenInput]
    ) -> RepairRequestReopenPayload | None:
        request, errors = await _act(
            info,
            input.request_id,
            Action.REOPEN,
            RepairRequestReopenError,
            RepairRequestReopenErrorCode,
            expected_version=input.expected_version,
            comment=input.comment,
        )
        return RepairRequestReopenPayload(repair_request=request, user_errors=errors)

    @requires(_AUTHOR, _input_request_building, mutation=True, description=DESCRIPTIONS["Rate"])
    async def repair_request_rate(
        self, info: AppInfo, input: MutationInput[RepairRequestRateInput]
    ) -> RepairRequestRatePayload | None:
        request, errors = await _act(
            info,
            input.request_id,
            Action.RATE,
            RepairRequestRateError,
            RepairRequestRateErrorCode,
            expected_version=input.expected_version,
            rating=input.rating,
        )
        return RepairRequestRatePayload(repair_request=request, user_errors=errors)

    @requires(_HANDLE, _input_request_building, mutation=True, description=DESCRIPTIONS["Accept"])
    async def repair_request_accept(
        self, info: AppInfo, input: MutationInput[RepairRequestAcceptInput]
    ) -> RepairRequestAcceptPayload | None:
        request, errors = await _act(
            info,
            input.request_id,
            Action.ACCEPT,
            RepairRequestAcceptError,
            RepairRequestAcceptErrorCode,
            expected_version=input.expected_version,
            comment=input.comment,
        )
        return RepairRequestAcceptPayload(repair_request=request, user_errors=errors)

    @requires(_HANDLE, _input_request_building, mutation=True, description=DESCRIPTIONS["Reject"])
    async def repair_request_reject(
        self, info: AppInfo, input: MutationInput[RepairRequestRejectInput]
    ) -> RepairRequestRejectPayload | None:
        request, errors = await _act(
            info,
            input.request_id,
            Action.REJECT,
            RepairRequestRejectError,
            RepairRequestRejectErrorCode,
            expected_version=input.expected_version,
            comment=input.reason,
            comment_field="reason",
        )
        return RepairRequestRejectPayload(repair_request=request, user_errors=errors)

    @requires(_HANDLE, _input_request_building, mutation=True, description=DESCRIPTIONS["Defer"])
    async def repair_request_defer(
        self, info: AppInfo, input: MutationInput[RepairRequestDeferInput]
    ) -> RepairRequestDeferPayload | None:
        request, errors = await _act(
            info,
            input.request_id,
            Action.DEFER,
            RepairRequestDeferError,
            RepairRequestDeferErrorCode,
            expected_version=input.expected_version,
            comment=input.comment,
        )
        return RepairRequestDeferPayload(repair_request=request, user_errors=errors)

    @requires(_HANDLE, _input_request_building, mutation=True, description=DESCRIPTIONS["Assign"])
    async def repair_request_assign(
        self, info: AppInfo, input: MutationInput[RepairRequestAssignInput]
    ) -> RepairRequestAssignPayload | None:
        request, errors = await _act(
            info,
            input.request_id,
            Action.ASSIGN,
            RepairRequestAssignError,
            RepairRequestAssignErrorCode,
            expected_version=input.expected_version,
            comment=input.comment,
            assignee_id=expect_id(input.assignee_id, "User", field="assigneeId"),
        )
        return RepairRequestAssignPayload(repair_request=request, user_errors=errors)

    @requires(_HANDLE, _input_request_building, mutation=True, description=DESCRIPTIONS["Start"])
    async def repair_request_start(
        self, info: AppInfo, input: MutationInput[RepairRequestStartInput]
    ) -> RepairRequestStartPayload | None:
        request, errors = await _act(
            info,
            input.request_id,
            Action.START,
            RepairRequestStartError,
            RepairRequestStartErrorCode,
            expected_version=input.expected_version,
            comment=input.comment,
        )
        return RepairRequestStartPayload(repair_request=request, user_errors=errors)

    @requires(_HANDLE, _input_request_building, mutation=True, description=DESCRIPTIONS["Complete"])
    async def repair_request_complete(
        self, info: AppInfo, input: MutationInput[RepairRequestCompleteInput]
    ) -> RepairRequestCompletePayload | None:
        request, errors = await _act(
            info,
            input.request_id,
            Action.COMPLETE,
            RepairRequestCompleteError,
            RepairRequestCompleteErrorCode,
            expected_version=input.expected_version,
            comment=input.comment,
        )
        return RepairRequestCompletePayload(repair_request=request, user_errors=errors)


# -- the staff desk ---------------------------------------------------------------------------


@strawberry.input(description="Which requests the desk shows; every given filter must match.")
class RepairRequestDeskFilter:
    building_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only requests of these buildings."
    )
    statuses: list[RepairRequestStatus] | None = strawberry.field(
        default=None, description="Only requests in these statuses."
    )
    scopes: list[RepairRequestScope] | None = strawberry.field(
        default=None, description="Only requests of these scopes."
    )
    categories: list[RepairCategory] | None = strawberry.field(
        default=None, description="Only requests of these categories."
    )
    overdue: bool | None = strawberry.field(
        default=None,
        description="Only overdue requests (true) or only those that are not (false).",
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only requests assigned to this engineer."
    )


MAX_FILTER_VALUES = 100
_DESK: dict[tuple[Any, ...], Prepared] = {}


def _any_of(column: Any, name: str) -> Any:
    return column == any_(bindparam(name, type_=ARRAY(column.type)))


def _overdue() -> Any:
    return and_(
        RequestRow.due_at.is_not(None),
        RequestRow.due_at < bindparam("now", type_=RequestRow.due_at.type),
        service.is_open(RequestRow.status),
    )


def _desk(shape: tuple[Any, ...]) -> Prepared:
    """The desk's statement for one combination of filters (prepared once per shape)."""
    prepared = _DESK.get(shape)
    if prepared is None:
        has_after, buildings, statuses, scopes, categories, overdue, assignee = shape
        statement = REQUEST_COLUMNS.where(
            RequestRow.organisation_id == bindparam("organisation_id")
        )
        if buildings:
            statement = statement.where(RequestRow.building_id == keys_param("building_ids"))
        if statuses:
            statement = statement.where(_any_of(RequestRow.status, "statuses"))
        if scopes:
            statement = statement.where(_any_of(RequestRow.scope, "scopes"))
        if categories:
            statement = statement.where(_any_of(RequestRow.category, "categories"))
        if overdue is True:
            statement = statement.where(_overdue())
        elif overdue is False:
            statement = statement.where(not_(_overdue()))
        if assignee:
            statement = statement.where(RequestRow.assignee_id == bindparam("assignee_id"))
        prepared = Prepared(keyset_desc(statement, (RequestRow.id,), has_after=has_after))
        _DESK[shape] = prepared
    return prepared


def _values(values: Sequence[Any] | None, field: str) -> list[Any] | None:
    if values is None:
        return None
    if len(values) > MAX_FILTER_VALUES:
        raise BadUserInput(f"At most {MAX_FILTER_VALUES} values.", field=f"filter.{field}")
    return list(dict.fromkeys(values))


async def repair_request_desk(
    info: AppInfo,
    organisation_id: int,
    *,
    first: int,
    after: str | None,
    filter: RepairRequestDeskFilter | None,
) -> RepairRequestConnection:
    context = info.context
    page = page_request(first, after, types=(int,))
    filter = filter or RepairRequestDeskFilter()
    buildings = _values(filter.building_ids, "buildingIds")
    statuses = _values(filter.statuses, "statuses")
    scopes = _values(filter.scopes, "scopes")
    categories = _values(filter.categories, "categories")
    params: dict[str, Any] = {"organisation_id": organisation_id, **page_params(page)}
    if buildings is not None:
        params["building_ids"] = [
            expect_id(global_id, "Building", field="filter.buildingIds") for global_id in buildings
        ]
    if statuses is not None:
        params["statuses"] = [status.value for status in statuses]
    if scopes is not None:
        params["scopes"] = [scope.value for scope in scopes]
    if categories is not None:
        params["categories"] = [category.value for category in categories]
    if filter.overdue is not None:
        params["now"] = context.now
    if filter.assignee_id is not None:
        params["assignee_id"] = expect_id(filter.assignee_id, "User", field="filter.assigneeId")
    shape = (
        page.after is not None,
        buildings is not None,
        statuses is not None,
        scopes is not None,
        categories is not None,
        filter.overdue,
        filter.assignee_id is not None,
    )
    rows = await context.db.fetch(_desk(shape), **params)
    # requests of a building that has changed hands since are no longer this desk's
    requests = await visible_only(context, [RepairRequest.from_row(row) for row in rows])
    connection = build_connection(
        [request for request in requests if request is not None], page, RepairRequest.sort_key
    )
    return RepairRequestConnection(edges=connection.edges, page_info=connection.page_info)


@strawberry.type
class RepairRequestQueries:
    @requires(
        Capability.REPAIR_REQUEST_HANDLE,
        _argument_organisation,
        description="The organisation's repair requests over all its buildings, newest "
        "first: the staff desk.",
    )
    async def repair_request_desk(
        self,
        info: AppInfo,
        organisation_id: Annotated[
            strawberry.ID, strawberry.argument(description="The viewer's organisation.")
        ],
        first: First,
        after: After = None,
        filter: Annotated[
            RepairRequestDeskFilter | None,
            strawberry.argument(description="Narrow the list; all requests if omitted."),
        ] = None,
    ) -> RepairRequestConnection | None:
        pk = expect_id(organisation_id, "ManagementOrganisation", field="organisationId")
        return await repair_request_desk(info, pk, first=first, after=after, filter=filter)


# -- live: a request's history, and the staff boards -------------------------------------------

_LATEST = {
    column.key: Prepared(
        select(func.coalesce(func.max(EventRow.id), 0)).where(column == bindparam("key"))
    )
    for column in (EventRow.request_id, EventRow.organisation_id, EventRow.building_id)
}
_AFTER = {
    column.key: Prepared(
        EVENT_COLUMNS.where(column == bindparam("key"), EventRow.id > bindparam("last_id"))
        .order_by(EventRow.id)
        .limit(bindparam("limit"))
    )
    for column in (EventRow.request_id, EventRow.organisation_id, EventRow.building_id)
}


async def latest_event_id(context: Context, stream: str, key: int) -> int:
    row = await context.db.fetch_one(_LATEST[stream], key=key)
    return int(row[0]) if row is not None else 0


async def board_cursor(context: Context, organisation_id: int) -> str | None:
    """``ManagementOrganisation.repairBoardCursor``."""
    latest = await latest_event_id(context, "organisation_id", organisation_id)
    return encode_cursor((latest,)) if latest else None


async def _stream(
    info: AppInfo,
    channel: str,
    stream: str,
    key: int,
    after: str | None,
) -> AsyncGenerator[Any, None]:
    context = info.context
    services = context.services
    start = decode_cursor(after, types=(int,))[0] if after is not None else None

    async def latest() -> int:
        return await latest_event_id(context, stream, key)

    async def rows_after(last_id: int, limit: int) -> Sequence[Any]:
        return await services.db.fetch(_AFTER[stream], key=key, last_id=last_id, limit=limit)

    async for row in follow(
        services.pubsub,
        channel,
        after=start,
        latest=latest,
        rows_after=rows_after,
        id_of=lambda row: int(row["id"]),
    ):
        claims = context.claims
        if claims is not None and claims.expires_at <= services.clock():
            raise Unauthenticated("The access token has expired; sign in again.")
        context.renew()  # nothing read for an earlier event is reused
        yield row


@strawberry.type
class RepairRequestSubscriptions:
    @strawberry.subscription(
        description="A request's history as it happens, for whoever may see the request "
        "(its author, followers, residents of the building for building and yard requests, "
        "staff). With `after` (an event's `cursor`), first replays every event since: a "
        "client that reconnects with its last cursor misses nothing and gets nothing "
        "twice. Ends with FORBIDDEN once the viewer may no longer see the request."
    )
    async def repair_request_events(
        self,
        info: AppInfo,
        request_id: Annotated[strawberry.ID, strawberry.argument(description="The request.")],
        after: Annotated[
            str | None, strawberry.argument(description="Resume after this event's `cursor`.")
        ] = None,
    ) -> AsyncGenerator[RepairRequestEvent, None]:
        context = info.context
        context.require_viewer()
        pk = await _visible_request_id(context, request_id)
        async for row in _stream(info, service.request_channel(pk), "request_id", pk, after):
            if await _one_request(context, pk) is None:  # access decided again per event
                raise Forbidden("You may not see this repair request.")
            yield RepairRequestEvent.from_row(row)

    @strawberry.subscription(
        description="Every event of the repair requests of an organisation (or of one of "
        "its buildings), for its staff's live dashboards. Give exactly one of "
        "`organisationId` and `buildingId`. With `after` (an event's `cursor`, e.g. "
        "`ManagementOrganisation.repairBoardCursor` read with the desk), first replays "
        "every event since, without gaps or duplicates. Ends with FORBIDDEN once the "
        "viewer is no longer staff there."
    )
    async def repair_request_board(
        self,
        info: AppInfo,
        organisation_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The organisation.")
        ] = None,
        building_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="One of its buildings.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Resume after this event's `cursor`.")
        ] = None,
    ) -> AsyncGenerator[RepairRequestEvent, None]:
        context = info.context
        context.require_viewer()
        if (organisation_id is None) == (building_id is None):
            raise BadUserInput("Give exactly one of `organisationId` and `buildingId`.")
        if organisation_id is not None:
            key = expect_id(organisation_id, "ManagementOrganisation", field="organisationId")
            target = Target(organisation_id=key)
            channel, stream = service.organisation_channel(key), "organisation_id"
        else:
            assert building_id is not None
            key = expect_id(building_id, "Building", field="buildingId")
            target = Target(building_id=key)
            channel, stream = service.building_channel(key), "building_id"

        async def allowed() -> bool:
            return await context.can(
                _HANDLE, building_id=target.building_id, organisation_id=target.organisation_id
            )

        if not await allowed():
            raise Forbidden("This requires the REPAIR_REQUEST_HANDLE capability here.")
        async for row in _stream(info, channel, stream, key, after):
            if not await allowed():  # access decided again per event
                raise Forbidden("This requires the REPAIR_REQUEST_HANDLE capability here.")
            # an event of a request whose building has changed hands since is no longer
            # this board's to show
            event = await visible(context, RepairRequestEvent.from_row(row))
            if event is not None:
                yield event


@strawberry.type
class OrganisationRepairBoard:
    """``ManagementOrganisation.repairBoardCursor``."""

    @requires(
        Capability.REPAIR_REQUEST_HANDLE,
        source_organisation,
        description="Cursor of the organisation's latest repair request event (null before "
        "the first): read it with `repairRequestDesk`, then subscribe to "
        "`repairRequestBoard(organisationId:, after:)` to miss nothing in between.",
    )
    async def repair_board_cursor(self: ManagementOrganisation, info: AppInfo) -> str | None:
        return await board_cursor(info.context, self.pk)
