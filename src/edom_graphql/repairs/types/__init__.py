"""GraphQL types of repairs: requests, their history and loaders (``requests``), and
the fields repairs adds to buildings and organisations (``buildings``)."""

from edom_graphql.repairs.types.buildings import (
    BuildingRepairRequests,
    OrganisationRepairBoard,
    repair_requests_of,
    similar_open_requests,
)
from edom_graphql.repairs.types.requests import (
    PhotosOfRequestLoader,
    RepairRequest,
    RepairRequestByIdLoader,
    RepairRequestConnection,
    RepairRequestEvent,
    RepairRequestEventByIdLoader,
    RepairRequestEventConnection,
    RepairRequestPhoto,
    events_of,
    visible_request,
)

__all__ = [
    "BuildingRepairRequests",
    "OrganisationRepairBoard",
    "PhotosOfRequestLoader",
    "RepairRequest",
    "RepairRequestByIdLoader",
    "RepairRequestConnection",
    "RepairRequestEvent",
    "RepairRequestEventByIdLoader",
    "RepairRequestEventConnection",
    "RepairRequestPhoto",
    "events_of",
    "repair_requests_of",
    "similar_open_requests",
    "visible_request",
]
