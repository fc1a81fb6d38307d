// The dashboard's words and number formats in Finnish, Swedish and English, and the page's
// shared configuration and state (window.polku.page): every other script labels through here.
"use strict";

(function () {
  const polku = (window.polku = window.polku || {});
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const L = config.labels;
  const LANGS = ["fi", "sv", "en"];
  const LOCALES = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" };
  // view: "indicators" or "own"; added: "indicator:group" of each chart added from the
  // catalogue; asOfInput: the as_of control's RFC 3339 moment ("" is now).
  const state = { lang: "fi", region: "", organisation: "", from: "", to: "", asOfInput: "",
    view: "indicators", added: [], generation: 0 };

  const ui = (key, vars) => {
    const text = (L.ui[key] || {})[state.lang] || key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (vars || {})[name]);
  };
  const locale = () => LOCALES[state.lang] || "fi-FI";
  const number = (v, digits) => new Intl.NumberFormat(locale(), {
    maximumFractionDigits: digits === undefined ? 1 : digits }).format(v);
  const suppressedText = () => ui("suppressed", { t: config.threshold });
  const inLang = (texts, fallback) => (texts && texts[state.lang]) || fallback;

  // The code list a column's values come from (the message catalogue's columns).
  function codeList(column, indicator) {
    const entry = L.columns[column];
    if (!entry) return null;
    return (indicator && entry.codes_by_indicator[indicator]) || entry.codes;
  }

  function monthLabel(value) {
    const [y, m] = String(value).split("-").map(Number);
    return new Intl.DateTimeFormat(locale(), { year: "numeric", month: "short" })
      .format(new Date(Date.UTC(y, m - 1, 15)));
  }

  // A group value's label: organisation and region names, months, code labels.
  function groupLabel(key, value, indicator) {
    if (key === null || key === undefined) return ui("total");
    if (value === null || value === undefined) return ui("unknown");
    if (key === "organisation" || codeList(key, indicator) === "@organisation") {
      return L.org_names[value] || value;
    }
    if (key === "region") return inLang(L.region_names[value], value);
    if (key === "month") return monthLabel(value);
    const list = codeList(key, indicator);
    const code = typeof value === "boolean" ? String(value) : value;
    const listed = list && L.code_lists[list] && L.code_lists[list][code];
    if (listed) return inLang(listed, code);
    return inLang(L.codes[code], String(code));
  }

  // A column heading: the dashboard's own word, else the catalogue's column name.
  const columnLabel = (key) => (L.ui[key] ? ui(key) : inLang(L.columns[key], key));
  const indicatorName = (id) => inLang(L.indicator_names[id], id);
  // An added chart names its grouping: the same indicator may be on the page twice.
  const chartTitle = (c) => inLang(L.chart_titles[c.id], null) || (c.added && c.x
    ? `${indicatorName(c.indicator)} – ${columnLabel(c.x)}` : indicatorName(c.indicator));
  const definition = (c) => inLang(L.definitions[c.indicator], c.definition);
  const listTitle = (id) => inLang(L.lists[id], id);

  polku.page = { config, state, labels: L, languages: LANGS };
  polku.i18n = { ui, locale, number, suppressedText, groupLabel, columnLabel, chartTitle,
    definition, indicatorName, listTitle, codeList };
})();
