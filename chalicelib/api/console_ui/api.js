// The console's shared helpers: calls to the admin API (relative to the page, so any stage prefix
// works), the live region, and element building that only ever writes text (textContent), never
// markup: every value shown comes from the API and is data, not HTML.
"use strict";
window.IGNY8 = (function () {
  const BASE = new URL(location.pathname.endsWith("/") ? "../" : "./", location.href);
  const meta = document.querySelector('meta[name="csrf-token"]');
  // The session's CSRF token: the page was given it, the HttpOnly cookie it derives from is not readable.
  const CSRF = meta ? meta.getAttribute("content") || "" : "";
  const $ = (id) => document.getElementById(id);

  class ApiError extends Error {
    constructor(message, status, code) { super(message); this.status = status; this.code = code; }
  }

  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["X-CSRF-Token"] = CSRF;
      headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(new URL(path, BASE), {
        method: method, credentials: "same-origin", headers: headers,
        body: method === "GET" ? undefined : JSON.stringify(body || {}),
      });
    } catch (err) {
      throw new ApiError("the API could not be reached (" + String(err && err.message || err) + ")", 0, "network");
    }
    let answer = null;
    try { answer = await response.json(); } catch (e) { answer = null; }
    if (response.status === 401) throw new ApiError("your session has ended: reload the page to sign in again", 401, "unauthorized");
    if (!response.ok) {
      const error = answer && answer.error || {};
      const detail = typeof error.message === "string" ? error.message : "";
      throw new ApiError(detail || method + " " + path + " answered " + response.status, response.status, error.code || "");
    }
    if (answer === null) throw new ApiError(method + " " + path + " did not answer JSON", response.status, "not_json");
    return answer;
  }

  // An element: attrs are set as attributes (data-*, aria-*, id, class...), children are nodes or text.
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Silence the live region: a new view starts without the last view's outcome, and a new outcome
  // replaces the old one (emptied first, so the same text twice is still announced).
  function quiet() {
    const live = $("live");
    live.removeAttribute("data-kind");
    live.textContent = "";
  }
  // The one live region: every action's outcome or the API's refusal, read out by screen readers;
  // kind: "ok", "error", or "busy" while an action is in flight.
  function say(text, kind) {
    quiet();
    const live = $("live");
    live.textContent = String(text);
    live.dataset.kind = kind === "error" || kind === "busy" ? kind : "ok";
  }
  const refused = (err) => say("Refused: " + String(err && err.message || err), "error");

  const list = (v) => (Array.isArray(v) ? v : []);

  // Replace a table's rows (one ``<tr>`` per item from ``makeRow``); its "none" note when empty.
  function fill(id, items, makeRow) {
    const table = $(id);
    table.tBodies[0].replaceChildren(...items.map(makeRow));
    table.classList.toggle("hidden", items.length === 0);
    const none = $(id + "-none");
    if (none) none.classList.toggle("hidden", items.length !== 0);
  }
  const cell = (...children) => h("td", {}, ...children);
  const show = (v) => (v === null || v === undefined || v === "" ? "–" : String(v));
  const path = (...parts) => parts.map((p) => encodeURIComponent(String(p))).join("/");
  const role = () => document.body.dataset.role || "viewer";
  // A rollout percentage as a person types it: 0.01 to 100, at most two decimals (the API's
  // hundredths); null otherwise. Sent as the number typed, shown as the API returns it.
  function percent(text) {
    const typed = String(text).trim();
    if (!/^\d{1,3}(\.\d{1,2})?$/.test(typed)) return null;
    const value = Number(typed);
    return value > 0 && value <= 100 ? value : null;
  }
  const RANK = { viewer: 0, releaser: 1, admin: 2 };
  const may = (needed) => (RANK[role()] || 0) >= RANK[needed];

  return {
    BASE: BASE, ApiError: ApiError, $: $, h: h, say: say, quiet: quiet, refused: refused, list: list, path: path, may: may,
    fill: fill, cell: cell, show: show, percent: percent,
    get: (p) => call("GET", p),
    post: (p, body) => call("POST", p, body),
    patch: (p, body) => call("PATCH", p, body),
  };
})();
