// The observer's page: plain JavaScript, no build step. Views are chosen
// by the URL's fragment (#/overview, #/processes, #/processes/<node>,
// #/tree, #/process/<id>, #/log); live updates come by server-sent events
// from api/events.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const main = $("#main");
const ui = {
  view: "overview",
  arg: null,
  source: null,
  history: [],
  log: [],
  rows: new Map(),
  order: [],
  total: 0,
  sort: "mailbox",
  filter: "",
  // The node whose table is shown: "" for this one, else its id.
  node: "",
  treeTimer: null,
  detailTimer: null,
};

// --- the token: typed in the header, or given as #token=... once --------
const tokenInput = $("#token");
{
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem("observer-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + "#/overview");
  }
  tokenInput.value = sessionStorage.getItem("observer-token") || "";
  tokenInput.addEventListener("input", () => sessionStorage.setItem("observer-token", tokenInput.value.trim()));
}

function toast(text, bad) {
  const t = $("#toast");
  t.textContent = text;
  t.className = bad ? "bad" : "";
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 5000);
}

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
const idLink = (id) => `<a href="#/process/${encodeURIComponent(id)}">${esc(id)}</a>`;
const statusText = (s) => (s.on ? `${s.state} ${s.on}` : s.state);
function fmtNum(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(2) + " G";
  if (n >= 1e6) return (n / 1e6).toFixed(2) + " M";
  if (n >= 1e4) return (n / 1e3).toFixed(1) + " k";
  return String(Math.round(n));
}
function fmtBytes(b) {
  if (b == null) return "n/a";
  return (b / (1024 * 1024)).toFixed(1) + " MiB";
}
function fmtSecs(s) {
  if (s < 60) return s.toFixed(1) + " s";
  if (s < 3600) return (s / 60).toFixed(1) + " min";
  return (s / 3600).toFixed(1) + " h";
}

async function getJson(path) {
  const r = await fetch(path, { cache: "no-store" });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

async function act(id, action) {
  const token = tokenInput.value.trim();
  const r = await fetch(`api/processes/${encodeURIComponent(id)}/${action}`, {
    method: "POST",
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    toast(`${action} refused (${r.status}): ${body.error || r.statusText}`, true);
    return null;
  }
  toast(action === "kill" ? `killed ${id}` : `restarted ${id} as ${body.new}`);
  return body;
}

// --- live updates -----------------------------------------------------
function connect() {
  if (ui.source) ui.source.close();
  let url = "api/events";
  if (ui.view === "processes") {
    const q = new URLSearchParams({ table: "true", sort: ui.sort, limit: "500" });
    if (ui.filter) q.set("filter", ui.filter);
    if (ui.node) q.set("node", ui.node);
    url += "?" + q;
  }
  const src = new EventSource(url);
  ui.source = src;
  src.addEventListener("hello", () => ($("#status").textContent = "live"));
  src.onerror = () => {
    $("#status").textContent = "reconnecting…";
    // Say why another node's table cannot be had (the stream only fails).
    if (ui.view === "processes" && ui.node)
      getJson(`api/processes?node=${encodeURIComponent(ui.node)}&limit=1`).catch((e) => tableError(e.message));
  };
  src.addEventListener("sample", (e) => onSample(JSON.parse(e.data)));
  src.addEventListener("log", (e) => onLog(JSON.parse(e.data)));
  src.addEventListener("table", (e) => onTable(JSON.parse(e.data)));
  src.addEventListener("table-error", (e) => tableError(JSON.parse(e.data).error));
}

function tableError(text) {
  const el = $("#table-count");
  if (el) {
    el.textContent = text;
    el.classList.add("bad");
  }
}

function onSample(s) {
  ui.history.push(s);
  if (ui.history.length > 600) ui.history.shift();
  $("#status").textContent = `live · ${s.processes} processes`;
  if (ui.view === "overview") drawOverview();
  if (ui.view === "process") scheduleDetail();
}

function onLog(entry) {
  ui.log.push(entry);
  if (ui.log.length > 1000) ui.log.shift();
  if (ui.view === "log") prependLog(entry);
  if (ui.view === "tree") scheduleTree();
  if (ui.view === "process") scheduleDetail();
}

function onTable(t) {
  for (const id of t.removed) ui.rows.delete(id);
  for (const row of t.rows) ui.rows.set(row.id, row);
  ui.order = t.order;
  ui.total = t.total;
  if (ui.view === "processes") drawRows();
}

// --- views --------------------------------------------------------------
const views = {
  overview: showOverview,
  processes: showProcesses,
  tree: showTree,
  process: showProcess,
  log: showLog,
};

function route() {
  const [, view = "overview", arg] = location.hash.match(/^#\/([^/]*)\/?(.*)$/) || [];
  const before = ui.view;
  ui.view = views[view] ? view : "overview";
  ui.arg = arg ? decodeURIComponent(arg) : null;
  if (ui.view === "processes" && (ui.arg || "") !== ui.node) {
    ui.node = ui.arg || "";
    ui.rows.clear();
    ui.order = [];
    ui.total = 0;
  }
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === ui.view);
  if (before !== ui.view || ui.view === "processes" || !ui.source) connect();
  views[ui.view]();
}

async function showOverview() {
  main.innerHTML = `
    <div class="cards">
      <div class="card"><div class="muted">processes</div><div class="value" id="overview-processes">…</div></div>
      <div class="card"><div class="muted">messages received / s</div><div class="value" id="overview-rate">…</div></div>
      <div class="card"><div class="muted">messages sent / s</div><div class="value" id="overview-sent">…</div></div>
      <div class="card"><div class="muted">memory (resident)</div><div class="value" id="overview-rss">…</div></div>
      <div class="card"><div class="muted">nodes</div><div class="value" id="overview-nodes">…</div><div class="muted" id="overview-node-list"></div></div>
    </div>
    <div class="charts">
      <div class="chart"><div class="muted">processes, last minutes</div><svg id="chart-processes" viewBox="0 0 600 140" preserveAspectRatio="none"></svg></div>
      <div class="chart"><div class="muted">messages received / s</div><svg id="chart-rate" viewBox="0 0 600 140" preserveAspectRatio="none"></svg></div>
      <div class="chart"><div class="muted">memory (MiB)</div><svg id="chart-rss" viewBox="0 0 600 140" preserveAspectRatio="none"></svg></div>
    </div>`;
  getJson("api/nodes")
    .then((n) => {
      $("#overview-nodes").textContent = 1 + n.others.length;
      $("#overview-node-list").innerHTML = [`this node (${n.this})`, ...n.others.map((o) => `${esc(o.name)} (${o.id})`)].join("<br>");
    })
    .catch(() => {});
  try {
    const o = await getJson("api/overview");
    ui.history = o.history;
    $("#overview-processes").textContent = o.processes;
    $("#overview-rss").textContent = fmtBytes(o.rss);
  } catch (e) {
    toast(e.message, true);
  }
  drawOverview();
}

function chart(svg, values) {
  if (!svg) return;
  const max = Math.max(1, ...values);
  const n = Math.max(2, values.length);
  const pts = values.map((v, i) => `${((i / (n - 1)) * 600).toFixed(1)},${(135 - (v / max) * 125).toFixed(1)}`).join(" ");
  svg.innerHTML = `<text x="4" y="12" font-size="11" fill="#6b7483">${esc(fmtNum(max))}</text><polyline points="${pts}"></polyline>`;
}

function drawOverview() {
  const h = ui.history;
  const last = h[h.length - 1];
  if (last && $("#overview-processes")) {
    $("#overview-processes").textContent = last.processes;
    $("#overview-rate").textContent = fmtNum(last.received_per_sec);
    $("#overview-sent").textContent = fmtNum(last.sent_per_sec);
    $("#overview-rss").textContent = fmtBytes(last.rss);
  }
  chart($("#chart-processes"), h.map((s) => s.processes));
  chart($("#chart-rate"), h.map((s) => s.received_per_sec));
  chart($("#chart-rss"), h.map((s) => (s.rss || 0) / (1024 * 1024)));
}

const columns = [
  ["id", "id"],
  ["name", "name"],
  ["label", "label"],
  ["status", "status"],
  ["mailbox", "mailbox", true],
  ["received", "received", true],
  ["sent", "sent", true],
  ["restarts", "restarts", true],
  ["uptime", "uptime", true],
];

function showProcesses() {
  main.innerHTML = `
    <div class="toolbar">
      <select id="node" title="whose processes"><option value="">this node</option></select>
      <input id="filter" placeholder="filter by id, name, label or type" value="${esc(ui.filter)}" size="34">
      <span class="muted" id="table-count"></span>
    </div>
    <table id="process-table"><thead><tr>${columns
      .map(([key, title, num]) => `<th data-sort="${key}" class="${num ? "num" : ""} ${ui.sort === key ? "sorted" : ""}">${title}</th>`)
      .join("")}</tr></thead><tbody></tbody></table>`;
  const pick = $("#node");
  pick.addEventListener("change", () => (location.hash = pick.value ? `#/processes/${pick.value}` : "#/processes"));
  getJson("api/nodes")
    .then((n) => {
      const nodes = n.others.map((o) => [String(o.id), `${o.name} (node ${o.id})`]);
      if (ui.node && !nodes.some(([id]) => id === ui.node)) nodes.push([ui.node, `node ${ui.node} (not up)`]);
      pick.options[0].textContent = `this node (${n.this})`;
      for (const [id, text] of nodes) pick.add(new Option(text, id));
      pick.value = ui.node;
    })
    .catch(() => {});
  $("#filter").addEventListener("input", (e) => {
    clearTimeout(ui.filterTimer);
    ui.filterTimer = setTimeout(() => {
      ui.filter = e.target.value.trim();
      ui.rows.clear();
      connect();
    }, 250);
  });
  for (const th of document.querySelectorAll("#process-table th")) {
    th.addEventListener("click", () => {
      ui.sort = th.dataset.sort;
      ui.rows.clear();
      showProcesses();
      connect();
    });
  }
  drawRows();
}

function drawRows() {
  const body = $("#process-table tbody");
  if (!body) return;
  body.innerHTML = ui.order
    .map((id) => ui.rows.get(id))
    .filter(Boolean)
    .map(
      (p) => `<tr data-id="${esc(p.id)}">
        <td>${idLink(p.id)}</td><td>${esc(p.name)}</td><td>${esc(p.label)}${p.supervisor ? '<span class="tag sup">supervisor</span>' : ""}</td>
        <td>${esc(statusText(p.status))}</td><td class="num">${p.mailbox}</td><td class="num">${fmtNum(p.received)}</td>
        <td class="num">${fmtNum(p.sent)}</td><td class="num">${p.restarts}</td><td class="num">${fmtSecs(p.uptime)}</td></tr>`
    )
    .join("");
  const count = $("#table-count");
  count.classList.remove("bad");
  count.textContent = `${ui.order.length} shown of ${ui.total} processes` + (ui.node ? ` on node ${ui.node}` : "");
}

function showTree() {
  main.innerHTML = `<p class="muted">Each process under the process that spawned it: supervisors over their children, labelled with their child ids. Updated as processes start, end and restart.</p><div class="tree" id="tree">loading…</div>`;
  loadTree();
}

function scheduleTree() {
  if (ui.treeTimer) return;
  ui.treeTimer = setTimeout(() => {
    ui.treeTimer = null;
    if (ui.view === "tree") loadTree();
  }, 300);
}

async function loadTree() {
  let forest;
  try {
    forest = await getJson("api/tree");
  } catch (e) {
    toast(e.message, true);
    return;
  }
  const el = $("#tree");
  if (!el) return;
  // Keep what the user folded or unfolded.
  const closed = new Set([...el.querySelectorAll("details:not([open])")].map((d) => d.dataset.id));
  const node = (n) => {
    const tags =
      (n.supervisor ? '<span class="tag sup">supervisor</span>' : "") +
      (n.restarts ? `<span class="tag restarts">restarts ${n.restarts}</span>` : "") +
      `<span class="tag">${esc(statusText(n.status))}</span>`;
    const head = `${idLink(n.id)} <strong>${esc(n.label || n.name || "")}</strong>${tags}`;
    if (!n.children.length) return `<li data-id="${esc(n.id)}">${head}</li>`;
    const more = n.more ? `<li class="muted">… and ${n.more} more</li>` : "";
    const open = closed.has(n.id) ? "" : " open";
    return `<li data-id="${esc(n.id)}"><details data-id="${esc(n.id)}"${open}><summary>${head} <span class="muted">(${n.children.length + n.more})</span></summary><ul>${n.children.map(node).join("")}${more}</ul></details></li>`;
  };
  el.innerHTML = `<ul>${forest.map(node).join("")}</ul>`;
}

function showProcess() {
  main.innerHTML = `<div id="detail">loading…</div>`;
  loadDetail();
}

function scheduleDetail() {
  if (ui.detailTimer) return;
  ui.detailTimer = setTimeout(() => {
    ui.detailTimer = null;
    if (ui.view === "process") loadDetail();
  }, 300);
}

async function loadDetail() {
  const id = ui.arg;
  let p;
  try {
    p = await getJson(`api/processes/${encodeURIComponent(id)}`);
  } catch (e) {
    const el = $("#detail");
    if (el) {
      el.dataset.id = "";
      el.innerHTML = `<h2>${esc(id)}</h2><p class="muted">${esc(e.message)}</p>`;
    }
    return;
  }
  const el = $("#detail");
  if (!el) return;
  const list = (ids) => (ids.length ? ids.map(idLink).join(", ") : '<span class="muted">none</span>');
  const exits = p.remote
    ? '<p class="muted">not kept for another node\'s processes</p>'
    : p.recent_child_exits.length
    ? `<ul class="log">${p.recent_child_exits.map((e) => `<li class="exited">${esc(e.text)}</li>`).join("")}</ul>`
    : '<p class="muted">none seen since the observer started</p>';
  const body = `
    <dl class="fields">
      <dt>status</dt><dd id="detail-status">${esc(statusText(p.status))}</dd>
      <dt>registered name</dt><dd>${esc(p.name) || '<span class="muted">none</span>'}</dd>
      <dt>label</dt><dd>${esc(p.label) || '<span class="muted">none</span>'}</dd>
      <dt>child id</dt><dd>${esc(p.child_id) || '<span class="muted">not a supervisor\'s child</span>'}</dd>
      <dt>parent</dt><dd>${p.parent ? idLink(p.parent) : '<span class="muted">none</span>'}</dd>
      <dt>mailbox</dt><dd>${p.mailbox}</dd>
      <dt>received / sent</dt><dd>${p.received} / ${p.sent}</dd>
      <dt>restarts</dt><dd id="detail-restarts">${p.restarts}</dd>
      <dt>uptime</dt><dd>${fmtSecs(p.uptime)}</dd>
      <dt>traps exits</dt><dd>${p.trap_exit ? "yes" : "no"}</dd>
      <dt>links</dt><dd>${list(p.links)}</dd>
      <dt>monitors</dt><dd>${list(p.monitors)}</dd>
      <dt>monitored by</dt><dd>${list(p.monitored_by_processes)} <span class="muted">(${p.monitored_by} monitors)</span></dd>
      <dt>children</dt><dd>${list(p.children)}</dd>
      <dt>message type</dt><dd><code>${esc(p.message_type)}</code></dd>
    </dl>
    <h3>Recent exits of its children</h3>${exits}`;
  // The heading and the buttons stay put while the fields refresh.
  if (el.dataset.id === p.id) {
    $("#detail-body").innerHTML = body;
    return;
  }
  el.dataset.id = p.id;
  el.innerHTML = `
    <h2>${esc(p.id)} ${esc(p.label || "")} ${p.supervisor ? '<span class="tag sup">supervisor</span>' : ""}</h2>
    <div class="actions">
      <button id="kill" class="danger">Kill</button>
      ${p.child_id ? '<button id="restart">Restart (by its supervisor)</button>' : ""}
    </div>
    <div id="detail-body">${body}</div>`;
  $("#kill").addEventListener("click", () => act(p.id, "kill").then(() => loadDetail()));
  const restart = $("#restart");
  if (restart)
    restart.addEventListener("click", async () => {
      const r = await act(p.id, "restart");
      if (r) location.hash = `#/process/${encodeURIComponent(r.new)}`;
    });
}

function logLine(e) {
  const at = e.at != null ? `${e.at.toFixed(3)}s ` : "";
  return `<li class="${esc(e.kind)}">${esc(at)}${esc(e.text)}</li>`;
}

async function showLog() {
  main.innerHTML = `<p class="muted">Spawns, exits, restarts and supervisors giving up, newest first.</p><ul class="log" id="log"></ul>`;
  try {
    ui.log = await getJson("api/log");
  } catch (e) {
    toast(e.message, true);
  }
  $("#log").innerHTML = ui.log.slice().reverse().map(logLine).join("");
}

function prependLog(e) {
  const el = $("#log");
  if (!el) return;
  el.insertAdjacentHTML("afterbegin", logLine(e));
  while (el.children.length > 1000) el.lastChild.remove();
}

// Pages of the program's own (the robot world), linked in the navigation.
getJson("api/info")
  .then((info) => {
    for (const p of info.pages) {
      const a = document.createElement("a");
      a.href = p.path;
      a.textContent = p.title;
      $("#nav").appendChild(a);
    }
  })
  .catch(() => {});

window.addEventListener("hashchange", route);
route();
