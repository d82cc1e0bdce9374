"""The face of city points: the viewer's ledger, the catalogue of rewards, redeeming and
donating. The domain sits below the others, which award points through
``points.service.ledger.award`` in their own transactions."""

from edom_graphql.core.composition import Domain
from edom_graphql.points.mutations.donate import PointsDonateMutation
from edom_graphql.points.mutations.redeem import RewardRedeemMutation
from edom_graphql.points.queries import PointQueries
from edom_graphql.points.types import PointEntry, Reward, RewardRedemption, ViewerPointsField
from edom_graphql.residents.types import Viewer

DOMAIN = Domain(
    name="points",
    queries=[PointQueries],
    mutations=[RewardRedeemMutation, PointsDonateMutation],
    node_types=[PointEntry, Reward, RewardRedemption],
    extends={Viewer: [ViewerPointsField]},
)
