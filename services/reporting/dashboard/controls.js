// The dashboard's controls: region, organisation, period and as_of (all charts follow them,
// kept in the address's query), the language, and the catalogue picker whose added charts
// are kept in the address's fragment (#charts=indicator:group,…) and in localStorage.
"use strict";

(function () {
  const polku = window.polku;
  const { config, state, labels: L, languages } = polku.page;
  const { ui, indicatorName, columnLabel } = polku.i18n;
  const $ = (id) => document.getElementById(id);
  const STORE = "polku.dashboard.charts";
  const CATALOGUE = new Map(config.catalogue.map((e) => [e.indicator, e]));

  // ---- period presets, region and organisation -----------------------------------------
  function presets() {
    const today = new Date(config.today + "T12:00:00Z");
    const year = today.getUTCFullYear();
    const iso = (d) => d.toISOString().slice(0, 10);
    const start = new Date(today);
    start.setUTCFullYear(year - 1);
    start.setUTCDate(start.getUTCDate() + 1);
    const list = [year - 2, year - 1, year].map((y) => ({
      id: String(y), label: () => String(y), from: `${y}-01-01`, to: `${y}-12-31` }));
    list.push({ id: "last12", label: () => ui("last_12_months"), from: iso(start), to: iso(today) });
    return list;
  }
  const PRESETS = presets();

  function fillSelects() {
    const region = $("region");
    const regionName = (r) => (L.region_names[r.id] || {})[state.lang] || r.name;
    region.replaceChildren(new Option(ui("all_regions"), ""),
      ...L.regions.map((r) => new Option(regionName(r), r.id)));
    region.value = state.region;
    const org = $("organisation");
    const orgs = L.organisations.filter((o) => !state.region || o.region === state.region);
    org.replaceChildren(new Option(ui("all_organisations"), ""),
      ...orgs.map((o) => new Option(o.name, o.id)));
    if (!orgs.some((o) => o.id === state.organisation)) state.organisation = "";
    org.value = state.organisation;
  }

  function fillPresets(onPick) {
    $("presets").replaceChildren(...PRESETS.map((p) => {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.preset = p.id;
      b.textContent = p.label();
      b.setAttribute("aria-pressed", String(state.from === p.from && state.to === p.to));
      b.addEventListener("click", () => { state.from = p.from; state.to = p.to; onPick(); });
      return b;
    }));
  }

  // ---- as_of: a datetime-local control shown in local time, kept as RFC 3339 UTC -------
  const pad = (n) => String(n).padStart(2, "0");
  function localInput(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T`
      + `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  function readAsOf() {
    const value = $("as-of-input").value;
    const d = value ? new Date(value) : null;
    state.asOfInput = d && !Number.isNaN(d.getTime()) ? d.toISOString() : "";
  }
  const showAsOfInput = () => { $("as-of-input").value = localInput(state.asOfInput); };

  // ---- the address: query for the filters, fragment for the added charts ---------------
  function readUrl() {
    const q = new URLSearchParams(location.search);
    state.lang = languages.includes(q.get("lang")) ? q.get("lang") : "fi";
    state.region = q.get("region") || "";
    state.organisation = q.get("organisation") || "";
    state.from = q.get("from") || config.default_period.from;
    state.to = q.get("to") || config.default_period.to;
    state.asOfInput = q.get("as_of") || "";
    state.view = q.get("view") === "own" ? "own" : "indicators";
    const fragment = new URLSearchParams(location.hash.slice(1));
    let added = fragment.has("charts") ? fragment.get("charts") : null;
    if (added === null) {
      try { added = localStorage.getItem(STORE) || ""; } catch (_) { added = ""; }
    }
    state.added = [...new Set(added.split(",").filter((key) => addedChart(key)))];
  }

  function writeUrl() {
    const q = new URLSearchParams();
    const values = { lang: state.lang, region: state.region, organisation: state.organisation,
      from: state.from, to: state.to, as_of: state.asOfInput,
      view: state.view === "own" ? "own" : "" };
    for (const [key, value] of Object.entries(values)) if (value) q.set(key, value);
    const fragment = new URLSearchParams(location.hash.slice(1));
    fragment.delete("charts");
    if (state.added.length) fragment.set("charts", state.added.join(","));
    const hash = fragment.toString().replace(/%3A/g, ":").replace(/%2C/g, ",");
    history.replaceState(null, "", `${location.pathname}?${q}${hash ? `#${hash}` : ""}`);
    try { localStorage.setItem(STORE, state.added.join(",")); } catch (_) { /* no storage */ }
  }

  // ---- charts added from the catalogue ---------------------------------------------------
  // "indicator:group" → a chart description like the server's (charts.py Chart.describe).
  function addedChart(key) {
    const [indicator, group = ""] = String(key).split(":");
    const entry = CATALOGUE.get(indicator);
    if (!entry || (group && !entry.group_choices.includes(group))) return null;
    const keys = [...new Set([group, ...entry.always].filter(Boolean))];
    const x = keys[0] || null;
    return {
      id: `add-${indicator}-${group || "all"}`, key: `${indicator}:${group}`, added: true,
      indicator, group_by: keys, x, series: keys[1] || null, horizontal: x !== "month",
      measures: [{ field: "value", label: "value", axis: "y", kind: "bar",
        percent: entry.percent.includes("value") }],
      target: entry.target, target_field: "value", name_fi: entry.name_fi,
      name_en: entry.name_en, definition: entry.definition,
      accepts_organisation: entry.accepts_organisation, extras: entry.extras,
      percent: entry.percent,
    };
  }

  const allCharts = () => [...config.charts, ...state.added.map(addedChart).filter(Boolean)];

  // The chart's section: the server's for the default charts, a copy of the template else.
  function section(c) {
    const found = $(`chart-${c.id}`);
    if (found) return found;
    const el = $("chart-template").content.firstElementChild.cloneNode(true);
    el.id = `chart-${c.id}`;
    el.dataset.chart = c.id;
    el.setAttribute("aria-labelledby", `title-${c.id}`);
    el.querySelector("h2").id = `title-${c.id}`;
    el.querySelector("h2").tabIndex = -1;
    el.querySelector("canvas").id = `canvas-${c.id}`;
    $("charts").appendChild(el);
    return el;
  }

  function fillPicker() {
    const select = $("pick-indicator");
    const chosen = select.value;
    const entries = [...CATALOGUE.keys()].sort((a, b) =>
      indicatorName(a).localeCompare(indicatorName(b), state.lang));
    select.replaceChildren(...entries.map((id) => new Option(indicatorName(id), id)));
    select.value = chosen && CATALOGUE.has(chosen) ? chosen : entries[0];
    fillGroups();
  }

  function fillGroups() {
    const entry = CATALOGUE.get($("pick-indicator").value);
    const select = $("pick-group");
    const chosen = select.value;
    const always = entry.always.map((k) => columnLabel(k)).join(", ");
    const none = new Option(always || ui("no_grouping"), "");
    select.replaceChildren(none, ...entry.group_choices.map((k) =>
      new Option(always ? `${columnLabel(k)}, ${always}` : columnLabel(k), k)));
    select.value = entry.group_choices.includes(chosen) ? chosen : "";
  }

  // Adds the picked chart; returns its description, or null when it is already shown.
  function pick() {
    const key = `${$("pick-indicator").value}:${$("pick-group").value}`;
    const c = addedChart(key);
    if (!c || state.added.includes(c.key)) return null;
    state.added.push(c.key);
    writeUrl();
    return c;
  }

  function unpick(c) {
    state.added = state.added.filter((key) => key !== c.key);
    writeUrl();
    const el = $(`chart-${c.id}`);
    if (el) el.remove();
  }

  polku.controls = { fillSelects, fillPresets, readUrl, writeUrl, readAsOf, showAsOfInput,
    addedChart, allCharts, section, fillPicker, fillGroups, pick, unpick };
})();
