"""The face of repairs: requests, their history, the desk and the live board."""

from edom_graphql.buildings.types import Building, ManagementOrganisation
from edom_graphql.core.composition import Domain, PhotoTable
from edom_graphql.repairs.models import RepairRequestPhoto
from edom_graphql.repairs.mutations.accept import RepairRequestAcceptMutation
from edom_graphql.repairs.mutations.assign import RepairRequestAssignMutation
from edom_graphql.repairs.mutations.cancel import RepairRequestCancelMutation
from edom_graphql.repairs.mutations.comment import RepairRequestCommentMutation
from edom_graphql.repairs.mutations.complete import RepairRequestCompleteMutation
from edom_graphql.repairs.mutations.confirm import RepairRequestConfirmMutation
from edom_graphql.repairs.mutations.create import RepairRequestCreateMutation
from edom_graphql.repairs.mutations.defer import RepairRequestDeferMutation
from edom_graphql.repairs.mutations.join import RepairRequestJoinMutation
from edom_graphql.repairs.mutations.rate import RepairRequestRateMutation
from edom_graphql.repairs.mutations.reject import RepairRequestRejectMutation
from edom_graphql.repairs.mutations.reopen import RepairRequestReopenMutation
from edom_graphql.repairs.mutations.start import RepairRequestStartMutation
from edom_graphql.repairs.queries import RepairRequestQueries
from edom_graphql.repairs.scheduled import auto_close_task
from edom_graphql.repairs.subscriptions import RepairRequestSubscriptions
from edom_graphql.repairs.types import (
    BuildingRepairRequests,
    OrganisationRepairBoard,
    RepairRequest,
    RepairRequestEvent,
)

DOMAIN = Domain(
    name="repairs",
    queries=[RepairRequestQueries],
    mutations=[
        # in the order of the schema's Mutation type: filing, the author's, the staff's
        RepairRequestCreateMutation,
        RepairRequestJoinMutation,
        RepairRequestCommentMutation,
        RepairRequestCancelMutation,
        RepairRequestConfirmMutation,
        RepairRequestReopenMutation,
        RepairRequestRateMutation,
        RepairRequestAcceptMutation,
        RepairRequestRejectMutation,
        RepairRequestDeferMutation,
        RepairRequestAssignMutation,
        RepairRequestStartMutation,
        RepairRequestCompleteMutation,
    ],
    subscriptions=[RepairRequestSubscriptions],
    node_types=[RepairRequest, RepairRequestEvent],
    extends={Building: [BuildingRepairRequests], ManagementOrganisation: [OrganisationRepairBoard]},
    photos=[
        PhotoTable(
            RepairRequest,
            RepairRequestPhoto.storage_key,
            RepairRequestPhoto.request_id,
            RepairRequestPhoto.content_type,
        )
    ],
    scheduled=[auto_close_task],  # DONE requests close after 72 h
)
