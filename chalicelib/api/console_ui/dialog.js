// The one confirmation dialog: it states an action's effect in words before anything is sent, asks
// for a rollout percentage where the action takes one, and for the version typed back where the
// action is hard to undo (pull, rollback): Confirm stays disabled until it matches exactly.
"use strict";
IGNY8.confirm = (function () {
  const $ = IGNY8.$;
  let pending = null;

  function percentValue() {
    return IGNY8.percent($("confirm-percent").value);
  }

  function refresh() {
    if (!pending) return;
    const spec = pending.spec;
    const percent = spec.percent === null ? null : percentValue();
    $("confirm-effect").textContent = spec.percent !== null && percent === null
      ? "Choose a rollout percentage from 0.01 to 100."
      : spec.effect(percent);
    const typedOk = spec.typed === null || $("confirm-typed").value.trim() === spec.typed;
    $("confirm-ok").disabled = !typedOk || (spec.percent !== null && percent === null);
  }

  function finish(result) {
    const done = pending;
    pending = null;
    if (done) done.resolve(result);
  }

  $("confirm-percent").addEventListener("input", refresh);
  $("confirm-typed").addEventListener("input", refresh);
  $("confirm-cancel").addEventListener("click", () => $("confirm").close("cancel"));
  $("confirm-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if ($("confirm-ok").disabled) return;
    const result = { percent: pending && pending.spec.percent !== null ? percentValue() : null };
    $("confirm").close("ok");
    finish(result);
  });
  // Escape, Cancel, or closing any other way: nothing is sent.
  $("confirm").addEventListener("close", () => finish(null));

  // spec: { title, effect(percent) -> text, percent: the starting value or null, typed: the text
  // to type back or null }. Resolves to { percent } when confirmed, null otherwise.
  return function confirm(spec) {
    finish(null);
    return new Promise((resolve) => {
      pending = { spec: spec, resolve: resolve };
      $("confirm-title").textContent = spec.title;
      $("confirm-percent-row").hidden = spec.percent === null;
      $("confirm-percent").value = spec.percent === null ? "" : String(spec.percent);
      $("confirm-typed-row").hidden = spec.typed === null;
      $("confirm-typed").value = "";
      $("confirm-typed-label").textContent = spec.typed === null ? "" : "Type " + spec.typed + " to confirm";
      refresh();
      $("confirm").showModal();
      (spec.percent !== null ? $("confirm-percent") : spec.typed !== null ? $("confirm-typed") : $("confirm-cancel")).focus();
    });
  };
})();
