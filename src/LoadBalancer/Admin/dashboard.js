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

function renderElection(election) {
  const box = document.getElementById("election");
  if (!election) return;
  const peers = (election.peers || []).map(p => p.node + " " + p.state + " (priority " + p.priority + ")").join(", ") || "none heard";
  box.textContent = "this node: " + election.state + ", priority " + election.effectivePriority + "/" + election.configuredPriority
    + (election.healthy ? ", healthy" : ", unhealthy: " + election.healthReason) + "; peers: " + peers;
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
  renderElection(status.election);

  const body = document.getElementById("servers");
  body.replaceChildren();
  for (const server of status.servers) {
    const old = before?.servers.find(s => s.name === server.name);
    const row = document.createElement("tr");
    row.className = server.state === "drain" ? "drain" : server.health === "healthy" ? "up" : server.health === "unhealthy" ? "down" : "unknown";
    cell(row, server.name, "name");
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
