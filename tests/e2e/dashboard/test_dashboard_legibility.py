"""Charts with many groups stay legible, in Chromium, in Swedish and English (issue 18: "no
overlapping labels: check the first chart today").

The dashboard's history gets a year (2023) of many groups: referrals from all sixteen kinds of
referrer every month, many of their cells small (suppressed), waits to assessment in every
region, and open cases at every organisation of the registry; and six more years of a few
referrals a month. On the default page for 2023 every chart's category labels are laid out as
Chart.js drew them and checked not to overlap one another; the names of suppressed cells
drawn inside a plot stay inside it, clear of each other; a long legend leaves the bars their
height. Then the first chart over seven years (84 months) keeps its month labels apart.
"""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import asyncpg

from contracts.codes import ReferringOrgKind, RegionCode
from contracts.organisations import load_registry
from services.reporting.projections import project
from tests.e2e.dashboard.test_dashboard_browser import browser, require_browser
from tests.integration.reporting.builders import History
from tests.support.services import RunningService, token

FIRST = "referrals_by_source"
# The plot keeps at least this height (charts.js MIN_PLOT, less a pixel of rounding); a
# horizontal chart's, 28 px a category up to that.
LEAST_PLOT = 179

# Each drawn chart's category labels as Chart.js laid them out (rotated boxes, canvas
# pixels), the suppressed cells' names drawn inside the plot, and the plot area.
LAYOUT = """
const out = {};
for (const [id, chart] of Object.entries(window.polkuDashboard.charts)) {
  const horizontal = chart.options.indexAxis === "y";
  const scale = chart.scales[horizontal ? "y" : "x"];
  const ctx = chart.ctx;
  const boxes = scale.getLabelItems().map((item) => {
    const text = Array.isArray(item.label) ? item.label.join(" ") : String(item.label);
    ctx.save();
    ctx.font = item.font.string;
    const w = ctx.measureText(text).width;
    ctx.restore();
    const h = item.font.lineHeight;
    const o = item.options;
    const left = o.textAlign === "right" ? -w : o.textAlign === "center" ? -w / 2 : 0;
    const top = o.textBaseline === "middle" ? -h / 2 : o.textBaseline === "top" ? 0 : -h;
    const [tx, ty] = o.translation;
    const c = Math.cos(o.rotation), s = Math.sin(o.rotation);
    return { text, corners: [[left, top], [left + w, top], [left + w, top + h], [left, top + h]]
      .map(([x, y]) => [tx + x * c - y * s, ty + x * s + y * c]) };
  });
  const a = chart.chartArea;
  const x = window.polku.controls.allCharts().find((c) => c.id === id).x;
  const rows = window.polkuDashboard.results[id].rows;
  out[id] = { boxes, horizontal, categories: chart.data.labels.length, ticks: scale.ticks.length,
    texts: chart.$polkuTexts || null, series: chart.data.datasets.length,
    area: { left: a.left, right: a.right, top: a.top, bottom: a.bottom },
    suppressed: new Set(rows.filter((r) => r.suppressed).map((r) => r[x])).size };
}
return out;
"""
SETTLED = ("return document.body.dataset.state === 'ready' && "
           "document.body.dataset.generation === String(window.polkuDashboard.state.generation)")


def many_groups() -> History:
    h = History()
    kinds = [kind.value for kind in ReferringOrgKind]
    for month in range(1, 13):
        for i, kind in enumerate(kinds):  # a third of the cells large, the rest small
            for _ in range(6 if (month + i) % 3 == 0 else 1 + (month + i) % 2):
                h.referral(h.client("paijat-hame"), f"2023-{month:02d}-1{i % 10}", kind=kind)
    for i, region in enumerate(RegionCode):  # waits to assessment in every region
        for k in range(6 if i % 2 else 2):
            client = h.client(region)
            h.referral(client, f"2023-05-{10 + k}")
            h.assessment(client, f"2023-06-{10 + k + i % 7}")
    for i, organisation in enumerate(load_registry()):  # open cases at every organisation
        for _ in range(6 if i % 3 else 2):
            h.open_case(h.client(organisation.region), "2023-03-01", org=organisation.id)
    for year in range(2017, 2023):  # a few referrals every month of six more years
        for month in range(1, 13):
            for _ in range(2):
                h.referral(h.client("paijat-hame"), f"{year}-{month:02d}-15", kind="kela")
    return h


def _overlap(a: list[list[float]], b: list[list[float]], slack: float = 0.5) -> bool:
    """Whether two convex quadrilaterals overlap by more than `slack` (separating axes)."""
    for polygon in (a, b):
        for i in range(4):
            (x1, y1), (x2, y2) = polygon[i], polygon[(i + 1) % 4]
            nx, ny = y2 - y1, x1 - x2
            norm = (nx * nx + ny * ny) ** 0.5 or 1.0
            pa = [(x * nx + y * ny) / norm for x, y in a]
            pb = [(x * nx + y * ny) / norm for x, y in b]
            if max(pa) <= min(pb) + slack or max(pb) <= min(pa) + slack:
                return False
    return True


def _box(text: dict[str, float]) -> list[list[float]]:
    return [[text["left"], text["top"]], [text["right"], text["top"]],
            [text["right"], text["bottom"]], [text["left"], text["bottom"]]]


def problems(layout: dict[str, Any]) -> list[str]:
    """What is not legible in one chart's layout."""
    found = []
    boxes = layout["boxes"]
    found += [f"labels {p['text']!r} and {q['text']!r} overlap"
              for i, p in enumerate(boxes) for q in boxes[i + 1:]
              if _overlap(p["corners"], q["corners"])]
    area = layout["area"]
    least = min(LEAST_PLOT, 28 * layout["categories"] - 1) if layout["horizontal"] else LEAST_PLOT
    if area["bottom"] - area["top"] < least:
        found.append(f"the plot is {area['bottom'] - area['top']:.0f} px high")
    texts = layout["texts"]
    if texts is None:
        found.append("the chart does not say which suppressed names it drew")
        return found
    for i, text in enumerate(texts):
        inside = (area["left"] - 1 <= text["left"] and text["right"] <= area["right"] + 1
                  and area["top"] - 1 <= text["top"] and text["bottom"] <= area["bottom"] + 1)
        if not inside:
            found.append(f"{text['text']!r} runs out of the plot")
        found += [f"{text['text']!r} overlaps {other['text']!r}" for other in texts[i + 1:]
                  if _overlap(_box(text), _box(other))]
    return found


def show(driver: Any, date_from: str, date_to: str) -> dict[str, Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script(
        "document.getElementById('from').value = arguments[0];"
        "document.getElementById('to').value = arguments[1];", date_from, date_to)
    driver.find_element(By.ID, "apply").click()
    WebDriverWait(driver, 60).until(lambda d: d.execute_script(SETTLED))
    layout: dict[str, Any] = driver.execute_script(LAYOUT)
    return layout


def drive(base: str, bearer: str) -> dict[str, Any]:
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser()
    seen: dict[str, Any] = {}
    try:
        for lang in ("sv", "en"):
            driver.get("about:blank")
            driver.get(f"{base}/dashboard?lang={lang}#token={bearer}")
            WebDriverWait(driver, 60).until(lambda d: d.execute_script(SETTLED))
            year = show(driver, "2023-01-01", "2023-12-31")
            seen[f"{lang} 2023"] = year
            seen[f"{lang} 2017-2023"] = show(driver, "2017-01-01", "2023-12-31")
    finally:
        driver.quit()
        shutil.rmtree(driver.profile_dir, ignore_errors=True)
    return seen


async def test_charts_with_many_groups_keep_their_labels_apart(
    dashboard: RunningService,
) -> None:
    require_browser()
    conn = await asyncpg.connect(dashboard.settings.database_url)
    try:
        async with conn.transaction():
            await project(conn, many_groups().envelopes())
    finally:
        await conn.close()
    seen = await asyncio.to_thread(drive, dashboard.base_url, token("kymenlaakso-sote",
                                                                    "analyst"))
    for lang in ("sv", "en"):
        year = seen[f"{lang} 2023"]
        first = year[FIRST]
        # The first chart: every month, the sixteen referrers as stacked series.
        assert (first["categories"], first["series"]) == (12, len(ReferringOrgKind)), first
        assert first["ticks"] == 12  # a year's months all keep their label
        assert first["texts"] == [], "no names written over a stacked chart's bars"
        # Many categories: cases at every organisation of the registry, the names of the
        # suppressed ones drawn, each in its own empty category.
        organisations = year["active_clients"]
        assert organisations["categories"] == len(load_registry())
        assert len(organisations["texts"]) == organisations["suppressed"] > 5, organisations
        assert year["days_to_assessment"]["categories"] == len(RegionCode)
        illegible = {chart: found for chart, layout in year.items()
                     if (found := problems(layout))}
        assert not illegible, f"{lang}, 2023: {illegible}"
        long = seen[f"{lang} 2017-2023"][FIRST]
        assert long["categories"] == 84
        assert 12 <= long["ticks"] < 84  # months skipped, not written over each other
        assert not problems(long), f"{lang}, 2017–2023: {problems(long)}"
