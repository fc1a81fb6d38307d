"""Wiring of the assessment service: routes, the referral consumer, migrations, topic."""

from __future__ import annotations

from contracts.topics import ASSESSMENT_TOPIC, REFERRAL_TOPIC
from services.assessment.routes import router
from services.runtime.access import MIGRATIONS, access_consumer
from services.runtime.service import ServiceDefinition

definition = ServiceDefinition(
    name="assessment",
    title="Work ability assessments, measurements, support plans and consultations",
    default_port=8002,
    routers=[router],
    produces=ASSESSMENT_TOPIC,
    consumes=(REFERRAL_TOPIC,),
    consumers=lambda ctx: [access_consumer("assessment")],
    # The service keeps no tables of its own beyond the event store and the access tables.
    migrations=(MIGRATIONS,),
    description=(
        "Assessments (työ- ja toimintakyvyn arviointi), work ability scores, Kykyviisari "
        "self-assessments, labour market status, health checks, support plans and "
        "consultations. Publishes polku.assessment.v1; consumes polku.referral.v1 to know "
        "which organisations may act on which client."
    ),
)
