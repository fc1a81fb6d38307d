"""Wiring of the coaching service: routes, the referral consumer, topics and migrations."""

from __future__ import annotations

from contracts.topics import REFERRAL_TOPIC
from services.coaching.routes import router
from services.coaching.subscribers import referral_consumer
from services.runtime.access import MIGRATIONS as ACCESS_MIGRATIONS
from services.runtime.service import write_service

DESCRIPTION = (
    "Job coaching engagements (vocational profile, employer contacts), placements with "
    "follow-along support, and IPS fidelity reviews. Publishes polku.coaching.v1; "
    "consumes polku.referral.v1 for access control and to start an engagement for every "
    "job-coaching case."
)

definition = write_service(
    "coaching", router, title="Coaching service: IPS-based supported employment",
    description=DESCRIPTION, consumes=(REFERRAL_TOPIC,), migrations=(ACCESS_MIGRATIONS,),
    consumers=lambda ctx: [referral_consumer(ctx)],
)
