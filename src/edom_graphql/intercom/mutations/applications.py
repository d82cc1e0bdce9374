"""``intercomApply``, ``intercomApplicationReview`` and ``intercomApplicationConnect``."""

from __future__ import annotations

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.intercom.access import input_application_building, input_premise
from edom_graphql.intercom.errors import IntercomApplicationError
from edom_graphql.intercom.service import applications
from edom_graphql.intercom.types.nodes import ApplicationByIdLoader, IntercomApplication


@strawberry.input(description="An application for the smart intercom at a premise's entrance.")
class IntercomApplyInput:
    premise_id: strawberry.ID = strawberry.field(
        description="The applicant's premise: its entrance is the one applied for."
    )


@strawberry.input(description="The organisation's decision on a submitted application.")
class IntercomApplicationReviewInput:
    application_id: strawberry.ID = strawberry.field(description="The application.")
    approve: bool = strawberry.field(description="Approve (true) or reject (false).")
    reason: str | None = strawberry.field(
        default=None, description="Why (required to reject; at most 1,000 characters)."
    )


@strawberry.input(description="A panel installed at a connected entrance.")
class IntercomPanelInput:
    name: str = strawberry.field(description='Where it is ("Main door"), 1–100 characters.')
    api_url: str = strawberry.field(description="The base URL of its device API (http(s)).")
    secret: str = strawberry.field(
        description="The secret shared with the device (16–200 characters): it signs what "
        "goes either way (see docs/intercom-protocol.md)."
    )


@strawberry.input(description="Panels installed at an approved application's entrance.")
class IntercomApplicationConnectInput:
    application_id: strawberry.ID = strawberry.field(description="The application.")
    panels: list[IntercomPanelInput] = strawberry.field(description="1–8 panels.")


@strawberry.type(description="Result of an intercom application mutation.")
class IntercomApplicationPayload(Payload):
    application: IntercomApplication | None = strawberry.field(
        default=None, description="The application, as it stands."
    )
    user_errors: list[IntercomApplicationError] = user_errors_field()


@strawberry.type
class IntercomApplicationMutations:
    @requires(
        Capability.INTERCOM_APPLY,
        input_premise,
        mutation=True,
        description="Apply for the smart intercom at the entrance of the viewer's premise "
        "(owners and registered residents). Only a building meeting the technical "
        "requirements (`Building.intercomCapable`) accepts it: otherwise NOT_CAPABLE.",
    )
    async def intercom_apply(
        self, info: AppInfo, input: MutationInput[IntercomApplyInput]
    ) -> IntercomApplicationPayload | None:
        context = info.context
        user_id = context.require_viewer()
        premise_id = expect_id(input.premise_id, "Premise", field="premiseId")
        now = context.now
        result = await commit(
            context,
            lambda session, outbox: applications.apply(
                session, outbox, premise_id=premise_id, applicant_id=user_id, now=now
            ),
        )
        if isinstance(result, ServiceError):
            return IntercomApplicationPayload.refused(result)
        return IntercomApplicationPayload(
            application=await ApplicationByIdLoader.of(context).load(result)
        )

    @requires(
        Capability.INTERCOM_MANAGE,
        input_application_building,
        mutation=True,
        description="Approve or reject (with a reason) a submitted application: the "
        "organisation's engineers and managers. The applicant is notified.",
    )
    async def intercom_application_review(
        self, info: AppInfo, input: MutationInput[IntercomApplicationReviewInput]
    ) -> IntercomApplicationPayload | None:
        context = info.context
        user_id = context.require_viewer()
        application_id = expect_id(
            input.application_id, "IntercomApplication", field="applicationId"
        )
        now = context.now
        result = await commit(
            context,
            lambda session, outbox: applications.review(
                session,
                outbox,
                application_id=application_id,
                reviewer_id=user_id,
                approve=input.approve,
                reason=input.reason,
                now=now,
            ),
        )
        application = await ApplicationByIdLoader.of(context).load(application_id)
        return IntercomApplicationPayload.of(result, application=application)

    @requires(
        Capability.INTERCOM_MANAGE,
        input_application_building,
        mutation=True,
        description="Connect an approved application's entrance with the panels installed "
        "there: the entrance lists them and its residents may open the door. The applicant "
        "is notified.",
    )
    async def intercom_application_connect(
        self, info: AppInfo, input: MutationInput[IntercomApplicationConnectInput]
    ) -> IntercomApplicationPayload | None:
        context = info.context
        user_id = context.require_viewer()
        application_id = expect_id(
            input.application_id, "IntercomApplication", field="applicationId"
        )
        panels = [
            applications.NewPanel(panel.name, panel.api_url, panel.secret) for panel in input.panels
        ]
        now = context.now
        result = await commit(
            context,
            lambda session, outbox: applications.connect(
                session,
                outbox,
                application_id=application_id,
                actor_id=user_id,
                panels=panels,
                now=now,
            ),
        )
        application = await ApplicationByIdLoader.of(context).load(application_id)
        return IntercomApplicationPayload.of(result, application=application)
