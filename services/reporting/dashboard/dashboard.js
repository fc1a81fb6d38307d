// The Polku dashboard's wiring: filters → /dashboard/data per chart → Chart.js, the catalogue
// picker, the own organisation page, the language and the sign-in (signin.js); the words are
// in i18n.js, the drawing in charts.js, the controls in controls.js, the lists in own-org.js.
// Rows arrive exactly as the indicator API gives them; the page only labels and draws.
"use strict";

(function () {
  const polku = window.polku;
  const { config, state, labels: L } = polku.page;
  const { ui, locale, number, suppressedText, chartTitle, definition } = polku.i18n;
  const controls = polku.controls;
  const own = polku.ownOrg;
  const auth = window.polkuAuth;
  const { SignInNeeded } = auth;
  const XLSX = own.XLSX;
  // mode: unknown (nothing asked yet), signed-in (a stored token), proxy (data answered
  // without one: a sign-in proxy adds it), signed-out; message: a UI key shown on the form.
  const signIn = { mode: "unknown", message: "" };
  const charts = {};   // chart id → Chart instance
  const results = {};  // chart id → last /dashboard/data response
  const downloads = [];  // {chart or list, format, name, size} of every file saved, newest last
  window.polkuDashboard = { charts, results, state, signIn, downloads, lists: own.results };
  const $ = (id) => document.getElementById(id);

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
    controls.fillSelects();
    controls.fillPresets(refresh);
    controls.fillPicker();
    controls.allCharts().forEach((c) => (results[c.id] ? draw(c) : label(c)));
    if (signIn.mode === "signed-out") own.clear(); else own.render();
  }

  function showView() {
    $("view-indicators").hidden = state.view !== "indicators";
    $("view-own").hidden = state.view !== "own";
    document.querySelectorAll("[data-view]").forEach((b) =>
      b.setAttribute("aria-pressed", String(b.dataset.view === state.view)));
  }

  // ---- sign-in -------------------------------------------------------------------------
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
    for (const c of controls.allCharts()) {
      if (charts[c.id]) charts[c.id].destroy();
      delete charts[c.id];
      delete results[c.id];
      const el = controls.section(c);
      el.dataset.state = "signin";
      el.querySelector(".status").textContent = ui("sign_in_needed");
      el.querySelector(".n").textContent = "";
      el.querySelector(".table-box").replaceChildren();
      el.querySelector(".suppressed-legend").hidden = true;
      for (const button of el.querySelectorAll("button.csv, button.xlsx")) {
        button.disabled = true;
        button.hidden = true;
        delete button.dataset.url;
      }
    }
    own.clear();
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
    if (state.asOfInput) q.set("as_of", state.asOfInput);
    for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
    return `/dashboard/data?${q}`;
  }

  // Charts of one indicator and grouping (the satisfaction and NPS charts) draw one answer:
  // one request per distinct address, shared by the charts of one refresh.
  async function load(c, generation, requests) {
    const el = controls.section(c);
    el.dataset.state = "loading";
    el.querySelector(".status").textContent = ui("loading");
    try {
      const url = dataUrl(c);
      if (!requests.has(url)) {
        requests.set(url, auth.get(url, "application/json").then((r) => r.json()));
      }
      const data = await requests.get(url);
      if (generation !== state.generation) return;
      results[c.id] = data;
      draw(c);
    } catch (error) {
      if (generation !== state.generation) return;
      if (error instanceof SignInNeeded) throw error;
      delete results[c.id];
      el.dataset.state = "error";
      el.dataset.error = error.message;
      el.querySelector(".status").textContent = `${ui("error")} (${error.message})`;
    }
  }

  // Loads what the current view shows: every chart, or the organisation's lists.
  async function refresh() {
    state.from = state.from || config.default_period.from;
    state.to = state.to || config.default_period.to;
    $("from").value = state.from;
    $("to").value = state.to;
    controls.showAsOfInput();
    controls.fillPresets(refresh);
    controls.writeUrl();
    const generation = ++state.generation;
    const requests = new Map();
    document.body.dataset.state = "loading";
    const loads = state.view === "own" ? [own.load(generation)]
      : controls.allCharts().map((c) => load(c, generation, requests));
    const settled = await Promise.allSettled(loads);
    if (generation !== state.generation) return;
    if (settled.some((l) => l.status === "rejected" && l.reason instanceof SignInNeeded)) {
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

  // ---- one chart -----------------------------------------------------------------------
  function draw(c) {
    const el = controls.section(c);
    const data = results[c.id];
    if (!data) return;
    if (charts[c.id]) charts[c.id].destroy();
    charts[c.id] = polku.charts.draw(c, el, data.rows);
    label(c);
    el.dataset.state = data.rows.length ? "ready" : "empty";
  }

  // Every word of one chart section, so a language switch needs no new data.
  function label(c) {
    const el = controls.section(c);
    const data = results[c.id];
    const title = chartTitle(c);
    el.querySelector("h2").textContent = title;
    el.querySelector(".def-label").textContent = `${ui("definition")}:`;
    el.querySelector(".def-text").textContent = definition(c);
    el.querySelector("details summary").textContent = ui("show_table");
    const na = el.querySelector(".org-na");
    na.hidden = !state.organisation || c.accepts_organisation;
    na.textContent = ui("org_filter_na");
    const remove = el.querySelector("button.remove");
    remove.hidden = !c.added;
    remove.textContent = `${ui("remove_chart")} (${title})`;
    const files = { csv: el.querySelector("button.csv"), xlsx: el.querySelector("button.xlsx") };
    files.csv.textContent = `${ui("download_csv")} (${title})`;
    files.xlsx.textContent = `${ui("download_xlsx")} (${title})`;
    el.querySelector("canvas").setAttribute("aria-label", title);
    for (const button of Object.values(files)) button.hidden = !data;
    const status = el.querySelector(".status");
    if (el.dataset.state === "signin") status.textContent = ui("sign_in_needed");
    if (el.dataset.state === "error") status.textContent = `${ui("error")} (${el.dataset.error})`;
    if (!data) return;
    const t = data.total;
    el.querySelector(".n").textContent = t.suppressed ? `n: ${suppressedText()}`
      : `${t.summed ? ui("n_sum") : "n"} = ${number(t.n, 0)}`;
    const target = polku.charts.targetOptions(c, c.horizontal ? "x" : "y");
    el.querySelector(".target").textContent = target.label ? ` · ${target.label}` : "";
    files.csv.dataset.url = dataUrl(c, { as_of: data.as_of, format: "csv", lang: state.lang });
    files.xlsx.dataset.url = dataUrl(c, { as_of: data.as_of, format: "xlsx", lang: state.lang });
    for (const button of Object.values(files)) button.disabled = false;
    const legend = el.querySelector(".suppressed-legend");
    legend.hidden = !data.rows.some((r) => r.suppressed);
    legend.querySelector(".text").textContent = `* ${suppressedText()}`;
    el.querySelector(".status").textContent = data.rows.length ? "" : ui("no_data");
    el.querySelector("canvas").setAttribute("aria-label",
      `${title}. ${el.querySelector(".n").textContent}. ${ui("show_table")} ↓`);
    el.querySelector(".table-box").replaceChildren(
      polku.charts.table(c, data, `${ui("chart_table")}: ${title}`));
  }

  // ---- downloads -----------------------------------------------------------------------
  // Fetched with the token and saved from a Blob, never a link with the token in its URL.
  async function download(what, url, button, status, format) {
    if (!url) return;
    button.disabled = true;
    try {
      const accept = format === "xlsx" ? XLSX : "text/csv";
      const saved = await auth.save(await auth.get(url, accept), `polku.${format}`);
      downloads.push({ ...what, format, ...saved });
      status.textContent = "";
    } catch (error) {
      if (error instanceof SignInNeeded) rejected();
      else status.textContent = `${ui("download_failed")} (${error.message})`;
    } finally {
      button.disabled = false;
    }
  }

  function wireChart(c) {
    const el = controls.section(c);
    if (el.dataset.wired) return;
    el.dataset.wired = "1";
    for (const format of ["csv", "xlsx"]) {
      const button = el.querySelector(`button.${format}`);
      button.addEventListener("click", () => download(
        { chart: c.id }, button.dataset.url, button, el.querySelector(".status"), format));
    }
    el.querySelector("button.remove").addEventListener("click", () => {
      if (charts[c.id]) charts[c.id].destroy();
      delete charts[c.id];
      delete results[c.id];
      controls.unpick(c);
      $("pick-indicator").focus();
    });
  }

  // ---- wiring --------------------------------------------------------------------------
  function addPicked(event) {
    event.preventDefault();
    const c = controls.pick();
    $("pick-message").textContent = c ? "" : ui("already_shown");
    if (!c) return;
    wireChart(c);
    label(c);
    refresh().then(() => controls.section(c).querySelector("h2").focus());
  }

  function wireFilters() {
    $("region").addEventListener("change", (e) => {
      state.region = e.target.value;
      controls.fillSelects();
      refresh();
    });
    $("organisation").addEventListener("change", (e) => {
      state.organisation = e.target.value;
      controls.allCharts().forEach(label);
      refresh();
    });
    $("filters").addEventListener("submit", (e) => {
      e.preventDefault();
      $("to").setCustomValidity($("from").value > $("to").value ? ui("period_order") : "");
      if (!$("filters").reportValidity()) return;
      state.from = $("from").value;
      state.to = $("to").value;
      controls.readAsOf();
      refresh();
    });
    $("picker").addEventListener("submit", addPicked);
    $("pick-indicator").addEventListener("change", controls.fillGroups);
  }

  function wireSignIn() {
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
  }

  function start() {
    auth.takeFromAddress();
    controls.readUrl();
    own.build((list, button) => download({ list: list.id }, own.downloadUrl(list), button,
      $(`list-${list.id}`).querySelector(".status"), "xlsx"));
    controls.allCharts().forEach(wireChart);
    translatePage();
    showView();
    wireFilters();
    wireSignIn();
    document.querySelectorAll("[data-lang]").forEach((b) => b.addEventListener("click", () => {
      state.lang = b.dataset.lang;
      controls.writeUrl();
      translatePage();
    }));
    document.querySelectorAll("[data-view]").forEach((b) => b.addEventListener("click", () => {
      state.view = b.dataset.view;
      showView();
      refresh();
    }));
    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
