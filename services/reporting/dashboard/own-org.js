// The "own organisation" page: the operational lists of the signed-in professional's
// organisation, one table each, as the registry (own_org.py, config.own_lists) names them —
// a list added there appears here with no change to this script.
"use strict";

(function () {
  const polku = window.polku;
  const { config, state, labels: L } = polku.page;
  const { ui, number, listTitle, columnLabel, groupLabel, codeList } = polku.i18n;
  const auth = window.polkuAuth;
  const $ = (id) => document.getElementById(id);
  const results = {};  // list id → its last answer, or {refused} / {error}
  const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

  function url(list, extra) {
    const q = new URLSearchParams(extra || {});
    if (state.asOfInput) q.set("as_of", state.asOfInput);
    const query = q.toString();
    return query ? `${list.path}?${query}` : list.path;
  }

  function cellText(column, value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") return number(value, 2);
    if (codeList(column) === "@organisation") return L.org_names[value] || value;
    return codeList(column) ? groupLabel(column, value) : String(value);
  }

  // One section per list of the registry, made once; the script fills and labels them.
  function build(onDownload) {
    $("own-lists").replaceChildren(...config.own_lists.map((list) => {
      const el = document.createElement("section");
      el.className = "own-list";
      el.id = `list-${list.id}`;
      el.dataset.list = list.id;
      el.setAttribute("aria-labelledby", `list-title-${list.id}`);
      el.innerHTML = `<h3 id="list-title-${list.id}"></h3><p class="meta"></p>
        <div class="table-box"></div><p class="status" role="status"></p>
        <p class="downloads"><button type="button" class="xlsx" disabled></button></p>`;
      el.querySelector("button.xlsx").addEventListener("click",
        (e) => onDownload(list, e.currentTarget));
      return el;
    }));
  }

  function table(list, rows) {
    const t = document.createElement("table");
    const caption = t.createCaption();
    caption.className = "visually-hidden";  // the section's heading says it on screen
    caption.textContent = listTitle(list.id);
    const head = t.createTHead().insertRow();
    for (const column of list.columns) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = columnLabel(column);
      head.appendChild(th);
    }
    const body = t.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      for (const column of list.columns) {
        const td = tr.insertCell();
        td.textContent = cellText(column, row[column]);
        if (typeof row[column] === "number") td.className = "num";
      }
    }
    return t;
  }

  // Every word and table of the page, from the last answers (a language switch asks nothing).
  function render() {
    const first = Object.values(results).find((r) => r && r.organisation);
    const org = first ? first.organisation : (auth.claims() || {}).org;
    $("own-for").textContent = org ? ui("own_for", { org: L.org_names[org] || org }) : "";
    for (const list of config.own_lists) {
      const el = $(`list-${list.id}`);
      const answer = results[list.id];
      el.querySelector("h3").textContent = listTitle(list.id);
      const button = el.querySelector("button.xlsx");
      button.textContent = `${ui("download_xlsx")} (${listTitle(list.id)})`;
      button.disabled = !(answer && answer.rows);
      const meta = el.querySelector(".meta");
      const box = el.querySelector(".table-box");
      el.dataset.state = !answer ? "loading" : answer.rows ? "ready" : "error";
      if (!answer) {
        meta.textContent = ui("loading");
        box.replaceChildren();
      } else if (answer.refused) {
        meta.textContent = ui("list_refused");
        box.replaceChildren();
      } else if (answer.error) {
        meta.textContent = `${ui("error")} (${answer.error})`;
        box.replaceChildren();
      } else {
        meta.textContent = answer.rows.length
          ? ui("rows", { count: number(answer.rows.length, 0) }) : ui("no_rows");
        box.replaceChildren(...(answer.rows.length ? [table(list, answer.rows)] : []));
      }
    }
  }

  // Loads every list; a 401 is thrown on (the page asks to sign in), other failures shown.
  async function load(generation) {
    for (const key of Object.keys(results)) delete results[key];
    render();
    await Promise.all(config.own_lists.map(async (list) => {
      try {
        const answer = await (await auth.get(url(list), "application/json")).json();
        if (generation === state.generation) results[list.id] = answer;
      } catch (error) {
        if (error instanceof auth.SignInNeeded) throw error;
        if (generation === state.generation) {
          results[list.id] = error.message === "403" ? { refused: true } : { error: error.message };
        }
      }
    }));
    if (generation === state.generation) render();
  }

  function clear() {
    for (const key of Object.keys(results)) delete results[key];
    $("own-for").textContent = "";
    for (const el of document.querySelectorAll(".own-list")) {
      el.dataset.state = "signin";
      el.querySelector(".meta").textContent = ui("sign_in_needed");
      el.querySelector(".table-box").replaceChildren();
      el.querySelector("button.xlsx").disabled = true;
    }
  }

  const downloadUrl = (list) => url(list, { format: "xlsx", lang: state.lang });

  polku.ownOrg = { build, load, render, clear, results, downloadUrl, XLSX };
})();
