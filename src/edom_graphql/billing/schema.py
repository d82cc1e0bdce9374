"""The face of billing: a premise's bills and payments, and paying them."""

from edom_graphql.billing.mutations import BillMutations
from edom_graphql.billing.types import Bill, Payment, PremiseBilling
from edom_graphql.buildings.types import Premise
from edom_graphql.core.composition import Domain

DOMAIN = Domain(
    name="billing",
    mutations=[BillMutations],
    node_types=[Bill, Payment],
    extends={Premise: [PremiseBilling]},
)
