// The stack dashboard: polls /stack.json (only new points after the first load), keeps the window in memory and
// draws SVG. Data is only ever written with textContent and SVG attributes, never parsed as HTML.
"use strict";
const SVG = "http://www.w3.org/2000/svg";
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];
const TIERS = [["lb", "load balancers"], ["web", "web tier"], ["app", "app tier"]];
const LANE_COLORS = { holds: "#2a9d2a", master: "#8bc48b", backup: "#cfd8dc", down: "#c62828" };
const DATABASE_COLORS = { primary: "#1565c0", standby: "#90caf9", "not replicating": "#c62828", unknown: "#bdbdbd" };
const points = {};   // node name -> [SeriesPoint]
const colors = {};   // node name -> colour, stable for the page's life
let since = 0;
let view = null;

function el(name, attributes, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function html(tag, text, parent, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (className) e.className = className;
  if (parent) parent.appendChild(e);
  return e;
}

function colorOf(name) {
  if (!colors[name]) colors[name] = PALETTE[Object.keys(colors).length % PALETTE.length];
  return colors[name];
}

function nice(v) {
  if (v === null || v === undefined) return "-";
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

// One line chart: series = [{name, values: [[t, v]], dashed}], x = the window ending now.
function chart(parent, title, series, unit, now, windowMs) {
  const box = html("div", null, parent, "chart");
  box.dataset.title = title;
  html("div", title + (unit ? " (" + unit + ")" : ""), box, "title");
  const w = 360, h = 130, left = 40, bottom = 16;
  const svg = el("svg", { width: w, height: h }, box);
  const values = series.flatMap(s => s.values.map(p => p[1])).filter(v => v !== null);
  const max = Math.max(1, ...values) * 1.15;
  const x = t => left + (w - left - 4) * (1 - (now - t) / windowMs);
  const y = v => (h - bottom) - (h - bottom - 4) * (v / max);
  for (let i = 0; i <= 2; i++) {
    const v = max * i / 2;
    el("line", { x1: left, x2: w - 4, y1: y(v), y2: y(v), stroke: "#eee" }, svg);
    el("text", { x: 2, y: y(v) + 3 }, svg).textContent = nice(v);
  }
  for (const minutesAgo of [0, 1, 2, 3, 4, 5]) {
    const t = now - minutesAgo * 60000;
    if (now - t > windowMs) continue;
    el("text", { x: x(t) - 10, y: h - 3 }, svg).textContent = minutesAgo ? "-" + minutesAgo + "m" : "now";
  }
  for (const s of series) {
    // A null value breaks the line: the node did not answer, or measured nothing in that interval.
    let d = "", pen = "M";
    for (const [t, v] of s.values) {
      if (v === null || t < now - windowMs) { pen = "M"; continue; }
      d += pen + x(t).toFixed(1) + " " + y(v).toFixed(1) + " ";
      pen = "L";
    }
    if (d) el("path", { d, fill: "none", stroke: s.color, "stroke-width": s.bold ? 2.5 : 1.5, "stroke-dasharray": s.dashed ? "4 3" : "none", "data-series": s.name }, svg);
  }
  const legend = html("div", null, box, "legend");
  for (const s of series.filter(s => !s.dashed)) {
    const last = s.values.filter(p => p[1] !== null).slice(-1)[0];
    const item = html("span", null, legend);
    const swatch = html("i", null, item);
    swatch.style.background = s.color;
    item.appendChild(document.createTextNode(s.name + " " + (last ? nice(last[1]) : "-")));
  }
}

function series(names, pick, options) {
  return names.map(n => Object.assign({ name: n, color: colorOf(n), values: (points[n] || []).map(p => [p.t, pick(p)]) }, options || {}));
}

// Sum over nodes at each poll (the polls of one round share a time to within milliseconds).
function total(names, pick) {
  const byTime = new Map();
  for (const n of names) for (const p of points[n] || []) {
    const key = Math.round(p.t / 250);
    const v = pick(p);
    if (v === null || v === undefined) continue;
    const entry = byTime.get(key) || [p.t, 0];
    entry[1] += v;
    byTime.set(key, entry);
  }
  return [...byTime.values()].sort((a, b) => a[0] - b[0]);
}

function renderHealth() {
  const root = document.getElementById("health");
  root.replaceChildren();
  for (const [role, label] of TIERS.concat([["postgres", "database"]])) {
    const row = html("div", null, root, "tier");
    html("div", label, row, "tier-name");
    const nodes = role === "postgres"
      ? [Object.assign({ name: "PostgreSQL", role: "postgres" }, view.database)].concat(view.database.servers.length > 1 ? view.database.servers.map(databaseCard) : [])
      : view.nodes.filter(n => n.role === role);
    for (const n of nodes) {
      const card = html("div", null, row, "card");
      card.dataset.node = n.name;
      card.dataset.state = n.state;
      if (n.replication) card.dataset.replication = n.replication;
      html("b", n.name + " · " + n.state, card);
      html("div", n.summary, card);
      const list = html("ul", null, card);
      for (const d of n.details || []) html("li", d, list);
    }
  }
}

function bytes(v) {
  return v < 1024 ? v + " B" : v < 1048576 ? (v / 1024).toFixed(1) + " KiB" : (v / 1048576).toFixed(1) + " MiB";
}

// A database server as a health card: primary, standby with its lag, or not replicating.
function databaseCard(s) {
  const lag = s.role !== "standby" ? ""
    : ", lag " + (s.lagBytes === null ? "unknown" : bytes(s.lagBytes)) + (s.lagSeconds === null ? "" : " / " + nice(s.lagSeconds) + " s");
  const state = s.role === "primary" || s.role === "standby" ? "up" : s.role === "not replicating" ? "down" : "unknown";
  return { name: s.name, state, replication: s.role, summary: s.role + lag, details: [] };
}

// One lane per entry of `lanes` from `top` down, a rectangle per segment coloured by its state. Returns the
// [from, to] of the segments `covers` accepts (holding the endpoint, being the primary).
function drawLanes(svg, lanes, top, x, laneHeight, colors, covers) {
  const covered = [];
  lanes.forEach((lane, i) => {
    const y = top + i * (laneHeight + 6);
    el("text", { x: 2, y: y + 15 }, svg).textContent = lane.node;
    for (const s of lane.segments) {
      const from = Date.parse(s.from), to = Date.parse(s.to);
      if (covers(s.state)) covered.push([from, to]);
      const rect = el("rect", { x: x(from), y, width: Math.max(1, x(to) - x(from)), height: laneHeight, fill: colors[s.state] || "#999",
        "data-node": lane.node, "data-state": s.state, "data-from": s.from, "data-to": s.to }, svg);
      el("title", {}, rect).textContent = lane.node + ": " + s.state + " " + s.from.substring(11, 23) + " → " + s.to.substring(11, 23);
    }
  });
  return covered;
}

// A summary lane at y: the covered intervals pale, the gaps between them orange (data-ms, class gapClass). Returns the gaps.
function drawCoverage(svg, name, intervals, y, x, laneHeight, color, gapClass, describe) {
  el("text", { x: 2, y: y + 15 }, svg).textContent = name;
  intervals.sort((a, b) => a[0] - b[0]);
  const gaps = [];
  let covered = null;
  for (const [from, to] of intervals) {
    if (covered !== null && from > covered) gaps.push([covered, from]);
    covered = covered === null ? to : Math.max(covered, to);
    el("rect", { x: x(from), y, width: Math.max(1, x(to) - x(from)), height: laneHeight, fill: color, opacity: 0.5 }, svg);
  }
  for (const [from, to] of gaps) {
    const rect = el("rect", { x: x(from), y, width: Math.max(3, x(to) - x(from)), height: laneHeight, fill: "#ff7043", class: gapClass, "data-ms": to - from }, svg);
    el("title", {}, rect).textContent = describe(to - from);
  }
  return gaps;
}

// Lanes for the database servers below the election's, and a "primary" lane whose orange marks are the time no
// server answered as primary (the write gap of a failover, as the app tier saw it). Returns the lanes drawn.
function renderDatabaseLanes(svg, top, x, laneHeight) {
  const lanes = view.databaseTimeline;
  const text = document.getElementById("database-gaps");
  text.replaceChildren();
  if (lanes.length === 0) return 0;
  const primaries = drawLanes(svg, lanes, top, x, laneHeight, DATABASE_COLORS, state => state === "primary");
  const gaps = drawCoverage(svg, "primary", primaries, top + lanes.length * (laneHeight + 6), x, laneHeight, DATABASE_COLORS.primary, "database-gap",
    ms => "no server answered as primary for " + ms + " ms");
  for (const [from, to] of gaps) {
    html("div", "no database primary at " + new Date(from).toISOString().substring(11, 23) + " for about " + ((to - from) / 1000).toFixed(0) + " s (as the app tier saw it, polled every 2 s)", text, "gap-text");
  }
  return lanes.length + 1;
}

// One lane per load balancer plus the endpoint itself: red where no load balancer held it.
function renderTimeline() {
  const svg = document.getElementById("timeline");
  svg.replaceChildren();
  const now = Date.parse(view.at), windowMs = view.windowSeconds * 1000;
  const w = +svg.getAttribute("width"), left = 70, laneHeight = 22;
  const x = t => left + (w - left - 4) * Math.max(0, 1 - (now - t) / windowMs);
  const lanes = view.timeline;
  const databaseLanes = view.databaseTimeline.length ? view.databaseTimeline.length + 1 : 0;
  svg.setAttribute("height", (lanes.length + 1 + databaseLanes) * (laneHeight + 6) + 18);
  const holding = drawLanes(svg, lanes, 0, x, laneHeight, LANE_COLORS, state => state === "holds" || state === "master");
  // The endpoint lane: gaps between one holder's end and the next leader's start (its Backup -> Master transition, to
  // the election's own clock; the endpoint opens milliseconds later, shown light green when a poll caught it opening).
  const y = lanes.length * (laneHeight + 6);
  const gaps = drawCoverage(svg, "endpoint", holding, y, x, laneHeight, LANE_COLORS.holds, "gap", ms => "no leader held the endpoint for " + ms + " ms");
  const text = document.getElementById("gaps");
  text.replaceChildren();
  for (const [from, to] of gaps) {
    html("div", "failover gap at " + new Date(from).toISOString().substring(11, 23) + ": " + (to - from) + " ms from the last advertisement of the old leader to the new leader", text, "gap-text");
  }
  const bottom = y + renderDatabaseLanes(svg, y + laneHeight + 6, x, laneHeight) * (laneHeight + 6);
  for (const m of [0, 1, 2, 3, 4, 5]) {
    if (m * 60000 > windowMs) continue;
    el("text", { x: x(now - m * 60000) - 10, y: bottom + laneHeight + 14 }, svg).textContent = m ? "-" + m + "m" : "now";
  }

  const body = document.getElementById("transitions");
  body.replaceChildren();
  for (const t of view.transitions.slice().reverse().slice(0, 12)) {
    const row = html("tr", null, body);
    html("td", t.at.substring(11, 23), row);
    html("td", t.node, row);
    html("td", t.from + " → " + t.to, row);
    html("td", t.reason, row);
  }
}

function renderTraffic() {
  const now = Date.parse(view.at), windowMs = view.windowSeconds * 1000;
  const root = document.getElementById("traffic");
  root.replaceChildren();
  for (const [role, label] of TIERS) {
    const names = view.nodes.filter(n => n.role === role).map(n => n.name);
    if (names.length === 0) continue;
    html("h3", label, root);
    const row = html("div", null, root, "charts");
    row.dataset.tier = role;
    const rps = series(names, p => p.rps);
    if (names.length > 1) rps.push({ name: "all", color: "#000", bold: true, values: total(names, p => p.rps) });
    chart(row, label + ": requests/s", rps, "", now, windowMs);
    const errors = series(names, p => p.rps ? 100 * (p.eps || 0) / p.rps : (p.eps ? 100 : null));
    chart(row, label + ": errors", errors, "% of requests", now, windowMs);
    chart(row, label + ": latency p99 (solid), p50 (dashed)", series(names, p => p.p99).concat(series(names, p => p.p50, { dashed: true })), "ms", now, windowMs);
  }
}

function renderResources() {
  const now = Date.parse(view.at), windowMs = view.windowSeconds * 1000;
  const root = document.getElementById("resources");
  root.replaceChildren();
  const names = view.nodes.filter(n => (points[n.name] || []).some(p => p.memoryMib !== null)).map(n => n.name);
  chart(root, "CPU", series(names, p => p.cpu === null ? null : p.cpu * 100), "% of one core", now, windowMs);
  chart(root, "working set", series(names, p => p.memoryMib), "MiB", now, windowMs);
  chart(root, "GC pauses", series(names, p => p.gcMsPerSecond), "ms per s", now, windowMs);
  chart(root, "thread-pool queue", series(names, p => p.threadPoolQueue), "work items", now, windowMs);
}

function render() {
  document.getElementById("node").textContent = view.node;
  document.getElementById("interval").textContent = view.intervalSeconds;
  document.getElementById("window").textContent = view.windowSeconds / 60;
  renderHealth();
  renderTimeline();
  renderTraffic();
  renderResources();
}

async function poll() {
  try {
    const response = await fetch("/stack.json?since=" + since, { cache: "no-store" });
    view = await response.json();
    const oldest = Date.parse(view.at) - view.windowSeconds * 1000;
    for (const n of view.nodes) {
      const list = (points[n.name] || []).concat(n.points).filter(p => p.t >= oldest);
      points[n.name] = list;
      for (const p of n.points) since = Math.max(since, p.t);
    }
    render();
    document.getElementById("stale").style.display = "none";
  } catch {
    document.getElementById("stale").style.display = "inline";
  }
  setTimeout(poll, 1000);
}

poll();
