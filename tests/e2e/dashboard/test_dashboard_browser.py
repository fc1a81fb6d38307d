"""The dashboard in headless Chromium (Debian's `chromium` and `chromium-driver`, which
`make` installs from SYSTEM_PACKAGES): load it, switch region and period, and find the
charts drawn with data, suppressed cells marked and the labels switching language.

Set POLKU_DASHBOARD_SCREENSHOT=docs/dashboard.png to refresh the README's picture; the
screenshot is otherwise written to the test's temporary directory only.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.support.services import RunningService

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

# One object per chart: its state, labels and the data of every dataset Chart.js draws.
READ_CHARTS = """
const out = {};
for (const el of document.querySelectorAll("section.chart")) {
  const chart = window.polkuDashboard.charts[el.dataset.chart];
  out[el.dataset.chart] = {
    state: el.dataset.state,
    title: el.querySelector("h2").textContent,
    n: el.querySelector(".n").textContent,
    csv: el.querySelector("a.csv").getAttribute("href"),
    suppressedShown: !el.querySelector(".suppressed-legend").hidden,
    labels: chart ? chart.data.labels : [],
    datasets: chart ? chart.data.datasets.map((d) => ({label: d.label, data: d.data})) : [],
  };
}
return out;
"""
SETTLED = ("return document.body.dataset.state === 'ready' && "
           "document.body.dataset.generation === String(window.polkuDashboard.state.generation)")


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


def settle(driver: Any) -> dict[str, Any]:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(lambda d: d.execute_script(SETTLED))
    charts: dict[str, Any] = driver.execute_script(READ_CHARTS)
    return charts


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


def drive(base_url: str, screenshot: Path) -> None:
    from selenium.webdriver.common.by import By

    driver = browser()
    try:
        driver.get(f"{base_url}/dashboard")
        first = settle(driver)
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
        assert charts["active_clients"]["n"] == "n = 6"

        driver.find_element(By.CSS_SELECTOR, 'button[data-lang="en"]').click()
        charts = settle(driver)
        assert driver.find_element(By.TAG_NAME, "h1").text == "Polku – dashboard"
        assert charts["exit_destinations"]["title"] == "Exit destinations"
        assert "Employment" in charts["exit_destinations"]["labels"]
        full_page_screenshot(driver, screenshot)
        assert screenshot.stat().st_size > 10_000, "the screenshot is blank"
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, f"browser console errors: {errors}"
    finally:
        driver.quit()
        shutil.rmtree(driver.profile_dir, ignore_errors=True)


async def test_dashboard_draws_charts_with_data_in_chromium(
    dashboard: RunningService, tmp_path: Path
) -> None:
    require_browser()
    screenshot = Path(os.environ.get("POLKU_DASHBOARD_SCREENSHOT") or tmp_path / "dashboard.png")
    # Selenium blocks; the service runs on this event loop, so the browser gets a thread.
    await asyncio.to_thread(drive, dashboard.base_url, screenshot)
