// The statistics of one plugin, drawn as SVG charts and tables (stats, adoption, the rollout
// guard's funnel and timeline): shared by the console's plugin page and the machine dashboard,
// which both carry the markup of stats.html. Text only, never markup from the API.
"use strict";
IGNY8.stats = (function () {
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const fmt = new Intl.NumberFormat("en-US");

  const num = (v) => (typeof v === "number" && isFinite(v) ? v : 0);
  const list = (v) => (Array.isArray(v) ? v : []);
  const pct = (share) => (Math.round(num(share) * 1000) / 10) + "%";

  function setStat(id, value, text) {
    const el = $(id);
    el.textContent = text;
    el.dataset.value = value === null || value === undefined ? "" : String(value);
  }

  function el(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function tip(node, text) { node.appendChild(el("title", {}, text)); return node; }

  function startChart(id, width, height) {
    const box = $(id);
    box.removeAttribute("data-rendered");
    box.removeAttribute("data-points");
    box.replaceChildren();
    const svg = el("svg", { viewBox: "0 0 " + width + " " + height, preserveAspectRatio: "xMidYMid meet" });
    box.appendChild(svg);
    return svg;
  }
  function finishChart(id, points) {
    const box = $(id);
    box.dataset.points = String(points);
    box.dataset.rendered = "true";
  }
  function empty(svg, width, height) {
    svg.appendChild(el("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty" }, "no data"));
  }

  function drawVersions(rows) {
    const data = list(rows).filter((r) => r && typeof r === "object");
    const W = 420, rowH = 34, H = Math.max(200, 20 + data.length * rowH);
    const svg = startChart("chart-versions", W, H);
    if (!data.length) { empty(svg, W, H); return finishChart("chart-versions", 0); }
    const labelW = 90, barMax = W - labelW - 90;
    data.forEach((r, i) => {
      const y = 10 + i * rowH, share = Math.max(0, Math.min(1, num(r.share)));
      svg.appendChild(el("text", { x: labelW - 8, y: y + 20, "text-anchor": "end", class: "label-strong" }, r.version));
      svg.appendChild(el("rect", { x: labelW, y: y + 4, width: barMax, height: 24, rx: 3, fill: "#eef2f7" }));
      const bar = el("rect", { x: labelW, y: y + 4, width: Math.max(share * barMax, share > 0 ? 2 : 0), height: 24, rx: 3,
        fill: i === 0 ? "#2563eb" : "#93b4f5", class: "bar" });
      svg.appendChild(tip(bar, String(r.version) + ": " + fmt.format(num(r.count)) + " sites (" + pct(share) + ")"));
      svg.appendChild(el("text", { x: labelW + barMax + 6, y: y + 20 }, pct(share) + " (" + fmt.format(num(r.count)) + ")"));
    });
    finishChart("chart-versions", data.length);
  }

  function drawDownloads(rows) {
    const data = list(rows).filter((r) => r && typeof r === "object");
    const W = 420, H = 200, left = 36, right = 8, top = 12, bottom = 28;
    const svg = startChart("chart-downloads", W, H);
    if (!data.length) { empty(svg, W, H); return finishChart("chart-downloads", 0); }
    const max = Math.max(1, ...data.map((r) => num(r.count)));
    const plotW = W - left - right, plotH = H - top - bottom, slot = plotW / data.length;
    svg.appendChild(el("line", { x1: left, y1: top + plotH, x2: W - right, y2: top + plotH, stroke: "#c5ccd6" }));
    svg.appendChild(el("text", { x: left - 6, y: top + 4, "text-anchor": "end" }, fmt.format(max)));
    svg.appendChild(el("text", { x: left - 6, y: top + plotH, "text-anchor": "end" }, "0"));
    data.forEach((r, i) => {
      const h = (num(r.count) / max) * plotH;
      const bar = el("rect", { x: left + i * slot + slot * 0.15, y: top + plotH - h, width: Math.max(1, slot * 0.7),
        height: h, fill: "#2563eb", class: "bar" });
      svg.appendChild(tip(bar, String(r.day) + ": " + fmt.format(num(r.count))));
    });
    const first = data[0], last = data[data.length - 1];
    svg.appendChild(el("text", { x: left, y: H - 8 }, first.day));
    if (data.length > 1) svg.appendChild(el("text", { x: W - right, y: H - 8, "text-anchor": "end" }, last.day));
    finishChart("chart-downloads", data.length);
  }

  function drawAdoption(adoption) {
    const a = adoption && typeof adoption === "object" ? adoption : {};
    const data = list(a.curve).filter((p) => p && typeof p === "object")
      .map((p) => ({ hours: num(p.hours), share: Math.max(0, Math.min(1, num(p.share))) }))
      .sort((p, q) => p.hours - q.hours);
    $("adoption-title").textContent = a.version ? "Adoption of " + a.version : "Adoption of the latest release";
    const W = 420, H = 200, left = 40, right = 12, top = 12, bottom = 28;
    const svg = startChart("chart-adoption", W, H);
    if (!data.length) { empty(svg, W, H); return finishChart("chart-adoption", 0); }
    const t80 = typeof a.time_to_80_hours === "number" && isFinite(a.time_to_80_hours) ? a.time_to_80_hours : null;
    const maxH = Math.max(1, data[data.length - 1].hours, t80 === null ? 0 : t80);
    const plotW = W - left - right, plotH = H - top - bottom;
    const x = (h) => left + (h / maxH) * plotW, y = (s) => top + (1 - s) * plotH;
    for (const s of [0, 0.5, 1]) {
      svg.appendChild(el("line", { x1: left, y1: y(s), x2: W - right, y2: y(s), stroke: "#eef2f7" }));
      svg.appendChild(el("text", { x: left - 6, y: y(s) + 4, "text-anchor": "end" }, Math.round(s * 100) + "%"));
    }
    svg.appendChild(el("line", { x1: left, y1: y(0.8), x2: W - right, y2: y(0.8), stroke: "#d97706", "stroke-dasharray": "4 3" }));
    svg.appendChild(el("text", { x: left + 4, y: y(0.8) - 4 }, "80% target"));
    const points = data.map((p) => x(p.hours).toFixed(1) + "," + y(p.share).toFixed(1)).join(" ");
    svg.appendChild(el("polyline", { points: points, fill: "none", stroke: "#2563eb", "stroke-width": 2 }));
    data.forEach((p) => {
      svg.appendChild(tip(el("circle", { cx: x(p.hours), cy: y(p.share), r: 3, fill: "#2563eb", class: "point" }),
        p.hours + " h: " + pct(p.share)));
    });
    if (t80 !== null) {
      svg.appendChild(el("line", { x1: x(t80), y1: top, x2: x(t80), y2: top + plotH, stroke: "#16a34a", "stroke-dasharray": "3 3" }));
      svg.appendChild(el("circle", { cx: x(t80), cy: y(0.8), r: 5, fill: "#16a34a", id: "adoption-t80" }));
      const anchor = x(t80) > W - 110 ? "end" : "start";
      svg.appendChild(el("text", { x: x(t80) + (anchor === "end" ? -8 : 8), y: y(0.8) + 16, "text-anchor": anchor,
        class: "label-strong" }, "80% after " + fmt.format(t80) + " h"));
    } else {
      svg.appendChild(el("text", { x: left + 6, y: top + 12, class: "label-strong" }, "80% not reached yet"));
    }
    svg.appendChild(el("text", { x: left, y: H - 8 }, "0 h"));
    svg.appendChild(el("text", { x: W - right, y: H - 8, "text-anchor": "end" }, fmt.format(maxH) + " h after release"));
    finishChart("chart-adoption", data.length);
  }

  function fillTable(id, rows, cells) {
    const body = $(id).tBodies[0];
    body.replaceChildren();
    for (const row of rows) {
      const tr = document.createElement("tr");
      for (const [text, cls] of cells(row)) {
        const td = document.createElement("td");
        td.textContent = text === null || text === undefined ? "" : String(text);
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    $(id).classList.toggle("hidden", rows.length === 0);
    $(id + "-none").classList.toggle("hidden", rows.length !== 0);
  }

  // A site as a person knows it: its name and address; the id only when the site is unknown.
  function siteName(s) {
    return typeof s.name === "string" && s.name ? s.name + " (" + String(s.url || "") + ")" : String(s.site_id);
  }

  function render(stats) {
    const downloads = stats.downloads || {}, inst = stats.installations || {}, updates = stats.updates || {};
    const health = stats.health || {}, forced = stats.forced || {};
    $("stats-meta").textContent = String(stats.slug) + " · last " + num(stats.days) + " days · generated " + String(stats.generated_at);
    setStat("stat-downloads", num(downloads.total), fmt.format(num(downloads.total)));
    $("stat-downloads-sub").textContent = "in the last " + num(stats.days) + " days";
    setStat("stat-installations", num(inst.active) + "/" + num(inst.total), fmt.format(num(inst.active)) + " / " + fmt.format(num(inst.total)));
    $("stat-installations-sub").textContent = "active = seen in the last " + num(inst.active_days) + " days";
    const rate = typeof updates.success_rate === "number" ? updates.success_rate : null;
    setStat("stat-success", rate, rate === null ? "n/a" : pct(rate));
    $("stat-success-sub").textContent = fmt.format(num(updates.succeeded)) + " of " + fmt.format(num(updates.offered)) + " offered updates";
    setStat("stat-failing", num(health.failing), fmt.format(num(health.failing)));
    $("card-failing").classList.toggle("bad", num(health.failing) > 0);
    setStat("stat-below-forced", num(forced.sites_below), fmt.format(num(forced.sites_below)));
    $("card-forced").classList.toggle("bad", num(forced.sites_below) > 0);
    $("stat-below-forced-sub").textContent = forced.version ? "forced version " + forced.version : "no forced version";
    $("forced-title").textContent = forced.version ? "Sites below the forced version " + forced.version : "Sites below the forced version";

    drawVersions(stats.version_distribution);
    drawDownloads(downloads.per_day);
    drawAdoption(stats.adoption);
    fillTable("failing", list(health.sites).filter((s) => s && typeof s === "object"),
      (s) => [[siteName(s)], [s.status, "status"], [s.at]]);
    const below = Array.isArray(forced.sites) ? forced.sites : list(forced.site_ids).map((id) => ({ site_id: id }));
    fillTable("forced", below.filter((s) => s && typeof s === "object"), (s) => [[siteName(s)]]);
  }

  const STAGES = ["offered", "downloaded", "installed", "healthy", "health_failed", "install_failed", "silent"];

  // The newest planned rollout: its funnel beside the previous version's, its state, its steps.
  function drawFunnel(rollout) {
    const W = 420, rowH = 26, H = 24 + STAGES.length * rowH;
    const svg = startChart("chart-funnel", W, H);
    if (!rollout) { empty(svg, W, H); $("rollout-state").textContent = "no planned rollout"; return finishChart("chart-funnel", 0); }
    const funnel = rollout.funnel || {}, total = funnel.total || {}, base = funnel.baseline || {}, baseCounts = base.counts || {};
    const plan = rollout.plan || {}, gate = rollout.gate || {}, halt = rollout.halt;
    $("funnel-title").textContent = "Update funnel of " + String(rollout.version) + " (baseline " + String(base.version || "none") + ")";
    $("rollout-state").textContent = String(plan.state).toUpperCase() + " at " + num(rollout.percent) + "% of plan " +
      list(plan.steps).join(" → ") + (plan.gated === false ? " · UNGATED" : "") + " · " +
      (halt ? "halted: " + String(halt.reason) : "gate: " + String(gate.action) + ", " + String(gate.reason));
    $("rollout").classList.toggle("bad", Boolean(halt));
    // Rollout guard: a step held beyond its plan's bound (RolloutStalled), and why the first step is its size.
    if (plan.stalled) {
      $("rollout-state").textContent += " · STALLED since " + String(plan.stalled_since) + " (bound " + num(plan.stall_hours) + " h)";
      $("rollout").classList.add("bad");
    }
    if (plan.sizing) $("rollout-state").title = String(plan.sizing);
    const max = Math.max(1, ...STAGES.map((s) => Math.max(num(total[s]), num(baseCounts[s]))));
    const labelW = 110, barMax = W - labelW - 60;
    STAGES.forEach((stage, i) => {
      const y = 8 + i * rowH;
      svg.appendChild(el("text", { x: labelW - 8, y: y + 15, "text-anchor": "end" }, stage.replace("_", " ")));
      const now = num(total[stage]), was = num(baseCounts[stage]);
      svg.appendChild(tip(el("rect", { x: labelW, y: y + 2, width: Math.max(now ? 2 : 0, (now / max) * barMax), height: 10,
        fill: stage.includes("fail") || stage === "silent" ? "#dc2626" : "#2563eb", class: "bar" }), stage + ": " + fmt.format(now)));
      svg.appendChild(tip(el("rect", { x: labelW, y: y + 13, width: Math.max(was ? 2 : 0, (was / max) * barMax), height: 6,
        fill: "#c5ccd6", class: "bar" }), "baseline " + stage + ": " + fmt.format(was)));
      svg.appendChild(el("text", { x: labelW + barMax + 6, y: y + 15 }, fmt.format(now)));
    });
    finishChart("chart-funnel", STAGES.length);
  }

  async function loadRollouts(slug) {
    const body = await IGNY8.get("plugins/" + encodeURIComponent(slug) + "/rollouts");
    const rollout = list(body && body.rollouts).filter((r) => r && typeof r === "object")[0];
    drawFunnel(rollout);
    fillTable("timeline", rollout ? list(rollout.timeline).filter((e) => e && typeof e === "object") : [],
      (e) => [[e.at], [e.action, e.action === "halt" ? "status" : ""], [e.percent === null ? "" : e.percent + "%"], [e.actor], [e.reason]]);
  }

  // Draw the stats of ``slug`` over ``days``; a refusal is thrown to the caller, which says it.
  async function load(slug, days) {
    const stats = await IGNY8.get("plugins/" + encodeURIComponent(slug) + "/stats?days=" + encodeURIComponent(days));
    if (!stats || typeof stats !== "object") throw new Error("the stats answer is not an object");
    render(stats);
    await loadRollouts(slug);
  }

  return { load: load };
})();
