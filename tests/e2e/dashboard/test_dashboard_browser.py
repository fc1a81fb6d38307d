"""The dashboard in headless Chromium (Debian's `chromium` and `chromium-driver`, which
`make` installs from SYSTEM_PACKAGES): signed out it shows no numbers and asks for a token;
signed in through `polku up`'s `#token=` link (the token leaves the address), switch region
and period, and find the charts drawn with data, suppressed cells marked, a CSV saved with the
token in a header and the labels switching language; then the v2 steps of browser_v2.py (in
Swedish and English: a chart added from the catalogue, filtered, its XLSX checked against the
API; keyboard reach; the own organisation page; axe-core); sign out, sign in with the form, and
load the page behind a sign-in proxy that adds the header itself.

Set POLKU_DASHBOARD_SCREENSHOT=docs/dashboard.png to refresh the README's picture; the
screenshot is otherwise written to the test's temporary directory only.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from services.reporting.dashboard.charts import CHARTS
from services.reporting.indicators import (
    EXACT,
    RegistryOrgLookup,
    compute,
    configured_disclosure,
)
from tests.e2e.dashboard.axe import axe_source
from tests.e2e.dashboard.browser_v2 import browses_v2
from tests.support.services import RunningService, token

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
MISSING = (
    "{what} is missing: the dashboard browser test needs Debian's chromium and "
    "chromium-driver packages (`make test` installs them through SYSTEM_PACKAGES; by hand: "
    "apt-get install -y chromium chromium-driver)"
)
# Charts the seeded history fills in both selections the test makes.
FILLED = ("referrals_by_source", "days_to_assessment", "case_duration_days",
          "exit_destinations", "work_ability_change", "client_experience_nps",
          "client_experience_score")

# The addresses of the page's chart data requests so far.
DATA_REQUESTS = """
return performance.getEntriesByType("resource").map((e) => e.name)
  .filter((name) => name.includes("/dashboard/data?"));
"""

# One object per chart: its state, labels and the data of every dataset Chart.js draws.
READ_CHARTS = """
const out = {};
for (const el of document.querySelectorAll("section.chart")) {
  const chart = window.polkuDashboard.charts[el.dataset.chart];
  out[el.dataset.chart] = {
    state: el.dataset.state,
    title: el.querySelector("h2").textContent,
    n: el.querySelector(".n").textContent,
    csv: el.querySelector("button.csv").dataset.url || null,
    suppressedShown: !el.querySelector(".suppressed-legend").hidden,
    labels: chart ? chart.data.labels : [],
    datasets: chart ? chart.data.datasets.map((d) => ({label: d.label, data: d.data})) : [],
  };
}
return out;
"""
SETTLED = ("return document.body.dataset.state === '{state}' && "
           "document.body.dataset.generation === String(window.polkuDashboard.state.generation)")
STORED = "return sessionStorage.getItem('polku.dashboard.token')"
# The page's sign-in as the user sees it.
READ_SIGN_IN = """
return {
  state: document.getElementById("auth").dataset.state,
  status: document.getElementById("auth-status").textContent,
  form: !document.getElementById("sign-in").hidden,
  signOut: !document.getElementById("sign-out").hidden,
  message: document.getElementById("sign-in-message").textContent,
  charts: Object.keys(window.polkuDashboard.charts).length,
  states: [...new Set([...document.querySelectorAll("section.chart")]
    .map((el) => el.dataset.state))],
};
"""
ORG = "keski-uusimaa-sote"
ORG_NAME = "Keski-Uudenmaan hyvinvointialue"


def require_browser() -> None:
    """Fail, not skip: a dashboard nobody has seen drawn is not tested."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            pytest.fail(MISSING.format(what=path), pytrace=False)


def browser() -> Any:
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="polku-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-extensions",
                 "--window-size=1400,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_script_timeout(30)
    driver.profile_dir = profile  # type: ignore[attr-defined]
    return driver


def settle(driver: Any, state: str = "ready") -> dict[str, Any]:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(lambda d: d.execute_script(SETTLED.format(state=state)))
    charts: dict[str, Any] = driver.execute_script(READ_CHARTS)
    return charts


def sign_in_view(driver: Any) -> dict[str, Any]:
    view: dict[str, Any] = driver.execute_script(READ_SIGN_IN)
    return view


def paste(driver: Any, text: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.ID, "token")
    field.clear()
    field.send_keys(text)
    driver.find_element(By.ID, "sign-in-button").click()


def fresh_load(driver: Any, url: str) -> None:
    """A full page load (a fragment-only change would stay on the same document)."""
    driver.get("about:blank")
    driver.get(url)


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def has_data(chart: dict[str, Any]) -> bool:
    return chart["state"] == "ready" and any(
        any(isinstance(v, int | float) for v in d["data"]) for d in chart["datasets"])


def choose(driver: Any, *, region: str, preset: str) -> dict[str, Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, "region")).select_by_value(region)
    driver.find_element(By.CSS_SELECTOR, f'button[data-preset="{preset}"]').click()
    return settle(driver)


def full_page_screenshot(driver: Any, path: Path) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(int(height) + 40, 6000))
    settle(driver)
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))


def signed_out_shows_no_numbers(driver: Any, base_url: str) -> None:
    fresh_load(driver, f"{base_url}/dashboard")
    settle(driver, "signin")
    view = sign_in_view(driver)
    assert view["form"] and not view["signOut"] and view["charts"] == 0, view
    assert view["states"] == ["signin"], view
    assert driver.execute_script(STORED) is None
    paste(driver, "hello")
    assert "xxxxx.yyyyy.zzzzz" in sign_in_view(driver)["message"]
    assert driver.execute_script(STORED) is None
    unexpected = [e for e in console_errors(driver) if " 401 " not in e["message"]]
    assert not unexpected, f"browser console errors: {unexpected}"


def downloads_csv(driver: Any, base_url: str, bearer: str, folder: Path) -> None:
    """The CSV button fetches with the token and saves a Blob: the file is the API's CSV."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "#chart-exit_destinations button.csv").click()
    # The labelled table in the page's language (Finnish by default), as the API names it.
    name = "polku_exit_destinations_kymenlaakso_2025-01-01_2025-12-31_fi.csv"
    deadline = time.monotonic() + 20
    while not (folder / name).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (folder / name).exists(), f"no {name} in {sorted(folder.iterdir())}"
    url = driver.execute_script(
        "return document.querySelector('#chart-exit_destinations button.csv').dataset.url")
    assert "token" not in url
    expected = httpx.get(f"{base_url}{url}", headers={"Authorization": f"Bearer {bearer}"})
    assert "lang=fi" in url and "exit_destination_label" in expected.text
    assert (folder / name).read_bytes() == expected.content
    assert httpx.get(f"{base_url}{url}").status_code == 401  # the same URL, no header


def browses_signed_in(driver: Any, base_url: str, bearer: str, screenshot: Path,
                      folder: Path, active_n: str) -> None:
    from selenium.webdriver.common.by import By

    fresh_load(driver, f"{base_url}/dashboard#token={bearer}")
    first = settle(driver)
    # One request per distinct chart query: the satisfaction and NPS charts share theirs.
    requested = driver.execute_script(DATA_REQUESTS)
    distinct = {(chart.indicator, chart.group_by) for chart in CHARTS}
    assert len(requested) == len(set(requested)) == len(distinct) < len(CHARTS), requested
    assert "token" not in driver.current_url, driver.current_url
    assert driver.execute_script("return location.hash") == ""
    assert driver.execute_script(STORED) == bearer
    view = sign_in_view(driver)
    assert view["state"] == "signed-in" and not view["form"] and view["signOut"], view
    assert ORG_NAME in view["status"] and "analyst" in view["status"], view
    missing = [c for c in FILLED if not has_data(first[c])]
    assert not missing, f"charts without data on the default period: {missing}"

    charts = choose(driver, region="pirkanmaa", preset="2024")
    assert "region=pirkanmaa" in driver.current_url and "from=2024-01-01" in driver.current_url
    missing = [c for c in FILLED if not has_data(charts[c])]
    assert not missing, f"charts without data for Pirkanmaa 2024: {missing}"
    assert charts["days_to_assessment"]["labels"] == ["Pirkanmaa"]
    assert charts["active_clients"]["state"] == "empty"  # every case closed in October
    assert "region=pirkanmaa" in charts["exit_destinations"]["csv"]
    assert "format=csv" in charts["exit_destinations"]["csv"]

    charts = choose(driver, region="kymenlaakso", preset="2025")
    missing = [c for c in (*FILLED, "active_clients", "coaching_employment_rate")
               if not has_data(charts[c])]
    assert not missing, f"charts without data for Kymenlaakso 2025: {missing}"
    assert charts["days_to_assessment"]["labels"] == ["Kymenlaakso"]
    assert charts["referrals_by_source"]["suppressedShown"], "suppressed cell not marked"
    assert charts["active_clients"]["n"] == active_n
    downloads_csv(driver, base_url, bearer, folder)

    driver.find_element(By.CSS_SELECTOR, 'button[data-lang="en"]').click()
    charts = settle(driver)
    assert driver.find_element(By.TAG_NAME, "h1").text == "Polku – dashboard"
    assert charts["exit_destinations"]["title"] == "Exit destinations"
    assert "Employment" in charts["exit_destinations"]["labels"]
    assert sign_in_view(driver)["status"].startswith("Signed in: ")
    full_page_screenshot(driver, screenshot)
    assert screenshot.stat().st_size > 10_000, "the screenshot is blank"
    errors = console_errors(driver)
    assert not errors, f"browser console errors: {errors}"


def signs_out_and_in_with_the_form(driver: Any, bearer: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "sign-out").click()
    settle(driver, "signin")
    view = sign_in_view(driver)
    assert view["form"] and view["charts"] == 0 and view["states"] == ["signin"], view
    assert view["message"] == "You have signed out."
    assert driver.execute_script(STORED) is None

    paste(driver, f"Bearer {bearer}")
    charts = settle(driver)
    assert has_data(charts["exit_destinations"])
    assert sign_in_view(driver)["state"] == "signed-in"

    driver.find_element(By.ID, "sign-out").click()
    settle(driver, "signin")
    paste(driver, token(ORG, "analyst", ttl=-60))  # expired: the service refuses it
    settle(driver, "signin")
    view = sign_in_view(driver)
    assert view["message"].startswith("The token was not accepted"), view
    assert view["charts"] == 0
    assert driver.execute_script(STORED) is None


def works_behind_a_sign_in_proxy(driver: Any, base_url: str, bearer: str) -> None:
    """Production: a proxy in front adds Authorization; here Chromium adds it (CDP)."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                           {"headers": {"Authorization": f"Bearer {bearer}"}})
    fresh_load(driver, f"{base_url}/dashboard?lang=en")
    charts = settle(driver)
    assert driver.execute_script(STORED) is None
    assert has_data(charts["exit_destinations"])
    view = sign_in_view(driver)
    assert view["state"] == "proxy" and not view["form"] and not view["signOut"], view
    assert view["status"] == "Signed in through your organisation's sign-in service"


async def active_clients_n(svc: RunningService) -> str:
    """The n the page shows for active clients in Kymenlaakso at the end of 2025: the
    hand-worked 6, published perturbed like every count (INDICATORS.md)."""
    conn = await asyncpg.connect(svc.settings.database_url)
    try:
        found = []
        for control in (EXACT, configured_disclosure(svc.settings)):
            result = await compute(
                conn, "active_clients", date_from=date(2025, 1, 1), date_to=date(2025, 12, 31),
                group_by=["region"], as_of=datetime.now(UTC), disclosure=control,
                threshold=svc.settings.polku_suppression_threshold,
                orgs=RegistryOrgLookup(svc.ctx.organisations))
            found.append(next(r["n"] for r in result["rows"] if r["region"] == "kymenlaakso"))
    finally:
        await conn.close()
    exact, shown = found
    assert exact == 6 and abs(shown - exact) <= 2
    return f"n = {shown}"


def drive(base_url: str, screenshot: Path, folder: Path, active_n: str, axe: str) -> None:
    driver = browser()
    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": str(folder)})
        bearer = token(ORG, "analyst")
        signed_out_shows_no_numbers(driver, base_url)
        browses_signed_in(driver, base_url, bearer, screenshot, folder, active_n)
        browses_v2(driver, base_url, bearer, token("kymenlaakso-sote", "team_lead"), folder,
                   axe)
        driver.get(f"{base_url}/dashboard?lang=en#token={bearer}")
        settle(driver)
        signs_out_and_in_with_the_form(driver, bearer)
        works_behind_a_sign_in_proxy(driver, base_url, bearer)
    finally:
        driver.quit()
        shutil.rmtree(driver.profile_dir, ignore_errors=True)


async def test_dashboard_signs_in_and_draws_charts_with_data_in_chromium(
    dashboard: RunningService, tmp_path: Path
) -> None:
    require_browser()
    screenshot = Path(os.environ.get("POLKU_DASHBOARD_SCREENSHOT") or tmp_path / "dashboard.png")
    # Selenium blocks; the service runs on this event loop, so the browser gets a thread.
    folder = tmp_path / "downloads"
    folder.mkdir()
    active_n = await active_clients_n(dashboard)
    axe = await asyncio.to_thread(axe_source)
    await asyncio.to_thread(drive, dashboard.base_url, screenshot, folder, active_n, axe)
