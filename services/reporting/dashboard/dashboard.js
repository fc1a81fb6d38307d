// The Polku dashboard: filters → /dashboard/data per chart → Chart.js, in Finnish or English.
// Rows arrive exactly as the indicator API gives them; this script only labels and draws.
// Every request carries the sign-in's bearer token (signin.js); a 401 asks to sign in.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const L = config.labels;
  const PALETTE = ["#0b5cad", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
    "#6a3d9a", "#8c6d31", "#333333", "#b15928", "#1f78b4", "#b2df8a", "#fb9a99", "#999999"];
  const auth = window.polkuAuth;
  const state = { lang: "fi", region: "", organisation: "", from: "", to: "", generation: 0 };
  // mode: unknown (nothing asked yet), signed-in (a stored token), proxy (data answered
  // without one: a sign-in proxy adds it), signed-out; message: a UI key shown on the form.
  const signIn = { mode: "unknown", message: "" };
  const charts = {};   // chart id → Chart instance
  const results = {};  // chart id → last /dashboard/data response
  const downloads = [];  // {chart, name, size} of every CSV saved, newest last
  window.polkuDashboard = { charts, results, state, signIn, downloads };

  // ---- words ---------------------------------------------------------------------------
  const ui = (key, vars) => {
    const text = (L.ui[key] || {})[state.lang] || key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (vars || {})[name]);
  };
  const suppressedText = () => ui("suppressed", { t: config.threshold });
  const locale = () => (state.lang === "fi" ? "fi-FI" : "en-GB");
  const number = (v, digits) => new Intl.NumberFormat(locale(), {
    maximumFractionDigits: digits === undefined ? 1 : digits }).format(v);

  function groupLabel(key, value) {
    if (value === null || value === undefined) return ui("unknown");
    if (key === "organisation") return L.org_names[value] || value;
    if (key === "region") return (L.regions.find((r) => r.id === value) || { name: value }).name;
    if (key === "month") {
      const [y, m] = value.split("-").map(Number);
      return new Intl.DateTimeFormat(locale(), { year: "numeric", month: "short" })
        .format(new Date(Date.UTC(y, m - 1, 15)));
    }
    if (typeof value === "boolean") return String(value);
    return (L.codes[value] || {})[state.lang] || value;
  }
  const chartTitle = (c) => (L.chart_titles[c.id] || {})[state.lang]
    || (state.lang === "fi" ? c.name_fi : c.name_en);
  const definition = (c) => (state.lang === "fi" && L.definitions_fi[c.indicator])
    || c.definition;
  const columnLabel = (key) => (L.ui[key] ? ui(key) : key);

  // ---- filters -------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);

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
    region.replaceChildren(new Option(ui("all_regions"), ""),
      ...L.regions.map((r) => new Option(r.name, r.id)));
    region.value = state.region;
    const org = $("organisation");
    const orgs = L.organisations.filter((o) => !state.region || o.region === state.region);
    org.replaceChildren(new Option(ui("all_organisations"), ""),
      ...orgs.map((o) => new Option(o.name, o.id)));
    if (!orgs.some((o) => o.id === state.organisation)) state.organisation = "";
    org.value = state.organisation;
  }

  function fillPresets() {
    $("presets").replaceChildren(...PRESETS.map((p) => {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.preset = p.id;
      b.textContent = p.label();
      b.setAttribute("aria-pressed", String(state.from === p.from && state.to === p.to));
      b.addEventListener("click", () => { state.from = p.from; state.to = p.to; refresh(); });
      return b;
    }));
  }

  function readUrl() {
    const q = new URLSearchParams(location.search);
    state.lang = q.get("lang") === "en" ? "en" : "fi";
    state.region = q.get("region") || "";
    state.organisation = q.get("organisation") || "";
    state.from = q.get("from") || config.default_period.from;
    state.to = q.get("to") || config.default_period.to;
  }

  function writeUrl() {
    const q = new URLSearchParams();
    for (const key of ["lang", "region", "organisation", "from", "to"]) {
      if (state[key]) q.set(key, state[key]);
    }
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }

  const showAsOf = () => {
    $("as-of").textContent = state.asOf
      ? `${ui("as_of")}: ${new Date(state.asOf).toLocaleString(locale())}.` : "";
  };

  // ---- page text -----------------------------------------------------------------------
  function translatePage() {
    document.documentElement.lang = state.lang;
    document.title = ui("title");
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = ui(el.dataset.i18n); });
    document.querySelectorAll("[data-lang]").forEach((b) =>
      b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang)));
    $("suppression-note").textContent = ui("suppressed_note", { t: config.threshold });
    showAsOf();
    showSignIn();
    fillSelects();
    fillPresets();
  }

  // ---- sign-in -------------------------------------------------------------------------
  const { SignInNeeded } = auth;

  function who() {
    const claims = auth.claims() || {};
    const org = L.org_names[claims.org] || claims.org || "?";
    return claims.role ? `${org} (${claims.role})` : org;
  }

  function showSignIn() {
    $("auth").dataset.state = signIn.mode;
    $("sign-in").hidden = signIn.mode !== "signed-out";
    $("sign-out").hidden = signIn.mode !== "signed-in";
    $("sign-in-message").textContent = signIn.message ? ui(signIn.message) : "";
    $("auth-status").textContent = signIn.mode === "signed-in" ? ui("signed_in", { who: who() })
      : signIn.mode === "proxy" ? ui("signed_in_proxy") : "";
  }

  // No numbers stay on the page of a signed-out user.
  function signedOut(message) {
    state.generation += 1;
    for (const c of config.charts) {
      if (charts[c.id]) charts[c.id].destroy();
      delete charts[c.id];
      delete results[c.id];
      const el = $(`chart-${c.id}`);
      el.dataset.state = "signin";
      el.querySelector(".status").textContent = ui("sign_in_needed");
      el.querySelector(".n").textContent = "";
      el.querySelector(".table-box").replaceChildren();
      el.querySelector(".suppressed-legend").hidden = true;
      const csv = el.querySelector("button.csv");
      csv.disabled = true;
      csv.hidden = true;
      delete csv.dataset.url;
    }
    Object.assign(signIn, { mode: "signed-out", message });
    showSignIn();
    document.body.dataset.generation = String(state.generation);
    document.body.dataset.state = "signin";
  }

  // A 401 with a stored token: it expired or was never valid, so it is dropped.
  function rejected() {
    const hadToken = Boolean(auth.token());
    auth.signOut();
    signedOut(hadToken ? "token_rejected" : "sign_in_needed");
  }

  // ---- data ----------------------------------------------------------------------------
  function dataUrl(c, extra) {
    const q = new URLSearchParams({ indicator: c.indicator, from: state.from, to: state.to });
    if (c.group_by.length) q.set("group_by", c.group_by.join(","));
    if (state.region) q.set("region", state.region);
    if (state.organisation) q.set("organisation", state.organisation);
    for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
    return `/dashboard/data?${q}`;
  }

  async function load(c, generation) {
    const el = $(`chart-${c.id}`);
    el.dataset.state = "loading";
    el.querySelector(".status").textContent = ui("loading");
    try {
      const data = await (await auth.get(dataUrl(c), "application/json")).json();
      if (generation !== state.generation) return;
      results[c.id] = data;
      draw(c);
    } catch (error) {
      if (generation !== state.generation) return;
      if (error instanceof SignInNeeded) throw error;
      delete results[c.id];
      el.dataset.state = "error";
      el.querySelector(".status").textContent = `${ui("error")} (${error.message})`;
    }
  }

  async function refresh() {
    state.from = state.from || config.default_period.from;
    state.to = state.to || config.default_period.to;
    $("from").value = state.from;
    $("to").value = state.to;
    fillPresets();
    writeUrl();
    const generation = ++state.generation;
    document.body.dataset.state = "loading";
    const loads = await Promise.allSettled(config.charts.map((c) => load(c, generation)));
    if (generation !== state.generation) return;
    if (loads.some((l) => l.status === "rejected" && l.reason instanceof SignInNeeded)) {
      rejected();
      return;
    }
    Object.assign(signIn, { mode: auth.token() ? "signed-in" : "proxy", message: "" });
    showSignIn();
    state.asOf = Object.values(results).map((r) => r.as_of).sort().pop();
    showAsOf();
    document.body.dataset.generation = String(generation);
    document.body.dataset.state = "ready";
  }

  // ---- drawing -------------------------------------------------------------------------
  const hatch = (() => {
    const tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    const g = tile.getContext("2d");
    g.strokeStyle = "rgba(90, 90, 90, 0.55)";
    g.lineWidth = 1.5;
    g.beginPath();
    g.moveTo(0, 8); g.lineTo(8, 0); g.moveTo(-2, 2); g.lineTo(2, -2); g.moveTo(6, 10); g.lineTo(10, 6);
    g.stroke();
    return tile;
  })();

  // Marks suppressed categories: a hatched band across the category and its label.
  const suppressedPlugin = {
    id: "polkuSuppressed",
    beforeDatasetsDraw(chart, _args, opts) {
      if (!opts || !opts.indexes || !opts.indexes.length) return;
      const { ctx, chartArea: a } = chart;
      const scale = chart.scales[opts.axis];
      const step = (opts.axis === "x" ? a.width : a.height) / Math.max(scale.ticks.length, 1);
      ctx.save();
      ctx.fillStyle = ctx.createPattern(hatch, "repeat");
      for (const i of opts.indexes) {
        const mid = scale.getPixelForTick(i);
        if (opts.axis === "x") ctx.fillRect(mid - step * 0.4, a.top, step * 0.8, a.bottom - a.top);
        else ctx.fillRect(a.left, mid - step * 0.4, a.right - a.left, step * 0.8);
      }
      ctx.restore();
    },
    afterDatasetsDraw(chart, _args, opts) {
      if (!opts || !opts.indexes || !opts.indexes.length) return;
      const { ctx, chartArea: a } = chart;
      const scale = chart.scales[opts.axis];
      ctx.save();
      ctx.font = "12px system-ui, sans-serif";
      ctx.fillStyle = "#333";
      opts.indexes.forEach((i, k) => {
        const mid = scale.getPixelForTick(i);
        const text = opts.labels[k];
        if (opts.axis === "x") {
          ctx.save();
          ctx.translate(mid + 4, a.bottom - 6);
          ctx.rotate(-Math.PI / 2);
          ctx.fillText(text, 0, 0);
          ctx.restore();
        } else {
          ctx.fillText(text, a.left + 6, mid + 4);
        }
      });
      ctx.restore();
    },
  };

  // A configured target: a dashed line across the plot at the target value, labelled.
  const targetPlugin = {
    id: "polkuTarget",
    afterDatasetsDraw(chart, _args, opts) {
      if (!opts || opts.value === null || opts.value === undefined) return;
      const scale = chart.scales[opts.scaleID];
      if (!scale) return;
      const { ctx, chartArea: a } = chart;
      const p = scale.getPixelForValue(opts.value);
      ctx.save();
      ctx.strokeStyle = "#b00020";
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      if (scale.isHorizontal()) { ctx.moveTo(p, a.top); ctx.lineTo(p, a.bottom); }
      else { ctx.moveTo(a.left, p); ctx.lineTo(a.right, p); }
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#b00020";
      ctx.font = "bold 12px system-ui, sans-serif";
      if (scale.isHorizontal()) ctx.fillText(opts.label, Math.min(p + 4, a.right - 80), a.top + 12);
      else ctx.fillText(opts.label, a.left + 6, p - 4);
      ctx.restore();
    },
  };

  const scaled = (m, v) => (v === null || v === undefined ? null
    : m.percent ? Math.round(v * 1000) / 10 : v);
  const formatted = (m, v) => (v === null ? "–" : m.percent ? `${number(v)} %` : number(v, 2));

  // Rows → categories, datasets and suppressed category indexes.
  function shape(c, rows) {
    const keyOf = (v) => JSON.stringify(v === undefined ? null : v);
    const cats = [...new Map(rows.map((r) => [keyOf(r[c.x]), r[c.x]])).values()];
    const index = new Map(cats.map((v, i) => [keyOf(v), i]));
    const suppressed = [...new Set(rows.filter((r) => r.suppressed).map((r) => index.get(keyOf(r[c.x]))))];
    // A stacked chart names the series whose cell is withheld; the others are drawn.
    const suppressedLabels = suppressed.map((i) => (c.series ? `${rows
      .filter((r) => r.suppressed && keyOf(r[c.x]) === keyOf(cats[i]))
      .map((r) => groupLabel(c.series, r[c.series])).join(", ")}: ` : "") + suppressedText());
    const valueAxis = c.horizontal ? "x" : "y";
    const datasets = [];
    const add = (label, m, pick, color) => {
      const cells = cats.map((cat) => pick(cat));
      datasets.push({
        label, type: m.kind, rows: cells, measure: m,
        data: cells.map((r) => (r && !r.suppressed ? scaled(m, r[m.field]) : null)),
        backgroundColor: color, borderColor: color, borderWidth: m.kind === "line" ? 2 : 0,
        [`${valueAxis}AxisID`]: m.axis === "y2" ? `${valueAxis}2` : valueAxis,
        order: m.kind === "line" ? 0 : 1,
      });
    };
    if (c.series) {
      const series = [...new Set(rows.map((r) => r[c.series]))];
      const m = c.measures[0];
      series.forEach((s, i) => add(groupLabel(c.series, s), m, (cat) => rows.find(
        (r) => keyOf(r[c.x]) === keyOf(cat) && r[c.series] === s), PALETTE[i % PALETTE.length]));
    } else {
      c.measures.forEach((m, i) => add(ui(m.label), m, (cat) => rows.find(
        (r) => keyOf(r[c.x]) === keyOf(cat)), PALETTE[i % PALETTE.length]));
    }
    return { cats, datasets, suppressed, suppressedLabels, valueAxis };
  }

  function scales(c, valueAxis) {
    const indexAxis = valueAxis === "x" ? "y" : "x";
    const pct = (m) => m.percent;
    const axis = (measures, extra) => ({
      beginAtZero: true, stacked: Boolean(c.series),
      ticks: { callback: (v) => (measures.some(pct) ? `${number(v)} %` : number(v)) },
      ...extra,
    });
    const main = c.measures.filter((m) => m.axis === "y");
    const second = c.measures.filter((m) => m.axis === "y2");
    const out = {
      [indexAxis]: { stacked: Boolean(c.series), ticks: { autoSkip: false } },
      [valueAxis]: axis(main, main.some(pct) ? { suggestedMax: 100 } : {}),
    };
    if (second.length) {
      out[`${valueAxis}2`] = axis(second, {
        position: valueAxis === "y" ? "right" : "top",
        grid: { drawOnChartArea: false },
        title: { display: true, text: second.map((m) => ui(m.label)).join(", ") },
      });
    }
    return out;
  }

  function targetOptions(c, valueAxis) {
    if (c.target === null || c.target === undefined) return {};
    const m = c.measures.find((x) => x.field === c.target_field) || c.measures[0];
    const v = scaled(m, c.target);
    return { value: v, scaleID: m.axis === "y2" ? `${valueAxis}2` : valueAxis,
      label: `${ui("target")} ${formatted(m, v)}` };
  }

  function draw(c) {
    const el = $(`chart-${c.id}`);
    const data = results[c.id];
    if (!data) return;
    const rows = data.rows;
    const { cats, datasets, suppressed, suppressedLabels, valueAxis } = shape(c, rows);
    const labels = cats.map((v) => {
      const text = groupLabel(c.x, v);
      return suppressed.includes(cats.indexOf(v)) ? `${text} *` : text;
    });
    if (charts[c.id]) charts[c.id].destroy();
    const box = el.querySelector(".canvas-box");
    box.style.height = c.horizontal ? `${Math.max(180, 70 + 34 * cats.length)}px` : "320px";
    charts[c.id] = new Chart(el.querySelector("canvas"), {
      type: "bar",
      data: { labels, datasets },
      options: {
        indexAxis: c.horizontal ? "y" : "x",
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: scales(c, valueAxis),
        plugins: {
          legend: { display: datasets.length > 1, position: "bottom" },
          tooltip: { callbacks: { label: (ctx) => {
            const row = ctx.dataset.rows[ctx.dataIndex];
            if (row && row.suppressed) return `${ctx.dataset.label}: ${suppressedText()}`;
            const n = row && row.n !== null ? ` (n = ${number(row.n, 0)})` : "";
            return `${ctx.dataset.label}: ${formatted(ctx.dataset.measure, ctx.raw)}${n}`;
          } } },
          polkuSuppressed: {
            indexes: suppressed, labels: suppressedLabels, axis: c.horizontal ? "y" : "x" },
          polkuTarget: targetOptions(c, valueAxis),
        },
      },
      plugins: [suppressedPlugin, targetPlugin],
    });
    label(c);
    el.dataset.state = rows.length ? "ready" : "empty";
  }

  // Every word of one chart section, so a language switch needs no new data.
  function label(c) {
    const el = $(`chart-${c.id}`);
    const data = results[c.id];
    el.querySelector("h2").textContent = chartTitle(c);
    el.querySelector(".def-label").textContent = `${ui("definition")}:`;
    el.querySelector(".def-text").textContent = definition(c);
    el.querySelector("details summary").textContent = ui("show_table");
    const na = el.querySelector(".org-na");
    na.hidden = !state.organisation || c.accepts_organisation;
    na.textContent = ui("org_filter_na");
    const csv = el.querySelector("button.csv");
    csv.textContent = `${ui("download_csv")} (${chartTitle(c)})`;
    csv.hidden = !data;
    if (el.dataset.state === "signin") {
      el.querySelector(".status").textContent = ui("sign_in_needed");
    }
    if (!data) return;
    const t = data.total;
    el.querySelector(".n").textContent = t.suppressed ? `n: ${suppressedText()}`
      : `${t.summed ? ui("n_sum") : "n"} = ${number(t.n, 0)}`;
    const target = targetOptions(c, c.horizontal ? "x" : "y");
    el.querySelector(".target").textContent = target.label ? ` · ${target.label}` : "";
    csv.dataset.url = dataUrl(c, { as_of: data.as_of, format: "csv" });
    csv.disabled = false;
    const anySuppressed = data.rows.some((r) => r.suppressed);
    const legend = el.querySelector(".suppressed-legend");
    legend.hidden = !anySuppressed;
    legend.querySelector(".text").textContent = `* ${suppressedText()}`;
    el.querySelector(".status").textContent = data.rows.length ? "" : ui("no_data");
    const canvas = el.querySelector("canvas");
    canvas.setAttribute("aria-label", `${chartTitle(c)}. ${el.querySelector(".n").textContent}. `
      + `${ui("show_table")} ↓`);
    el.querySelector(".table-box").replaceChildren(table(c, data));
  }

  function table(c, data) {
    const t = document.createElement("table");
    const keys = data.rows.length ? Object.keys(data.rows[0]) : ["n", "value", "suppressed"];
    const groups = keys.filter((k) => !["n", "value", "suppressed", ...c.extras].includes(k));
    const numbers = ["n", "value", ...c.extras];
    const head = t.createTHead().insertRow();
    for (const k of [...groups, ...numbers]) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = columnLabel(k);
      head.appendChild(th);
    }
    const body = t.createTBody();
    for (const r of data.rows) {
      const tr = body.insertRow();
      if (r.suppressed) tr.className = "suppressed";
      for (const k of groups) tr.insertCell().textContent = groupLabel(k, r[k]);
      for (const k of numbers) {
        const td = tr.insertCell();
        td.className = "num";
        td.textContent = r.suppressed ? (k === "n" ? suppressedText() : "–")
          : r[k] === null ? "–" : typeof r[k] === "number" ? number(r[k], 3) : String(r[k]);
      }
    }
    return t;
  }

  // ---- downloads -----------------------------------------------------------------------
  // Fetched with the token and saved from a Blob, never a link with the token in its URL.
  async function download(c, button) {
    const url = button.dataset.url;
    if (!url) return;
    const status = $(`chart-${c.id}`).querySelector(".status");
    button.disabled = true;
    try {
      const saved = await auth.save(await auth.get(url, "text/csv"), `polku-${c.indicator}.csv`);
      downloads.push({ chart: c.id, ...saved });
      status.textContent = "";
    } catch (error) {
      if (error instanceof SignInNeeded) rejected();
      else status.textContent = `${ui("download_failed")} (${error.message})`;
    } finally {
      button.disabled = !button.dataset.url;
    }
  }

  // ---- wiring --------------------------------------------------------------------------
  function start() {
    auth.takeFromAddress();
    readUrl();
    translatePage();
    config.charts.forEach(label);
    config.charts.forEach((c) => {
      const button = $(`chart-${c.id}`).querySelector("button.csv");
      button.addEventListener("click", () => download(c, button));
    });
    $("sign-in").addEventListener("submit", (e) => {
      e.preventDefault();
      const input = $("token");
      if (!auth.store(input.value)) {
        signIn.message = "token_malformed";
        showSignIn();
        return;
      }
      input.value = "";
      refresh();
    });
    $("sign-out").addEventListener("click", () => {
      auth.signOut();
      signedOut("signed_out");
    });
    $("region").addEventListener("change", (e) => {
      state.region = e.target.value;
      fillSelects();
      refresh();
    });
    $("organisation").addEventListener("change", (e) => {
      state.organisation = e.target.value;
      config.charts.forEach(label);
      refresh();
    });
    $("filters").addEventListener("submit", (e) => {
      e.preventDefault();
      $("to").setCustomValidity($("from").value > $("to").value ? ui("period_order") : "");
      if (!$("filters").reportValidity()) return;
      state.from = $("from").value;
      state.to = $("to").value;
      refresh();
    });
    document.querySelectorAll("[data-lang]").forEach((b) => b.addEventListener("click", () => {
      state.lang = b.dataset.lang;
      writeUrl();
      translatePage();
      config.charts.forEach((c) => (results[c.id] ? draw(c) : label(c)));
    }));
    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
