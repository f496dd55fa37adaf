// The mysqlha console: the daemon's own API (/api/clusters, /api/alerts, /api/compliance),
// refreshed every 2 s. Every value from the servers is set as text (textContent), never as
// HTML. With an API token the page asks for it once and keeps it in sessionStorage.
const REFRESH_MS = 2000;
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, options = {}) {
  const token = sessionStorage.getItem("mysqlha-token");
  const headers = Object.assign({ "Content-Type": "application/json" }, options.headers || {});
  if (token) headers.Authorization = `Bearer ${token}`;
  const answer = await fetch(path, Object.assign({}, options, { headers }));
  if (answer.status === 401) {
    $("login").hidden = false;
    throw new Error("the API wants a token");
  }
  if (!answer.ok) throw new Error(`${path}: HTTP ${answer.status}`);
  return answer.json();
}

function severityOf(code) {
  if (!code || code === "ok") return "ok";
  return /dead|hung|unreachable|multiple|non_primary|no_writable/.test(code) ? "bad" : "warn";
}

function channelBadges(channel) {
  const io = channel.io_running === "yes" ? "ok" : channel.io_running === "connecting" ? "warn" : "bad";
  const lag = channel.seconds_behind_source;
  return [
    el("span", { class: `badge ${io}` }, `IO ${channel.io_running}`),
    el("span", { class: `badge ${channel.sql_running ? "ok" : "bad"}` }, `SQL ${channel.sql_running ? "yes" : "no"}`),
    el("span", { class: `badge ${lag === null ? "warn" : lag > 30 ? "warn" : "ok"}` }, `lag ${lag === null ? "?" : lag + "s"}`),
    channel.last_error ? el("span", { class: "muted" }, ` error ${channel.last_sql_errno || channel.last_io_errno}: ${channel.last_error}`) : null,
  ];
}

function memberLine(member, depth) {
  const line = el("div", { class: "node", "data-address": member.address, "data-depth": depth });
  line.style.paddingLeft = `${depth * 28}px`;   // CSSOM, which the page's CSP allows (a style attribute it would not)
  line.append(el("span", { class: "addr" }, member.address), " ");
  if (!member.reachable) {
    line.append(el("span", { class: "badge bad" }, member.reachability || "unreachable"), el("span", { class: "muted" }, member.error || ""));
    return line;
  }
  line.append(el("span", { class: "badge info role" }, member.role),
    el("span", { class: `badge ${member.read_only ? "info" : "warn"}` }, member.read_only ? "read_only" : "writable"),
    el("span", { class: "muted" }, `${member.flavor} ${member.version} gtid ${member.gtid_executed || "-"} `));
  for (const channel of member.channels) line.append(...channelBadges(channel).filter((node) => node !== null));
  if (member.semi_sync) line.append(el("span", { class: "badge info" }, `semi-sync ${member.semi_sync.source ? "source" : "replica"} on`));
  if (member.galera) line.append(el("span", { class: "badge info" }, `galera ${member.galera.state} (${member.galera.size})`));
  return line;
}

function renderClusters(clusters) {
  const box = $("clusters");
  box.replaceChildren();
  for (const cluster of clusters) {
    const head = el("div", { class: "cluster-head" }, el("strong", {}, cluster.name),
      el("span", { class: `code ${severityOf(cluster.code)}` }, cluster.code || "?"),
      el("span", { class: "muted" }, `primary ${cluster.primary || "none"}`));
    const card = el("div", { class: "cluster", "data-cluster": cluster.name }, head);
    for (const [code, detail] of Object.entries(cluster.details)) card.append(el("div", { class: "details" }, `${code}: ${detail}`));
    const byAddress = new Map(cluster.members.map((m) => [m.address, m]));
    const shown = new Set();
    const walk = (address, depth) => {
      if (shown.has(address) || !byAddress.has(address) || depth > 16) return;
      shown.add(address);
      card.append(memberLine(byAddress.get(address), depth));
      for (const child of cluster.tree[address] || []) walk(child, depth + 1);
    };
    for (const root of [cluster.primary, ...cluster.roots]) if (root) walk(root, 0);
    for (const member of cluster.members) if (!shown.has(member.address)) card.append(memberLine(member, 0));
    box.append(card);
  }
}

async function ack(id, button) {
  button.disabled = true;
  try {
    await api(`/api/alerts/${encodeURIComponent(id)}/ack`, { method: "POST", body: JSON.stringify({ by: "console" }) });
  } catch (error) {
    showBanner(error.message);
  }
  refresh();
}

function renderAlerts(alerts) {
  const body = $("alerts").tBodies[0];
  body.replaceChildren();
  $("no-alerts").hidden = alerts.length > 0;
  for (const alert of alerts) {
    const action = alert.state === "firing" ? el("button", { type: "button", "data-ack": alert.id }, "Ack") : el("span", { class: "muted" }, alert.acked_by ? `by ${alert.acked_by}` : "");
    if (action.tagName === "BUTTON") action.addEventListener("click", () => ack(alert.id, action));
    body.append(el("tr", { class: `${alert.severity} ${alert.state}`, "data-rule": alert.rule },
      el("td", {}, alert.severity), el("td", { class: "state" }, alert.state), el("td", { class: "mono" }, alert.rule),
      el("td", {}, alert.cluster), el("td", { class: "mono" }, alert.instance + (alert.channel ? ` (${alert.channel})` : "")),
      el("td", { class: "mono" }, alert.started_at || alert.pending_since || ""), el("td", {}, alert.summary), el("td", {}, action)));
  }
}

function renderCompliance(members) {
  const body = $("compliance").tBodies[0];
  body.replaceChildren();
  $("no-compliance").hidden = members.length > 0;
  for (const member of members) {
    const failing = member.failing.map((f) => `${f.severity} ${f.control}`).join(", ");
    body.append(el("tr", {}, el("td", { class: "mono" }, member.address), el("td", {}, member.counts.pass || 0),
      el("td", {}, member.counts.fail || 0), el("td", {}, member.counts.unknown || 0), el("td", {}, failing || "none")));
  }
}

function showBanner(text) {
  const banner = $("banner");
  banner.textContent = text;
  banner.hidden = !text;
}

async function refresh() {
  try {
    const [clusters, alerts, compliance] = await Promise.all([api("/api/clusters"), api("/api/alerts"), api("/api/compliance")]);
    renderClusters(clusters.clusters);
    renderAlerts(alerts.alerts);
    renderCompliance(compliance.members);
    showBanner("");
    $("status").textContent = `refreshed ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    showBanner(`The daemon did not answer: ${error.message}`);
  }
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem("mysqlha-token", $("token").value);
  $("login").hidden = true;
  refresh();
});
refresh();
setInterval(refresh, REFRESH_MS);
