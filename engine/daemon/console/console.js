// The mysqlha console: the daemon's own API (/api/clusters, /api/alerts, /api/compliance),
// refreshed every 3 s. Every value from the servers is set as text (textContent, attributes),
// never as HTML. With an API token the page asks for it and keeps it in sessionStorage only.
const REFRESH_MS = 3000;
const TOKEN = "mysqlha-token";
const ACK_BY = "mysqlha-ack-by";
const $ = (id) => document.getElementById(id);
let lastGood = null;      // Date of the last refresh that succeeded
let failingSince = null;  // Date the daemon stopped answering

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const badge = (kind, text, title) => el("span", { class: `badge ${kind}`, title }, text);

class NeedsToken extends Error {}
class Superseded extends Error {}   // a 401 for a token since replaced: the answer is old news

async function api(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN);
  const headers = Object.assign({ "Content-Type": "application/json" }, options.headers || {});
  if (token) headers.Authorization = `Bearer ${token}`;
  const answer = await fetch(path, Object.assign({}, options, { headers, cache: "no-store" }));
  if (answer.status === 401) {
    if (sessionStorage.getItem(TOKEN) !== token) throw new Superseded("the token changed meanwhile");
    if (token) sessionStorage.removeItem(TOKEN);
    $("login").hidden = false;
    throw new NeedsToken(token ? "the API token was refused; enter it again" : "the API needs a token");
  }
  if (!answer.ok) {
    let message = `HTTP ${answer.status}`;
    try { message = (await answer.json()).error || message; } catch { /* not JSON */ }
    throw new Error(`${path}: ${message}`);
  }
  return answer.json();
}

function ago(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "-";
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, "0")}`;
  return `${Math.round(s / 86400)}d`;
}
const sinceEpoch = (epoch) => (epoch ? ago(Date.now() / 1000 - epoch) : "-");
const sinceIso = (iso) => (iso ? ago((Date.now() - Date.parse(iso)) / 1000) : "-");

const STATE_KIND = { ok: "ok", lag: "warn", connecting: "warn", stopped: "bad", hung: "bad", dead: "bad", stale: "stale", unreachable: "bad" };

function codeKind(code) {
  if (!code || code === "ok") return "ok";
  return /dead|hung|unreachable|multiple|non_primary|no_writable|all_replicas|errant/.test(code) ? "bad" : "warn";
}

function channelCell(member) {
  if (!member.channels.length) return el("span", { class: "muted" }, member.role === "primary" ? "source" : "-");
  return member.channels.map((c) => {
    const io = c.io_running === "yes" ? "ok" : c.io_running === "connecting" ? "warn" : "bad";
    const lag = c.seconds_behind_source;
    const name = c.name ? `${c.name} ` : "";
    return el("div", { class: "channel" },
      el("span", { class: "muted" }, `${name}← ${c.source} `),
      badge(io, `IO ${c.io_running ?? "?"}`), badge(c.sql_running ? "ok" : "bad", `SQL ${c.sql_running ? "yes" : "no"}`),
      badge(lag === null ? "warn" : lag > 10 ? "warn" : "ok", `lag ${lag === null ? "?" : `${lag}s`}`),
      c.last_error ? el("span", { class: "error" }, ` ${c.last_sql_errno || c.last_io_errno || ""} ${c.last_error}`) : null);
  });
}

function memberRow(member, depth) {
  const row = el("tr", { class: `member ${member.state}`, "data-address": member.address, "data-depth": depth, "data-state": member.state });
  const name = el("td", { class: "mono addr" }, depth ? "└ " : "", member.address);
  name.style.paddingLeft = `${6 + depth * 22}px`;   // CSSOM: the CSP allows it (a style attribute it would not)
  const state = el("td", {}, badge(STATE_KIND[member.state] || "bad", member.state));
  if (!member.reachable) {
    row.append(name, state, el("td", { class: "error", colspan: 8 }, member.error || member.reachability || ""));
    return row;
  }
  const ro = member.read_only ? badge("info", member.super_read_only ? "super_ro" : "read_only") : badge(member.role === "primary" ? "ok" : "bad", "writable");
  const semi = member.semi_sync
    ? [member.semi_sync.source_enabled ? badge(member.semi_sync.source_on ? "ok" : "bad", `src ${member.semi_sync.source_on ? "on" : "OFF"} (${member.semi_sync.source_clients ?? 0})`) : null,
      member.semi_sync.replica_enabled ? badge(member.semi_sync.replica_on ? "ok" : "warn", `rep ${member.semi_sync.replica_on ? "on" : "off"}`) : null]
    : el("span", { class: "muted" }, "-");
  const galera = member.galera
    ? badge(member.galera.state === "Synced" && member.galera.cluster_status === "Primary" ? "ok" : "bad",
      `${member.galera.state} ${member.galera.cluster_status} (${member.galera.size})`)
    : el("span", { class: "muted" }, "-");
  const gtid = el("td", { class: "mono gtid", title: member.gtid_executed || "" }, member.gtid_executed || "(empty)",
    member.errant_gtids ? el("div", { class: "error" }, `errant ${member.errant_gtids}`) : null);
  row.append(name, state, el("td", {}, el("span", { class: "role" }, member.role ?? "?")), el("td", {}, ro),
    el("td", { class: "mono" }, `${member.flavor ?? ""} ${member.version ?? ""}`), gtid, el("td", {}, channelCell(member), member.transactions_behind ? badge("warn", `${member.transactions_behind} trx behind`) : null),
    el("td", {}, semi), el("td", {}, galera), el("td", { class: "mono muted" }, sinceEpoch(member.polled_at)));
  return row;
}

function renderClusters(data) {
  const box = $("clusters");
  box.replaceChildren();
  $("no-clusters").hidden = data.clusters.length > 0;
  const bad = data.clusters.filter((c) => c.code !== "ok").length;
  $("clusters-summary").textContent = `${data.clusters.length} (${bad} not ok)`;
  for (const cluster of data.clusters) {
    const head = el("div", { class: "cluster-head" }, el("strong", { class: "name" }, cluster.name),
      el("span", { class: `code ${codeKind(cluster.code)}` }, cluster.code || "?"),
      cluster.codes.filter((c) => c !== cluster.code).map((c) => el("span", { class: `code small ${codeKind(c)}` }, c)),
      el("span", { class: "muted" }, `${cluster.kind || ""} · primary `, el("span", { class: "mono" }, cluster.primary || "none"),
        ` · ${cluster.members.length} members`));
    const card = el("div", { class: `cluster ${codeKind(cluster.code)}`, "data-cluster": cluster.name }, head);
    for (const [code, detail] of Object.entries(cluster.details)) card.append(el("div", { class: "details" }, el("b", {}, code), ` ${detail}`));
    const table = el("table", { class: "tree" }, el("thead", {}, el("tr", {},
      ["member", "state", "role", "ro", "version", "GTID executed", "replication (per channel)", "semi-sync", "galera", "polled"].map((h) => el("th", {}, h)))));
    const body = el("tbody");
    const byAddress = new Map(cluster.members.map((m) => [m.address, m]));
    const shown = new Set();
    const walk = (address, depth) => {
      if (shown.has(address) || !byAddress.has(address) || depth > 16) return;
      shown.add(address);
      body.append(memberRow(byAddress.get(address), depth));
      for (const child of cluster.tree[address] || []) walk(child, depth + 1);
    };
    for (const root of [cluster.primary, ...cluster.roots]) if (root) walk(root, 0);
    for (const member of cluster.members) if (!shown.has(member.address)) body.append(memberRow(member, 0));
    table.append(body);
    card.append(table);
    box.append(card);
  }
}

async function ack(id, button) {
  button.disabled = true;
  try {
    const by = ($("ack-by").value || "").trim() || "console";
    await api(`/api/alerts/${encodeURIComponent(id)}/ack`, { method: "POST", body: JSON.stringify({ by }) });
  } catch (error) {
    showBanner(`Ack failed: ${error.message}`);
  }
  refresh();
}

function renderAlerts(alerts) {
  const body = $("alerts").tBodies[0];
  body.replaceChildren();
  $("no-alerts").hidden = alerts.length > 0;
  const counts = {};
  for (const a of alerts) counts[a.severity] = (counts[a.severity] || 0) + 1;
  $("alerts-summary").textContent = alerts.length
    ? `${alerts.length} (${Object.keys(counts).sort().map((s) => `${counts[s]} ${s}`).join(", ")})` : "";
  const order = { firing: 0, pending: 1, acked: 2 };
  const sorted = [...alerts].sort((a, b) => String(a.severity).localeCompare(String(b.severity)) || (order[a.state] ?? 9) - (order[b.state] ?? 9));
  for (const alert of sorted) {
    let action;
    if (alert.state === "firing") {
      action = el("button", { type: "button", "data-ack": alert.id }, "Ack");
      action.addEventListener("click", () => ack(alert.id, action));
    } else {
      const who = alert.acked_by ? `acked by ${alert.acked_by}` : "";
      action = el("span", { class: "muted", title: alert.acked_at ? `${who} at ${alert.acked_at}` : who }, who);
    }
    const since = alert.started_at || alert.pending_since;
    body.append(el("tr", { class: `${alert.severity} ${alert.state}`, "data-rule": alert.rule, "data-id": alert.id },
      el("td", {}, badge(`sev ${alert.severity}`, alert.severity)), el("td", { class: "state" }, alert.state),
      el("td", { class: "mono" }, alert.rule), el("td", {}, alert.cluster),
      el("td", { class: "mono" }, alert.instance, alert.channel ? ` (${alert.channel})` : ""),
      el("td", { class: "mono nowrap", title: since || "" }, sinceIso(since)), el("td", { class: "summary" }, alert.summary), el("td", { class: "action" }, action)));
  }
}

function renderCompliance(members) {
  const body = $("compliance").tBodies[0];
  body.replaceChildren();
  $("no-compliance").hidden = members.length > 0;
  const failing = members.reduce((n, m) => n + (m.counts.fail || 0), 0);
  $("compliance-summary").textContent = members.length ? `${members.length} members, ${failing} failing controls` : "";
  for (const member of members) {
    const bySeverity = ["critical", "high", "medium", "low"].filter((s) => member.by_severity[s]?.fail)
      .map((s) => badge(`sev-${s}`, `${member.by_severity[s].fail} ${s}`));
    const controls = member.failing.map((f) => el("span", { class: `control sev-${f.severity}`, title: `${f.title || ""}: ${f.evidence || ""}` }, f.control));
    body.append(el("tr", { "data-address": member.address }, el("td", { class: "mono" }, member.address), el("td", {}, member.counts.pass || 0),
      el("td", { class: member.counts.fail ? "failcount" : "" }, member.counts.fail || 0), el("td", {}, member.counts.unknown || 0),
      el("td", { class: "nowrap" }, bySeverity.length ? bySeverity : "none"), el("td", {}, controls.length ? controls : "none"),
      el("td", { class: "mono muted" }, sinceEpoch(member.collected_at))));
  }
}

function showBanner(text) {
  $("banner").textContent = text;
  $("banner").hidden = !text;
}

async function refresh() {
  try {
    const [clusters, alerts, compliance] = await Promise.all([api("/api/clusters"), api("/api/alerts"), api("/api/compliance")]);
    renderClusters(clusters);
    renderAlerts(alerts.alerts);
    renderCompliance(compliance.members);
    lastGood = new Date();
    failingSince = null;
    showBanner("");
    $("login").hidden = true;
    $("main").classList.remove("stale");
    $("status").textContent = `updated ${lastGood.toLocaleTimeString()} · cycle ${clusters.cycles} (${sinceEpoch(clusters.cycle_at)} ago)`;
  } catch (error) {
    if (error instanceof Superseded) return;
    failingSince = failingSince || new Date();
    $("main").classList.add("stale");
    if (error instanceof NeedsToken) showBanner(`Not authorised: ${error.message}.`);
    else showBanner(`The daemon is unreachable since ${failingSince.toLocaleTimeString()} (${error.message}); `
      + `showing data from ${lastGood ? lastGood.toLocaleTimeString() : "nothing yet"}.`);
  }
}

async function loop() {
  await refresh();
  setTimeout(loop, REFRESH_MS);
}

$("ack-by").value = localStorage.getItem(ACK_BY) || "console";
$("ack-by").addEventListener("change", () => localStorage.setItem(ACK_BY, $("ack-by").value.trim()));
$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN, $("token").value);
  $("token").value = "";
  $("login").hidden = true;
  refresh();
});
loop();
