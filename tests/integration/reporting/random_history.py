"""A seeded random history touching every v1 indicator, uneven across regions, organisations
and codes so that many of its cells are small (the differencing attacks need small cells)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from tests.integration.reporting.builders import History, seeded_ids

REGIONS = ("kymenlaakso", "pirkanmaa", "paijat-hame", "keski-uusimaa", "vantaa-kerava")
REGION_WEIGHTS = (8, 5, 3, 2, 1)
SERVICES = ("work_ability_assessment", "work_ability_coordination", "job_coaching",
            "social_rehabilitation")
KINDS = ("employment_services", "kela", "wellbeing_services", "municipality", "client_self")
REASONS = ("long_term_unemployment", "mental_health", "physical_health", "substance_use",
           "other")
EXITS = ("employment", "education", "employment_services", "sick_leave", "moved_away", "other")
ASSESSMENTS = ("multiprofessional", "physio_broad", "psychologist")
CONCLUSIONS = ("able_to_work", "partially_able", "unable_long_term")
BENEFITS = ("none", "sickness_allowance", "vocational_rehabilitation")
PLACEMENTS = ("open_market_job", "pay_subsidised_job", "work_trial", "education")
STATUSES = ("unemployed", "open_market_job", "education", "rehabilitation")
TOPICS = ("benefits", "mental_health", "work_ability_assessment", "other")
ROLES = ("doctor", "psychologist", "physiotherapist")


class Dates:
    """Business dates from 2023-10 to 2024-12, as strings."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def any(self) -> date:
        return date(2023, 10, 1) + timedelta(days=self.rng.randrange(455))

    @staticmethod
    def after(day: date, days: int) -> str:
        return str(day + timedelta(days=days))


def _case(h: History, rng: random.Random, client: str, region: str, on: date,
          service: str, referral: str | None) -> None:
    org = f"{region}-{rng.choice(('sote', 'sote', 'mtp'))}"
    worker = f"{org}-{rng.randrange(4)}"
    case = h.open_case(client, str(on), org=org, service=service, referral=referral,
                       worker=worker)
    if rng.random() < 0.1:
        h.transfer(case, client, Dates.after(on, 20), from_org=org, to_org=f"{region}-kela",
                   to_worker=f"{region}-kela-{rng.randrange(2)}")
    if service in SERVICES[:2] and rng.random() < 0.6:
        h.plan(client, case, Dates.after(on, rng.randrange(5, 90)), Dates.after(on, 200))
    h.score(client, Dates.after(on, rng.randrange(-20, 10)), "baseline", rng.randrange(11))
    h.status(client, Dates.after(on, 1), "baseline", rng.choice(STATUSES))
    if rng.random() < 0.5:
        h.self_assessment(client, Dates.after(on, 2), "baseline", rng.randrange(1, 10))
    if rng.random() < 0.7:
        closed = rng.randrange(20, 300)
        h.close_case(case, client, Dates.after(on, closed), rng.choice(EXITS))
        h.score(client, Dates.after(on, closed + rng.randrange(-5, 25)), "end",
                rng.randrange(11))
        h.status(client, Dates.after(on, closed), "end", rng.choice(STATUSES))
        if rng.random() < 0.5:
            h.self_assessment(client, Dates.after(on, closed), "end", rng.randrange(1, 10))
        if rng.random() < 0.4:
            h.score(client, Dates.after(on, closed + 100), "follow_up", rng.randrange(11))


def _assessments(h: History, rng: random.Random, client: str, region: str, on: date) -> None:
    for _ in range(rng.choice((1, 1, 2, 3))):
        kind = rng.choice(ASSESSMENTS)
        day = on + timedelta(days=rng.randrange(0, 120))
        org = f"{region}-{rng.choice(('sote', 'mtp'))}"
        assessment = h.assessment(client, str(day), kind=kind, org=org)
        if rng.random() < 0.7:
            h.complete(assessment, client, Dates.after(day, rng.randrange(5, 60)),
                       conclusion=rng.choice(CONCLUSIONS), benefit=rng.choice(BENEFITS))
        elif rng.random() < 0.3:
            h.cancel(assessment, client, Dates.after(day, 3))


def _placement(h: History, rng: random.Random, client: str, start: date, engagement: str,
               *, subsidised: float) -> None:
    """A placement of the engagement from `start`, ended within 20–200 days half the time
    (the random draws in the order the history has always made them)."""
    placement = h.placement(client, str(start), rng.choice(PLACEMENTS),
                            subsidy=rng.random() < subsidised, engagement=engagement)
    if rng.random() < 0.5:
        h.end_placement(placement, client, Dates.after(start, rng.randrange(20, 200)),
                        rng.choice(("employer_ended", "converted_to_permanent")))


def _coaching(h: History, rng: random.Random, client: str, region: str, on: date) -> None:
    engagement = h.coaching(client, str(on), org=f"{region}-{rng.choice(('ngo', 'mtp'))}")
    if rng.random() < 0.8:
        h.employer_contact(engagement, client, Dates.after(on, rng.randrange(-3, 60)))
    if rng.random() < 0.6:
        _placement(h, rng, client, on + timedelta(days=rng.randrange(10, 120)), engagement,
                   subsidised=0.3)
    if rng.random() < 0.6:
        h.end_coaching(engagement, client, Dates.after(on, rng.randrange(60, 300)))


def _pathway(h: History, rng: random.Random, dates: Dates, client: str, region: str) -> None:
    for _ in range(rng.choice((1, 1, 1, 2))):
        made = dates.any()
        service = rng.choices(SERVICES, (6, 3, 2, 1))[0]
        reasons = rng.sample(REASONS, rng.choice((1, 1, 2)))
        referral = h.referral(
            client, str(made), service=service, kind=rng.choices(KINDS, (8, 4, 3, 1, 1))[0],
            reasons=reasons, triage=rng.choice(("green", "yellow", "red", None)),
            months=rng.choice((None, rng.randrange(0, 60))), target=f"{region}-sote")
        decided = made + timedelta(days=rng.randrange(1, 40))
        fate = rng.choices(("accepted", "declined", "withdrawn", None), (7, 2, 1, 1))[0]
        if fate is not None:
            h.decide(referral, client, str(decided), fate)
        if fate == "accepted":
            _case(h, rng, client, region, decided, service, referral)
            _assessments(h, rng, client, region, decided)
        if fate == "accepted" and service == "job_coaching":
            _coaching(h, rng, client, region, decided + timedelta(days=3))


def _dense_pathway(h: History, rng: random.Random, dates: Dates, client: str,
                   region: str) -> None:
    """An accepted referral whose case and coaching touch the sparse indicators far more often
    than `_pathway` does: assessments, transfers, plans, measurements, closes, employer
    contacts, placements, health checks."""
    made = dates.any()
    service = rng.choices(SERVICES, (4, 2, 2, 1))[0]
    referral = h.referral(
        client, str(made), service=service, kind=rng.choice(KINDS),
        reasons=rng.sample(REASONS, rng.choice((1, 2))),
        triage=rng.choice(("green", "yellow", "red", None)),
        months=rng.choice((None, rng.randrange(0, 60))), target=f"{region}-sote")
    on = made + timedelta(days=rng.randrange(1, 40))
    h.decide(referral, client, str(on), "accepted")
    org = f"{region}-{rng.choice(('sote', 'mtp'))}"
    case = h.open_case(client, str(on), org=org, service=service, referral=referral,
                       worker=f"{org}-{rng.randrange(4)}")
    if rng.random() < 0.5:
        h.transfer(case, client, Dates.after(on, rng.randrange(1, 200)), from_org=org,
                   to_org=f"{region}-kela", to_worker=f"{region}-kela-{rng.randrange(2)}")
    _assessments(h, rng, client, region, on)
    if service in SERVICES[:2] and rng.random() < 0.8:
        h.plan(client, case, Dates.after(on, rng.randrange(5, 90)), Dates.after(on, 200))
    h.score(client, Dates.after(on, rng.randrange(-20, 10)), "baseline", rng.randrange(11))
    h.status(client, Dates.after(on, 1), "baseline", rng.choice(STATUSES))
    h.self_assessment(client, Dates.after(on, 2), "baseline", rng.randrange(1, 10))
    if rng.random() < 0.9:
        closed = rng.randrange(20, 200)
        h.close_case(case, client, Dates.after(on, closed),
                     rng.choices(EXITS, (8, 2, 2, 1, 1, 1))[0])
        h.score(client, Dates.after(on, closed + rng.randrange(-5, 25)), "end",
                rng.randrange(11))
        h.status(client, Dates.after(on, closed), "end", rng.choice(STATUSES))
        h.self_assessment(client, Dates.after(on, closed), "end", rng.randrange(1, 10))
        if rng.random() < 0.4:
            h.self_assessment(client, Dates.after(on, closed + 100), "follow_up",
                              rng.randrange(1, 10))
    start = on + timedelta(days=rng.randrange(-60, 60))
    engagement = h.coaching(client, str(start), org=f"{region}-{rng.choice(('ngo', 'mtp'))}")
    if rng.random() < 0.9:
        h.employer_contact(engagement, client, Dates.after(start, rng.randrange(0, 60)))
    for _ in range(rng.choice((1, 1, 2))):
        _placement(h, rng, client, start + timedelta(days=rng.randrange(5, 150)), engagement,
                   subsidised=0.4)
    if rng.random() < 0.5:
        h.end_coaching(engagement, client, Dates.after(start, rng.randrange(60, 300)))
    if rng.random() < 0.5:
        h.health_check(client, str(dates.any()), org=f"{region}-{rng.choice(('sote', 'mtp'))}")


def random_history(clients: int = 320, seed: int = 18, dense: int = 0) -> History:
    """`clients` pathways, plus feedback, health checks, consultations and fidelity reviews;
    the same every run, ids included. `dense` more clients (after all of that, so the
    default history is unchanged) each take an accepted referral through every sparse
    indicator (`_dense_pathway`): the differencing tests need many units in the cells of
    transfers, placements, self-assessments and closes, month by month."""
    with seeded_ids(seed):
        return _random_history(clients, seed, dense)


def _random_history(clients: int, seed: int, dense: int = 0) -> History:
    rng = random.Random(seed)
    dates = Dates(rng)
    h = History()
    for _ in range(clients):
        region = rng.choices(REGIONS, REGION_WEIGHTS)[0]
        client = h.client(region, on="2023-09-01")
        _pathway(h, rng, dates, client, region)
        if rng.random() < 0.2:
            h.health_check(client, str(dates.any()), org=f"{region}-{rng.choice(('sote', 'mtp'))}")
        if rng.random() < 0.5:
            h.feedback(str(dates.any()), rng.randrange(11), client=client,
                       org=f"{region}-{rng.choice(('sote', 'ngo', 'mtp'))}",
                       service=rng.choice(SERVICES), helped=rng.choice((True, False, None)),
                       heard=rng.choice((True, False, None)))
    for _ in range(clients // 2):
        region = rng.choices(REGIONS, REGION_WEIGHTS)[0]
        h.consultation(str(dates.any()), org=f"{region}-{rng.choice(('employment', 'kela'))}",
                       kind=rng.choice(("employment_services", "kela")), role=rng.choice(ROLES),
                       topic=rng.choice(TOPICS))
    for region in REGIONS:
        h.fidelity(str(dates.any()), rng.randrange(60, 120), org=f"{region}-ngo")
    for _ in range(dense):
        region = rng.choices(REGIONS, REGION_WEIGHTS)[0]
        _dense_pathway(h, rng, dates, h.client(region, on="2023-09-01"), region)
    return h
