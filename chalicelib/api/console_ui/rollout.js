// A plugin's guarded rollouts on its page (GET .../rollouts, what `igny8-plugins status` prints):
// each one's state in words (advancing, waiting for installs, HALTED with its evidence, STALLED
// since when, complete, aborted by a pull), its steps, its events, and the actions on it the
// person's role allows: resume, abort (a pull, the version typed back), roll back to the previous
// version. The halt's failing sites come by name from .../rollouts/halted-sites.
"use strict";
IGNY8.rollouts = (function () {
  const { $, h, get, list, path, show } = IGNY8;
  const STAGES = ["offered", "downloaded", "installed", "healthy", "health_failed", "install_failed", "silent"];
  const RATES = { health: "Health failures", install: "Install failures" };

  const share = (x) => (typeof x === "number" && isFinite(x) ? Math.round(x * 1000) / 10 + " %" : "–");
  const table = (caption, head, rows) => h("table", {}, h("caption", {}, caption),
    h("thead", {}, h("tr", {}, head.map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((text, i) => h(i ? "td" : "th", i ? {} : { scope: "row" }, show(text)))))));

  // [state, what it says]: the one line a person reads first.
  function state(r) {
    const plan = r.plan || {}, gate = r.gate || {}, reason = String(gate.reason || "");
    if (r.status === "pulled") return ["aborted", "ABORTED: " + r.version + " was pulled at " + r.percent + " %; no site is offered it or can download it"];
    if (plan.state === "completed") return ["complete", "COMPLETE: offered to " + r.percent + " % of sites"];
    if (plan.state === "halted") return ["halted", "HALTED at " + r.percent + " %: no new site is offered " + r.version];
    if (plan.stalled) {
      return ["stalled", "STALLED since " + plan.stalled_since + ": step " + r.percent + " % held beyond " + plan.stall_hours + " h (" + reason + ")"];
    }
    if (gate.action === "hold" && reason.startsWith("waiting for installs")) {
      return ["waiting", "WAITING FOR INSTALLS at " + r.percent + " %: " + reason.replace("waiting for installs: ", "")];
    }
    const installed = Number((gate.counts || {}).installed || 0);
    if (gate.action === "wait" && installed < Number(plan.min_installs)) {
      return ["waiting", "WAITING FOR INSTALLS at " + r.percent + " %: " + installed + " of " + plan.min_installs + " reported; " + reason];
    }
    return ["advancing", "ADVANCING at " + r.percent + " %: " + reason];
  }

  // The plan's steps: passed, the current one (and how it stands), the ones to come.
  function steps(r, events) {
    const plan = r.plan || {}, current = Number(plan.step || 0);
    const began = new Map(events.filter((e) => e.action === "start" || e.action === "advance").map((e) => [e.percent, e.at]));
    return h("ol", { class: "steps", "aria-label": "Steps of the rollout of " + r.version }, list(plan.steps).map((p, i) => {
      const where = i < current || plan.state === "completed" ? "passed" : i === current ? plan.state : "to come";
      const since = began.has(p) ? " since " + began.get(p) : "";
      return h("li", { "data-step": where }, p + " % · " + (where === "running" ? "current" + since : where + (where === "to come" ? "" : since)));
    }));
  }

  // The halt's evidence: why, the rates against the baseline's, the counts, and the failing sites.
  function evidence(r, named) {
    const halt = r.halt || {}, plan = r.plan || {}, base = halt.baseline || {}, margin = Number(plan.margin_points || 0) / 100;
    const counts = halt.counts || {}, baseCounts = base.counts || {};
    const sites = named || list(halt.sites).map((id) => ({ site_id: id, name: null, url: null }));
    return h("div", { class: "evidence" },
      h("p", { class: "reason" }, "Why: " + String(halt.reason || "")),
      table("Failure rates of " + r.version + " against " + show(base.version) + " (margin " + plan.margin_points + " points)",
        ["Failure rate", "Failures / sites", "Rate", "Baseline", "Allowed", "p-value"],
        list(halt.rates).map((x) => [RATES[x.name] || x.name, x.failures + " / " + x.sample, share(x.rate), share(x.baseline),
          share(Math.min(1, Number(x.baseline) + margin)), x.p_value])),
      table("Sites at each stage", ["Version"].concat(STAGES.map((s) => s.replace("_", " "))),
        [[r.version].concat(STAGES.map((s) => counts[s])), ["baseline " + show(base.version)].concat(STAGES.map((s) => baseCounts[s]))]),
      table("Failing sites (" + sites.length + ")", ["Site", "URL", "Site id"], sites.map((s) => [s.name, s.url, s.site_id])));
  }

  function events(r, timeline) {
    return table("Events of the rollout of " + r.version, ["At", "Event", "Percent", "By", "Why"],
      timeline.map((e) => [e.at, e.action, e.percent === null || e.percent === undefined ? "" : e.percent + " %", e.actor, e.reason]));
  }

  function actions(r, plugin, versions) {
    const v = versions.find((o) => o.version === r.version);
    if (!v || r.plan.state === "completed") return [];
    const previous = IGNY8.actions.previous(versions, v);
    return [
      IGNY8.actions.renamed("Resume", "Resume the rollout of " + v.version, plugin, versions, v),
      IGNY8.actions.renamed("Pull", "Abort the rollout of " + v.version, plugin, versions, v),
      previous && IGNY8.actions.renamed("Roll back to", "Roll back " + v.version + " to " + previous.version, plugin, versions, previous),
    ].filter(Boolean);
  }

  function rollout(r, named, plugin, versions) {
    const [kind, says] = state(r);
    const timeline = list(r.timeline).filter((e) => e && typeof e === "object");
    const id = "rollout-" + r.version.replace(/[^A-Za-z0-9]/g, "-");
    return h("article", { class: "rollout", "data-version": r.version, "data-state": kind, "aria-labelledby": id },
      h("h4", { id: id }, "Rollout of " + r.version + (r.plan.gated === false ? " (ungated)" : "")),
      h("p", { class: "state state-" + kind }, says),
      h("div", { class: "actions" }, actions(r, plugin, versions)),
      h("p", { class: "meta" }, "Plan " + list(r.plan.steps).join(" → ") + " %, steps of at least " + r.plan.step_hours + " h, " +
        r.plan.min_installs + " installs, margin " + r.plan.margin_points + " points, stall alarm after " + r.plan.stall_hours + " h. " +
        String(r.plan.sizing || "")),
      kind === "halted" ? evidence(r, named) : null,
      steps(r, timeline),
      events(r, timeline));
  }

  // Draw the plugin's planned rollouts (newest first); the halted ones' failing sites by name.
  async function draw(plugin, versions) {
    const body = await get(path("plugins", plugin.slug, "rollouts"));
    const shown = list(body.rollouts).filter((r) => r && typeof r === "object" && r.plan);
    const named = new Map();
    if (shown.some((r) => r.halt)) {
      for (const halt of list((await get(path("plugins", plugin.slug, "rollouts", "halted-sites"))).halts)) named.set(halt.version, list(halt.sites));
    }
    $("rollouts-list").replaceChildren(...shown.map((r) => rollout(r, named.get(r.version), plugin, versions)));
    $("rollouts").hidden = shown.length === 0;
  }

  function clear() {
    $("rollouts-list").replaceChildren();
    $("rollouts").hidden = true;
  }

  return { show: draw, clear: clear };
})();
