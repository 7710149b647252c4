// "Release with a plan": the dialog that asks for a guarded rollout's plan (steps, hours, margin,
// installs, gated or not) and states in words what it will do before anything is sent. Its
// checks are the API's (logic/fields.py), so a person learns what is wrong before sending; the
// API checks everything again.
"use strict";
IGNY8.plan = (function () {
  const { $, may } = IGNY8;
  const MAX_STEPS = 10;
  let pending = null;

  // A whole number typed in ``id``, within [low, high]; null otherwise.
  function whole(id, low, high) {
    const typed = $(id).value.trim();
    const value = Number(typed);
    return /^\d+$/.test(typed) && value >= low && value <= high ? value : null;
  }

  // The steps typed ("1, 5, 25, 100"): percentages rising to 100; null when they are not.
  function steps() {
    const parts = $("plan-steps").value.split(/[\s,]+/).filter(Boolean);
    const values = parts.map(IGNY8.percent);
    const rising = values.every((p, i) => p !== null && (i === 0 || p > values[i - 1]));
    return parts.length && parts.length <= MAX_STEPS && rising && values[values.length - 1] === 100 ? values : null;
  }

  // The body to send, or the first thing wrong with what is typed.
  function read() {
    const plan = steps();
    if (plan === null) return { wrong: "Steps: up to " + MAX_STEPS + " percentages from 0.01 to 100 (two decimals at most), rising, ending at 100." };
    const stepHours = whole("plan-step-hours", 1, 168);
    if (stepHours === null) return { wrong: "Hours per step: a whole number from 1 to 168." };
    const stallHours = whole("plan-stall-hours", 2, 720);
    if (stallHours === null || stallHours <= stepHours) return { wrong: "Stall alarm: whole hours up to 720, more than the hours per step." };
    const margin = whole("plan-margin", 1, 50);
    if (margin === null) return { wrong: "Margin: whole percentage points from 1 to 50." };
    const installs = whole("plan-min-installs", 1, 100000);
    if (installs === null) return { wrong: "Installs before a step passes: a whole number from 1 to 100000." };
    const body = { plan: plan, step_hours: stepHours, stall_hours: stallHours, margin_points: margin,
      min_installs: installs, gate: !$("plan-ungated").checked };
    if (may("admin") && $("plan-force").checked) body.force_update = true;
    return { body: body };
  }

  // What the plan does, in words: the sentence the person confirms.
  function effect(spec, body) {
    const v = spec.version, later = body.plan.slice(1).map((p) => p + " %");
    const first = "Offer " + v.version + " to " + body.plan[0] + " % of sites on " + v.channel + " now" +
      (later.length ? ", then " + later.join(", ") : "");
    const forced = body.force_update ? " Sites install it without asking their admin." : "";
    if (!body.gate) {
      return first + ", each step after " + body.step_hours + " h on time alone: UNGATED, no health gate " +
        "(a security release; the audit records that you chose none)." + forced;
    }
    const previous = spec.baseline ? "the previous version (" + spec.baseline + ")" : "the previous version";
    return first + ", each step after at least " + body.step_hours + " h and only after " + body.min_installs +
      " installs and failure rates within " + body.margin_points + " points of " + previous + "; a failing step halts. " +
      "A step held beyond " + body.stall_hours + " h raises the stall alarm. The first step may be widened so that it can give " +
      body.min_installs + " installs." + forced;
  }

  function refresh() {
    if (!pending) return;
    const typed = read();
    $("plan-effect").textContent = typed.wrong || effect(pending.spec, typed.body);
    $("plan-ok").disabled = Boolean(typed.wrong);
  }

  function finish(result) {
    const done = pending;
    pending = null;
    if (done) done.resolve(result);
  }

  $("plan-form").addEventListener("input", refresh);
  $("plan-cancel").addEventListener("click", () => $("plan").close("cancel"));
  $("plan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = read();
    if (typed.wrong) return;
    $("plan").close("ok");
    finish({ body: typed.body });
  });
  // Escape, Cancel, or closing any other way: nothing is sent.
  $("plan").addEventListener("close", () => finish(null));

  // spec: { version: the version record, baseline: the previous version's number or null }.
  // Resolves to { body } (StartRollout) when confirmed, null otherwise.
  return function ask(spec) {
    finish(null);
    return new Promise((resolve) => {
      pending = { spec: spec, resolve: resolve };
      $("plan-title").textContent = "Release " + spec.version.version + " with a plan";
      // Ungated and forced are chosen afresh each time, never carried over from another version.
      $("plan-gated").checked = true;
      $("plan-force").checked = false;
      refresh();
      $("plan").showModal();
      $("plan-steps").focus();
    });
  };
})();
