"""Event bodies of the published language, one module per producing service."""

from contracts.events.assessment import ASSESSMENT_EVENTS, AssessmentEvent
from contracts.events.base import Event
from contracts.events.coaching import COACHING_EVENTS, CoachingEvent
from contracts.events.referral import REFERRAL_EVENTS, ReferralEvent

__all__ = [
    "ASSESSMENT_EVENTS",
    "COACHING_EVENTS",
    "REFERRAL_EVENTS",
    "AssessmentEvent",
    "CoachingEvent",
    "Event",
    "ReferralEvent",
]
