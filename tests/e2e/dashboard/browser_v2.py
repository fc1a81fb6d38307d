"""The v2 dashboard's steps in Chromium, driven by test_dashboard_browser.py in its one browser
session: in Swedish and English, add an indicator from the catalogue, filter it, download its
XLSX and find the API's numbers in it; as_of and the organisation applied to every chart;
keep the added chart over a reload; reach every control by keyboard with a visible focus; the
own organisation page with a signed-in token; axe-core finding no serious or critical
violation."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl

from tests.e2e.dashboard.axe import blocking, violations

# One chart's state as the page holds it.
READ_CHART = """
const id = arguments[0];
const el = document.getElementById(`chart-${id}`);
const data = window.polkuDashboard.results[id];
const chart = window.polkuDashboard.charts[id];
return el && {
  state: el.dataset.state, title: el.querySelector("h2").textContent,
  n: el.querySelector(".n").textContent, data: data || null,
  xlsx: el.querySelector("button.xlsx").dataset.url || null,
  labels: chart ? chart.data.labels : [],
  suppressedShown: !el.querySelector(".suppressed-legend").hidden,
  tableRows: el.querySelectorAll(".table-box tbody tr").length,
};
"""
# The focused element: what it is and whether its focus is visible.
READ_FOCUS = """
const el = document.activeElement;
const style = getComputedStyle(el);
return { id: el.id || el.dataset.lang || el.dataset.view || el.dataset.preset
    || el.className || el.tagName,
  visible: style.outlineStyle !== "none" || style.boxShadow !== "none" };
"""
READ_LISTS = """
return [...document.querySelectorAll(".own-list")].map((el) => ({
  id: el.dataset.list, state: el.dataset.state, title: el.querySelector("h3").textContent,
  rows: el.querySelectorAll("tbody tr").length,
  first: [...(el.querySelector("tbody tr") || { cells: [] }).cells].map((c) => c.textContent),
}));
"""
CONTROLS = ("region", "organisation", "from", "to", "as-of-input", "apply", "pick-indicator",
            "pick-group", "pick-add", "fi", "sv", "en", "indicators", "own")


def wait_for(driver: Any, script: str, *args: Any, timeout: float = 30) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script, *args))


def settled(driver: Any) -> None:
    wait_for(driver, "return document.body.dataset.state === 'ready' && "
             "document.body.dataset.generation === String(window.polkuDashboard.state.generation)")


def add_chart(driver: Any, indicator: str, group: str) -> dict[str, Any]:
    """Picks an indicator and its grouping, and presses Add with the keyboard."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, "pick-indicator")).select_by_value(indicator)
    Select(driver.find_element(By.ID, "pick-group")).select_by_value(group)
    driver.find_element(By.ID, "pick-add").send_keys(Keys.ENTER)
    settled(driver)
    chart: dict[str, Any] = driver.execute_script(READ_CHART, f"add-{indicator}-{group}")
    return chart


def filter_to(driver: Any, region: str, preset: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, "region")).select_by_value(region)
    settled(driver)
    driver.find_element(By.CSS_SELECTOR, f'button[data-preset="{preset}"]').click()
    settled(driver)


def saved(folder: Path, name: str) -> Path:
    path = folder / name
    deadline = time.monotonic() + 20
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert path.exists(), f"no {name} in {sorted(p.name for p in folder.iterdir())}"
    time.sleep(0.2)  # the browser renames the finished file into place
    return path


def xlsx_matches_api(path: Path, api_rows: list[dict[str, Any]], keys: list[str],
                     extras: list[str], label: tuple[str, str, str]) -> None:
    """The workbook's data sheet holds exactly the API's rows; a code's label is in the
    page's language."""
    book = openpyxl.load_workbook(path, read_only=True)
    header, *cells = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    rows = [dict(zip(header, r, strict=True)) for r in cells]
    assert len(rows) == len(api_rows) > 0, (rows, api_rows)
    for got, want in zip(rows, api_rows, strict=True):
        assert [got[k] for k in keys] == [want[k] for k in keys]
        assert got["suppressed"] is want["suppressed"]
        for figure in ("n", "value", *extras):
            assert got[figure] == want[figure], (figure, got, want)
    column, code, text = label
    assert any(r[column] == code and r[f"{column}_label"] == text for r in rows), rows


def adds_filters_and_downloads(driver: Any, base: str, bearer: str, folder: Path, *,
                               lang: str, indicator: str, group: str,
                               label: tuple[str, str, str], title: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get("about:blank")
    driver.get(f"{base}/dashboard?lang={lang}#token={bearer}")
    settled(driver)
    assert driver.execute_script("return document.documentElement.lang") == lang
    chart = add_chart(driver, indicator, group)
    assert chart["title"] == title, chart
    added = driver.execute_script(
        "return new URLSearchParams(location.hash.slice(1)).get('charts')").split(",")
    assert f"{indicator}:{group}" in added, driver.current_url
    filter_to(driver, "kymenlaakso", "2025")
    chart = driver.execute_script(READ_CHART, f"add-{indicator}-{group}")
    data = chart["data"]
    assert chart["state"] == "ready" and data["filters"] == {"region": "kymenlaakso"}, chart
    assert (data["from"], data["to"]) == ("2025-01-01", "2025-12-31")
    assert chart["tableRows"] == len(data["rows"]) > 0  # the table alternative
    driver.find_element(By.CSS_SELECTOR, f"#chart-add-{indicator}-{group} button.xlsx").click()
    assert "token" not in chart["xlsx"]
    name = f"polku_{indicator}_kymenlaakso_2025-01-01_2025-12-31_{lang}.xlsx"
    api = httpx.get(f"{base}{data['api']}", headers={"Authorization": f"Bearer {bearer}"})
    assert api.status_code == 200, api.text
    api_rows = [r for r in api.json()["rows"] if r["region"] == "kymenlaakso"]
    keys = list(dict.fromkeys([group, "region"]))
    extras = [k for k in api_rows[0] if k not in (*keys, "n", "value", "suppressed")]
    xlsx_matches_api(saved(folder, name), api_rows, keys, extras, label)
    assert httpx.get(f"{base}{chart['xlsx']}").status_code == 401  # the URL alone: nothing


def as_of_applies_to_every_chart(driver: Any, chart_id: str) -> None:
    """An as_of before the cases closed: every chart answers as of it, and the closures
    recorded later are not in the added chart."""
    from selenium.webdriver.common.by import By

    before = driver.execute_script(READ_CHART, chart_id)["data"]["rows"]
    assert before
    moment = driver.execute_script(
        "const input = document.getElementById('as-of-input');"
        "input.value = '2025-06-30T12:00'; return new Date(input.value).toISOString();")
    driver.find_element(By.ID, "apply").click()
    settled(driver)
    asked = datetime.fromisoformat(moment)
    answered = driver.execute_script(
        "return Object.values(window.polkuDashboard.results).map((r) => r.as_of)")
    assert answered and all(datetime.fromisoformat(a) == asked for a in answered), answered
    assert "as_of=" in driver.current_url
    assert driver.execute_script(READ_CHART, chart_id)["data"]["rows"] == []
    driver.execute_script("document.getElementById('as-of-input').value = ''")
    driver.find_element(By.ID, "apply").click()
    settled(driver)
    assert driver.execute_script(READ_CHART, chart_id)["data"]["rows"] == before


# Every chart on the page: whether its indicator takes an organisation, the filters its
# answer says were applied, and whether it shows the "organisation does not apply" note.
READ_FILTERS = """
const out = {};
for (const c of window.polku.controls.allCharts()) {
  const el = document.getElementById(`chart-${c.id}`);
  const data = window.polkuDashboard.results[c.id];
  out[c.id] = { accepts: c.accepts_organisation, filters: data ? data.filters : null,
    note: !el.querySelector(".org-na").hidden };
}
return out;
"""


def organisation_applies_to_every_chart(driver: Any, organisation: str, region: str) -> None:
    """The organisation control narrows every chart whose indicator has an organisation
    (default and added alike) and says so on the others; the region stays applied."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, "organisation")).select_by_value(organisation)
    settled(driver)
    assert f"organisation={organisation}" in driver.current_url
    charts = driver.execute_script(READ_FILTERS)
    assert any(c["accepts"] for c in charts.values()), charts
    assert any(not c["accepts"] for c in charts.values()), charts
    assert any(key.startswith("add-") for key in charts), charts
    for chart_id, chart in charts.items():
        want = {"region": region} | ({"organisation": organisation} if chart["accepts"] else {})
        assert chart["filters"] == want, (chart_id, chart)
        assert chart["note"] is not chart["accepts"], (chart_id, chart)
    Select(driver.find_element(By.ID, "organisation")).select_by_value("")
    settled(driver)
    charts = driver.execute_script(READ_FILTERS)
    assert all(c["filters"] == {"region": region} and not c["note"] for c in charts.values())


def keeps_added_charts(driver: Any, base: str, key: str) -> None:
    """Reloaded without the fragment, the page restores its added charts from storage."""
    driver.get("about:blank")
    driver.get(f"{base}/dashboard?lang=en")
    settled(driver)
    added = driver.execute_script(
        "return new URLSearchParams(location.hash.slice(1)).get('charts')").split(",")
    assert key in added, driver.current_url
    chart = driver.execute_script(READ_CHART, "add-" + key.replace(":", "-"))
    assert chart["state"] == "ready" and chart["data"]["rows"], chart


def reaches_every_control_by_keyboard(driver: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver.execute_script("document.querySelector('a.skip').focus()")
    seen: dict[str, bool] = {}
    for _ in range(60):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        focus = driver.execute_script(READ_FOCUS)
        seen.setdefault(focus["id"], focus["visible"])
    missing = [c for c in CONTROLS if c not in seen]
    assert not missing, f"not reachable with Tab: {missing} (reached {list(seen)})"
    invisible = [c for c, visible in seen.items() if not visible]
    assert not invisible, f"focus not visible on {invisible}"


def no_serious_violations(driver: Any, axe: str, where: str) -> None:
    from selenium.webdriver.common.by import By

    for details in driver.find_elements(By.CSS_SELECTOR, "details")[:3]:
        driver.execute_script("arguments[0].open = true", details)
    found = blocking(violations(driver, axe))
    assert not found, f"axe-core ({where}): {found}"


def own_organisation(driver: Any, base: str, bearer: str, axe: str) -> None:
    """The lists of the token's organisation, each row as the list route answers it."""
    from selenium.webdriver.common.by import By

    driver.get("about:blank")
    driver.get(f"{base}/dashboard?lang=sv#token={bearer}")
    settled(driver)
    driver.find_element(By.CSS_SELECTOR, 'button[data-view="own"]').click()
    settled(driver)
    assert "view=own" in driver.current_url
    assert driver.find_element(By.ID, "own-for").text == (
        "Organisation: Kymenlaakson hyvinvointialue")
    lists = driver.execute_script(READ_LISTS)
    assert {entry["id"] for entry in lists} >= {
        "referrals_waiting", "cases_without_baseline", "support_plans_due_for_review",
        "follow_ups_overdue"}
    headers = {"Authorization": f"Bearer {bearer}"}
    config = driver.execute_script("return window.polku.page.config.own_lists")
    paths = {entry["id"]: entry["path"] for entry in config}
    for entry in lists:
        assert entry["state"] == "ready", entry
        answer = httpx.get(f"{base}{paths[entry['id']]}", headers=headers).json()
        assert answer["organisation"] == "kymenlaakso-sote"
        assert entry["rows"] == len(answer["rows"]), entry
    filled = [e for e in lists if e["rows"]]
    assert filled, f"the seeded organisation should have rows to act on: {lists}"
    no_serious_violations(driver, axe, "own organisation, sv")
    driver.find_element(By.CSS_SELECTOR, 'button[data-lang="en"]').click()
    assert driver.find_element(By.ID, "own-title").text == "Own organisation"
    driver.find_element(By.CSS_SELECTOR, 'button[data-view="indicators"]').click()
    settled(driver)


def browses_v2(driver: Any, base: str, bearer: str, own_bearer: str, folder: Path,
               axe: str) -> None:
    adds_filters_and_downloads(
        driver, base, bearer, folder, lang="sv", indicator="clients_served", group="service",
        label=("service", "job_coaching", "Jobbcoachning"),
        title="Antal klienter under perioden – Tjänst")
    no_serious_violations(driver, axe, "indicators, sv")
    adds_filters_and_downloads(
        driver, base, bearer, folder, lang="en", indicator="case_duration_days",
        group="service", label=("service", "job_coaching", "Job coaching"),
        title="Case duration (days) – Service")
    as_of_applies_to_every_chart(driver, "add-case_duration_days-service")
    organisation_applies_to_every_chart(driver, "kymenlaakso-sote", "kymenlaakso")
    keeps_added_charts(driver, base, "case_duration_days:service")
    reaches_every_control_by_keyboard(driver)
    no_serious_violations(driver, axe, "indicators, en")
    own_organisation(driver, base, own_bearer, axe)
