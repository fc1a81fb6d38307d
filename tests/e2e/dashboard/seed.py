"""A small history for the dashboard tests: two regions, two years, one suppressed cell.

Kymenlaakso has its activity in 2025, Pirkanmaa in 2024, so switching region and period
changes every chart. Two self-referrals in March 2025 make a cell below the threshold (5).
"""

from __future__ import annotations

from tests.integration.reporting.builders import History


def kymenlaakso_2025(h: History) -> None:
    for i in range(6):  # referred, assessed, a case closed to employment, scores improved
        client = h.client("kymenlaakso")
        referral = h.referral(client, f"2025-03-0{i + 2}", kind="employment_services")
        h.assessment(client, f"2025-03-{12 + i}")
        case = h.open_case(client, "2025-03-20", referral=referral)
        h.score(client, "2025-03-25", "baseline", 4)
        h.score(client, "2025-09-01", "end", 6 + i % 2)
        h.close_case(case, client, f"2025-09-1{i}", "employment")
        h.feedback(f"2025-09-2{i}", 9 + i % 2, client=client, helped=True, heard=True)
    for i in range(6):  # still open at the end of 2025; in coaching, half placed
        client = h.client("kymenlaakso")
        referral = h.referral(client, f"2025-04-0{i + 2}", kind="wellbeing_services")
        h.assessment(client, f"2025-04-2{i}")
        h.open_case(client, "2025-05-05", referral=referral)
        engagement = h.coaching(client, "2025-06-01")
        if i % 2:
            h.placement(client, "2025-08-01", engagement=engagement)
        h.feedback(f"2025-10-0{i + 1}", 7 + i % 3, org="kymenlaakso-sote")
    for i in range(2):  # a cell of two: suppressed wherever it stands alone
        client = h.client("kymenlaakso")
        case = h.open_case(client, "2025-03-01", service="job_coaching")
        h.referral(client, f"2025-03-1{i}", kind="client_self")
        h.close_case(case, client, "2025-11-01", "other")


def pirkanmaa_2024(h: History) -> None:
    for i in range(7):
        client = h.client("pirkanmaa")
        referral = h.referral(client, f"2024-02-0{i + 1}", kind="kela", target="pirkanmaa-sote")
        h.assessment(client, f"2024-02-2{i}", org="pirkanmaa-sote")
        case = h.open_case(client, "2024-03-01", org="pirkanmaa-sote", referral=referral)
        h.score(client, "2024-03-02", "baseline", 5)
        h.score(client, "2024-10-01", "end", 5 + i % 3 - 1)
        h.close_case(case, client, f"2024-10-1{i}", "education")
        h.feedback(f"2024-10-2{i}", 6 + i % 5, client=client, org="pirkanmaa-sote")


def history() -> History:
    h = History()
    kymenlaakso_2025(h)
    pirkanmaa_2024(h)
    return h
