// Drawing one chart with Chart.js from its /dashboard/data rows: datasets, suppressed cells
// hatched and named, a target line, tick labels that stay legible (long ones truncated with
// the full text in the tooltip and the table; month axes skip labels rather than overlap
// them), a plot that keeps its height however long the legend, and the table alternative of
// every chart. Nothing drawn on a chart overlaps another label: a suppressed category is
// named inside the plot only where the text fits in the empty category (never over the bars
// of a stacked chart); its tick's "*", the hatch and the note under the chart mark it always.
"use strict";

(function () {
  const polku = window.polku;
  const { ui, number, suppressedText, groupLabel, columnLabel } = polku.i18n;
  const PALETTE = ["#0b5cad", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
    "#6a3d9a", "#8c6d31", "#333333", "#b15928", "#1f78b4", "#b2df8a", "#fb9a99", "#999999"];
  const TICK_CHARS = 26;
  const SUPPRESSED_FONT = "12px system-ui, sans-serif";
  const SUPPRESSED_LINE = 12;
  // The least height of a plot (the bars) when a long legend takes the canvas's room.
  const MIN_PLOT = 180;

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

  // Categories, not ticks: a month axis may show fewer ticks than it has categories.
  const categories = (chart) => Math.max(chart.data.labels.length, 1);

  // Marks suppressed categories: a hatched band across the category and its label.
  const suppressedPlugin = {
    id: "polkuSuppressed",
    beforeDatasetsDraw(chart, _args, opts) {
      if (!opts || !opts.indexes || !opts.indexes.length) return;
      const { ctx, chartArea: a } = chart;
      const scale = chart.scales[opts.axis];
      const step = (opts.axis === "x" ? a.width : a.height) / categories(chart);
      ctx.save();
      ctx.fillStyle = ctx.createPattern(hatch, "repeat");
      for (const i of opts.indexes) {
        const mid = scale.getPixelForValue(i);
        if (opts.axis === "x") ctx.fillRect(mid - step * 0.4, a.top, step * 0.8, a.bottom - a.top);
        else ctx.fillRect(a.left, mid - step * 0.4, a.right - a.left, step * 0.8);
      }
      ctx.restore();
    },
    // The names, where they fit: inside the plot, in a category of their own (the label
    // runs along the category), one line each; `chart.$polkuTexts` keeps what was drawn.
    afterDatasetsDraw(chart, _args, opts) {
      chart.$polkuTexts = [];
      if (!opts || !opts.indexes || !opts.indexes.length || !opts.text) return;
      const { ctx, chartArea: a } = chart;
      const scale = chart.scales[opts.axis];
      const along = (opts.axis === "x" ? a.bottom - a.top : a.right - a.left) - 12;
      const step = (opts.axis === "x" ? a.width : a.height) / categories(chart);
      ctx.save();
      ctx.font = SUPPRESSED_FONT;
      const text = opts.text;
      const width = ctx.measureText(text).width;
      // No room between categories for a line, or along one for the text: the marks say it.
      if (step < SUPPRESSED_LINE + 2 || width > along) {
        ctx.restore();
        return;
      }
      ctx.fillStyle = "#333";
      opts.indexes.forEach((i) => {
        const mid = scale.getPixelForValue(i);
        if (opts.axis === "x") {
          ctx.save();
          ctx.translate(mid + 4, a.bottom - 6);
          ctx.rotate(-Math.PI / 2);
          ctx.fillText(text, 0, 0);
          ctx.restore();
          chart.$polkuTexts.push({ text, left: mid + 4 - SUPPRESSED_LINE, right: mid + 4,
            top: a.bottom - 6 - width, bottom: a.bottom - 6 });
        } else {
          ctx.fillText(text, a.left + 6, mid + 4);
          chart.$polkuTexts.push({ text, left: a.left + 6, right: a.left + 6 + width,
            top: mid + 4 - SUPPRESSED_LINE, bottom: mid + 4 });
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
  const truncated = (text) => (text.length > TICK_CHARS
    ? `${text.slice(0, TICK_CHARS - 1).trimEnd()}…` : text);

  // Rows → categories, datasets and suppressed category indexes.
  function shape(c, rows) {
    const keyOf = (v) => JSON.stringify(v === undefined ? null : v);
    const xOf = (r) => (c.x ? r[c.x] : null);
    const label = (key, value) => groupLabel(key, value, c.indicator);
    const cats = [...new Map(rows.map((r) => [keyOf(xOf(r)), xOf(r)])).values()];
    const index = new Map(cats.map((v, i) => [keyOf(v), i]));
    const suppressed = [...new Set(rows.filter((r) => r.suppressed)
      .map((r) => index.get(keyOf(xOf(r)))))];
    const valueAxis = c.horizontal ? "x" : "y";
    const datasets = [];
    const add = (name, m, pick, color) => {
      const cells = cats.map((cat) => pick(cat));
      datasets.push({
        label: name, type: m.kind, rows: cells, measure: m,
        data: cells.map((r) => (r && !r.suppressed ? scaled(m, r[m.field]) : null)),
        backgroundColor: color, borderColor: color, borderWidth: m.kind === "line" ? 2 : 0,
        [`${valueAxis}AxisID`]: m.axis === "y2" ? `${valueAxis}2` : valueAxis,
        order: m.kind === "line" ? 0 : 1,
      });
    };
    if (c.series) {
      const series = [...new Set(rows.map((r) => r[c.series]))];
      const m = c.measures[0];
      series.forEach((s, i) => add(label(c.series, s), m, (cat) => rows.find(
        (r) => keyOf(xOf(r)) === keyOf(cat) && r[c.series] === s), PALETTE[i % PALETTE.length]));
    } else {
      c.measures.forEach((m, i) => add(ui(m.label), m, (cat) => rows.find(
        (r) => keyOf(xOf(r)) === keyOf(cat)), PALETTE[i % PALETTE.length]));
    }
    const labels = cats.map((v, i) => `${label(c.x, v)}${suppressed.includes(i) ? " *" : ""}`);
    return { labels, datasets, suppressed, valueAxis };
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
      [indexAxis]: { stacked: Boolean(c.series), ticks: {
        // Every category keeps its label, except months: a long period shows every
        // other (third, …) month rather than labels written over each other.
        autoSkip: c.x === "month", autoSkipPadding: 4, maxRotation: 60,
        // Long names are cut on the axis; the tooltip and the table show them whole.
        callback(value) { return truncated(String(this.getLabelForValue(value))); },
      } },
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

  // Draws the chart into the section's canvas; returns the Chart instance.
  function draw(c, el, rows) {
    const { labels, datasets, suppressed, valueAxis } = shape(c, rows);
    const box = el.querySelector(".canvas-box");
    box.style.height = c.horizontal ? `${Math.max(180, 70 + 34 * labels.length)}px` : "320px";
    const chart = new Chart(el.querySelector("canvas"), {
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
          // A stacked chart's withheld cell has other series' bars around it: no text
          // there (the table names the series).
          polkuSuppressed: {
            indexes: suppressed, text: c.series ? null : suppressedText(),
            axis: c.horizontal ? "y" : "x" },
          polkuTarget: targetOptions(c, valueAxis),
        },
      },
      plugins: [suppressedPlugin, targetPlugin],
    });
    // A legend of many series takes its rows from the canvas: the box grows instead.
    const a = chart.chartArea;
    const plot = a ? a.bottom - a.top : MIN_PLOT;
    const least = c.horizontal ? Math.min(MIN_PLOT, 28 * labels.length) : MIN_PLOT;
    if (plot < least) {
      box.style.height = `${box.clientHeight + Math.ceil(least - plot)}px`;
      chart.resize();
    }
    return chart;
  }

  // The chart's rows as a table: every group key labelled, every figure, suppression marked.
  function table(c, data, caption) {
    const t = document.createElement("table");
    t.createCaption().textContent = caption;
    const keys = data.rows.length ? Object.keys(data.rows[0]) : ["n", "value", "suppressed"];
    const groups = keys.filter((k) => !["n", "value", "suppressed", ...c.extras].includes(k));
    const numbers = ["n", "value", ...c.extras];
    const percent = (k) => (c.percent || []).includes(k);
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
      groups.forEach((k, i) => {
        const cell = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) cell.scope = "row";
        cell.textContent = groupLabel(k, r[k], c.indicator);
        tr.appendChild(cell);
      });
      for (const k of numbers) {
        const td = tr.insertCell();
        td.className = "num";
        const v = r[k];
        td.textContent = r.suppressed ? (k === "n" ? suppressedText() : "–")
          : v === null || v === undefined ? "–"
            : typeof v === "number" ? (percent(k) ? `${number(v * 100)} %` : number(v, 3))
              : String(v);
      }
    }
    return t;
  }

  polku.charts = { draw, table, targetOptions, formatted, scaled };
})();
