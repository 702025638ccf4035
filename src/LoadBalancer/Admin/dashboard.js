// Polls /status and renders it; rates are differences between two polls. Text only (textContent), never HTML from data.
"use strict";
let previous = null;

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
}

function rate(now, before, seconds) {
  return before === undefined || seconds <= 0 ? "-" : ((now - before) / seconds).toFixed(1);
}

function duration(seconds) {
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600), m = Math.floor(seconds % 3600 / 60), s = Math.floor(seconds % 60);
  return (d ? d + "d " : "") + (h ? h + "h " : "") + m + "m " + s + "s";
}

function ago(at, now) {
  const ms = now - Date.parse(at);
  return ms < 1000 ? Math.max(0, Math.round(ms)) + " ms ago" : (ms / 1000).toFixed(1) + " s ago";
}

// A .NET TimeSpan as JSON ("00:00:00.7218750") in milliseconds.
function span(value) {
  const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(value || "");
  return m ? Math.round(((+m[1] * 60 + +m[2]) * 60 + +m[3]) * 10000) / 10 + " ms" : value;
}

function clock(at) {
  return new Date(at).toISOString().substring(11, 23);
}

// Both nodes: this one from its own state machine, each peer as last heard (its advertisements carry its state,
// effective and configured priority, and whether it holds the endpoint). History merges this node's transitions
// (with its reasons) and what it saw the peers do.
function renderElection(status) {
  const election = status.election;
  if (!election) return;
  const now = Date.parse(status.startedAt) + status.uptimeSeconds * 1000;
  const summary = document.getElementById("election");
  const leader = election.state === "Master" ? election.node : (election.peers.find(p => p.state === "Master" && p.priority > 0) || {}).node;
  summary.textContent = "leader: " + (leader || "none heard") + " · advertisement interval " + election.advertisementInterval
    + " · Master_Down_Interval " + election.masterDownInterval
    + " · dropped packets: " + (Object.entries(election.droppedPackets || {}).filter(e => e[1] > 0).map(e => e[0] + " " + e[1]).join(", ") || "none");

  const nodes = document.getElementById("nodes");
  nodes.replaceChildren();
  const rows = [{ node: election.node + " (this node)", state: election.state, holds: election.holdsEndpoint, effective: election.effectivePriority,
    configured: election.configuredPriority, health: election.healthy ? "healthy" : "unhealthy: " + election.healthReason, heard: "-" }];
  for (const peer of election.peers) {
    rows.push({ node: peer.node, state: peer.priority === 0 ? "Leaving" : peer.state, holds: peer.holdsEndpoint, effective: peer.priority,
      configured: peer.configuredPriority, health: peer.priority < peer.configuredPriority ? "penalized" : "-", heard: ago(peer.heardAt, now) });
  }
  for (const r of rows) {
    const row = document.createElement("tr");
    row.className = r.state === "Master" ? "up" : r.state === "Backup" ? "unknown" : "down";
    cell(row, r.node, "name");
    cell(row, r.state === "Master" ? "leader (Master)" : r.state === "Backup" ? "follower (Backup)" : r.state, "state");
    cell(row, r.holds ? "yes" : "no");
    cell(row, r.effective);
    cell(row, r.configured);
    cell(row, r.health, "text");
    cell(row, r.heard);
    nodes.appendChild(row);
  }

  const history = document.getElementById("transitions");
  history.replaceChildren();
  const events = election.history.map(t => ({ at: t.at, node: election.node, from: t.from, to: t.to, reason: t.reason }))
    .concat((election.peerHistory || []).map(t => ({ at: t.at, node: t.node + " (as heard)", from: t.from, to: t.to, reason: t.reason })))
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
    .slice(0, 30);
  for (const e of events) {
    const row = document.createElement("tr");
    cell(row, clock(e.at), "text");
    cell(row, e.node, "name");
    cell(row, e.from + " → " + e.to, "text");
    cell(row, e.reason, "text");
    history.appendChild(row);
  }
}

function render(status) {
  const now = performance.now();
  const seconds = previous ? (now - previous.at) / 1000 : 0;
  const before = previous ? previous.status : null;
  document.getElementById("node").textContent = status.node;
  document.getElementById("uptime").textContent = duration(status.uptimeSeconds);
  document.getElementById("rate").textContent = rate(status.requests, before?.requests, seconds);
  document.getElementById("errorRate").textContent = rate(status.errors, before?.errors, seconds);
  document.getElementById("requests").textContent = status.requests;
  document.getElementById("errors").textContent = status.errors;
  document.getElementById("available").textContent = status.availableServers + " / " + status.servers.length;
  renderElection(status);

  const body = document.getElementById("servers");
  body.replaceChildren();
  for (const server of status.servers) {
    const old = before?.servers.find(s => s.name === server.name);
    const row = document.createElement("tr");
    row.className = server.state === "drain" ? "drain" : server.health === "healthy" ? "up" : server.health === "unhealthy" ? "down" : "unknown";
    cell(row, server.name, "name");
    cell(row, server.node ?? "-", "name");
    cell(row, server.address, "text");
    cell(row, server.state === "drain" ? "DRAIN" : server.available ? "UP" : "DOWN", "state");
    cell(row, server.health);
    cell(row, server.activeCheck);
    cell(row, server.passiveCheck);
    cell(row, server.inFlight);
    cell(row, rate(server.requests, old?.requests, seconds));
    cell(row, server.requests);
    cell(row, server.errors, server.errors > 0 ? "error" : "");
    cell(row, server.latencyMs ? server.latencyMs.p50 : "-");
    cell(row, server.latencyMs ? server.latencyMs.p90 : "-");
    cell(row, server.latencyMs ? server.latencyMs.p99 : "-");
    body.appendChild(row);
  }

  previous = { at: now, status };
}

async function poll() {
  try {
    const response = await fetch("/status", { cache: "no-store" });
    render(await response.json());
    document.getElementById("stale").style.display = "none";
  } catch {
    document.getElementById("stale").style.display = "inline";
  }
  setTimeout(poll, 1000);
}

poll();
