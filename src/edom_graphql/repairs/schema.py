"""The face of repairs: requests, their history, the desk and the live board."""

from edom_graphql.buildings.types import Building, ManagementOrganisation
from edom_graphql.core.composition import Domain, PhotoTable
from edom_graphql.repairs.api import (
    OrganisationRepairBoard,
    RepairRequestMutations,
    RepairRequestQueries,
    RepairRequestSubscriptions,
)
from edom_graphql.repairs.models import RepairRequestPhoto
from edom_graphql.repairs.service import auto_close_task
from edom_graphql.repairs.types import BuildingRepairRequests, RepairRequest, RepairRequestEvent

DOMAIN = Domain(
    name="repairs",
    queries=[RepairRequestQueries],
    mutations=[RepairRequestMutations],
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
