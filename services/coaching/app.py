"""Wiring of the coaching service: routes, the referral consumer, topics and migrations."""

from __future__ import annotations

from contracts.topics import COACHING_TOPIC, REFERRAL_TOPIC
from services.coaching.routes import router
from services.coaching.subscribers import referral_consumer
from services.runtime.access import MIGRATIONS as ACCESS_MIGRATIONS
from services.runtime.service import ServiceDefinition

definition = ServiceDefinition(
    name="coaching",
    title="Coaching service: IPS-based supported employment",
    default_port=8003,
    routers=[router],
    produces=COACHING_TOPIC,
    consumes=(REFERRAL_TOPIC,),
    consumers=lambda _ctx: [referral_consumer()],
    migrations=(ACCESS_MIGRATIONS,),
    description=(
        "Job coaching engagements (vocational profile, employer contacts), placements with "
        "follow-along support, and IPS fidelity reviews. Publishes polku.coaching.v1; "
        "consumes polku.referral.v1 for access control and to start an engagement for every "
        "job-coaching case."
    ),
)
