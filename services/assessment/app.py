"""Wiring of the assessment service: routes, the referral consumer, migrations, topic."""

from __future__ import annotations

from contracts.topics import REFERRAL_TOPIC
from services.assessment.routes import router
from services.runtime.access import MIGRATIONS, access_consumer
from services.runtime.service import write_service

DESCRIPTION = (
    "Assessments (työ- ja toimintakyvyn arviointi), work ability scores, Kykyviisari "
    "self-assessments, labour market status, health checks, support plans and "
    "consultations. Publishes polku.assessment.v1; consumes polku.referral.v1 to know "
    "which organisations may act on which client."
)

# The service keeps no tables of its own beyond the event store and the access tables.
definition = write_service(
    "assessment", router, description=DESCRIPTION, consumes=(REFERRAL_TOPIC,),
    title="Work ability assessments, measurements, support plans and consultations",
    consumers=lambda ctx: [access_consumer("assessment", ctx.access)], migrations=(MIGRATIONS,),
)
