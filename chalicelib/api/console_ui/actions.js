// The release actions on a version row: each shown only when the person's role allows it and the
// version's status permits it (the API checks both again), each confirmed in words first.
"use strict";
IGNY8.actions = (function () {
  const { h, post, patch, path, may, say, refused } = IGNY8;
  const OFFERED = ["released", "update_ready"];
  const DOWNLOADABLE = ["released", "update_ready", "deprecated"];
  const UNRELEASED = ["draft", "testing", "staged"];

  const on = (v) => " of sites on " + v.channel;
  const versionPath = (slug, v, action) => path("plugins", slug, "versions", v.version) + (action ? "/" + action : "");
  // Offered versions above ``v`` on its channel: what a rollback to ``v`` pulls.
  const above = (versions, v) => versions.filter((o) => OFFERED.includes(o.status) && o.channel === v.channel &&
    versions.indexOf(o) < versions.indexOf(v));
  // The version sites ran before ``v`` (the rollout guard's baseline): the highest released below it
  // on its channel (versions come newest first).
  const previous = (versions, v) => versions.find((o) => o.channel === v.channel && o.released_at &&
    DOWNLOADABLE.includes(o.status) && versions.indexOf(o) > versions.indexOf(v)) || null;
  // A plan may start on a packaged version not yet released, or an offered one without a live plan.
  const plannable = (v) => Boolean(v.file_path) && (UNRELEASED.includes(v.status) ||
    (OFFERED.includes(v.status) && (!v.rollout || v.rollout.state === "completed")));

  //: Each action: the least role, when it applies, what the dialog says, the call, what is said after.
  const ACTIONS = [
    { label: "Release", role: "releaser", when: (v) => UNRELEASED.includes(v.status) && v.file_path,
      percent: () => 100,
      effect: (v, p) => "Offer " + v.version + " to " + p + " %" + on(v) + ".",
      send: (slug, v, p) => post(versionPath(slug, v, "release"), { rollout_percent: p }),
      done: (v, p) => "Released " + v.version + " to " + p + " %" + on(v) + "." },
    { label: "Release with a plan", name: (v) => "Release " + v.version + " with a plan", role: "releaser", when: plannable,
      ask: (v, versions) => IGNY8.plan({ version: v, baseline: (previous(versions, v) || {}).version || null }),
      send: (slug, v, p, answer) => post(versionPath(slug, v, "rollout"), answer.body),
      done: (v, p, answer) => "Started the guarded rollout of " + v.version + ": offered to " + answer.version.rollout_percent +
        " %" + on(v) + " now (plan " + answer.version.rollout.steps.join(" → ") + ")." },
    { label: "Set rollout of", role: "releaser", when: (v) => OFFERED.includes(v.status),
      percent: (v) => v.rollout_percent,
      effect: (v, p) => "Offer " + v.version + " to " + p + " %" + on(v) + " (now " + v.rollout_percent + " %).",
      send: (slug, v, p) => patch(versionPath(slug, v, ""), { rollout_percent: p }),
      done: (v, p) => v.version + " is now offered to " + p + " %" + on(v) + "." },
    { label: "Resume", role: "releaser", when: (v) => Boolean(v.rollout && v.rollout.state === "halted"),
      effect: (v) => "Restart the halted rollout of " + v.version + " at " + v.rollout_percent + " %" + on(v) +
        "; what the health gate saw is accepted.",
      send: (slug, v) => post(versionPath(slug, v, "resume"), {}),
      done: (v) => "Resumed the rollout of " + v.version + "." },
    { label: "Push", role: "releaser", when: (v) => (UNRELEASED.includes(v.status) || v.status === "released") && v.file_path,
      effect: (v) => "Mark " + v.version + " as an update ready" + on(v) + " and notify the sites that run the plugin.",
      send: (slug, v) => post(versionPath(slug, v, "push-update"), {}),
      done: (v, p, answer) => "Pushed " + v.version + ": " + Number(answer.installations_notified || 0) + " sites notified." },
    { label: "Force", role: "admin", when: (v) => !v.force_update && v.file_path && (UNRELEASED.includes(v.status) || OFFERED.includes(v.status)),
      effect: (v) => "Push " + v.version + " to every site" + on(v).replace(" of sites", "") +
        " and install it there without asking the site's admin.",
      send: (slug, v) => post(versionPath(slug, v, "push-update"), { force_update: true }),
      done: (v, p, answer) => "Forced " + v.version + ": " + Number(answer.installations_notified || 0) + " sites notified." },
    { label: "Deprecate", role: "releaser", when: (v) => OFFERED.includes(v.status),
      effect: (v) => "Stop offering " + v.version + " as an update; sites that pin it can still download it.",
      send: (slug, v) => post(versionPath(slug, v, "deprecate"), {}),
      done: (v) => "Deprecated " + v.version + "." },
    { label: "Pull", role: "admin", when: (v) => DOWNLOADABLE.includes(v.status), typed: true, danger: true,
      effect: (v) => "Withdraw " + v.version + ": no site is offered it or can download it any more.",
      send: (slug, v) => post(versionPath(slug, v, "pull"), {}),
      done: (v) => "Pulled " + v.version + "." },
    { label: "Roll back to", role: "admin", typed: true, danger: true,
      when: (v, versions) => DOWNLOADABLE.includes(v.status) && v.file_path && above(versions, v).length > 0,
      effect: (v, p, versions) => "Republish the code of " + v.version + " as the next version up, released on " + v.channel +
        ", and pull " + above(versions, v).map((o) => o.version).join(", ") + ".",
      send: (slug, v) => post(path("plugins", slug, "rollback"), { to: v.version }),
      done: (v, p, answer) => "Rolling back: the code of " + v.version + " is being republished as " + answer.version +
        "; pulled " + (answer.pulled_versions && answer.pulled_versions.length ? answer.pulled_versions.join(", ") : "nothing") + "." },
  ];

  async function run(action, plugin, versions, v) {
    const answer = action.ask ? await action.ask(v, versions) : await IGNY8.confirm({
      title: action.label + " " + v.version,
      effect: (p) => action.effect(v, p, versions),
      percent: action.percent ? action.percent(v) : null,
      typed: action.typed ? v.version : null,
    });
    if (answer === null) return;
    say("Working…", "busy");
    try {
      const result = await action.send(plugin.slug, v, answer.percent, answer);
      say(action.done(v, answer.percent, result), "ok");
    } catch (err) { refused(err); }
    try { await IGNY8.plugins.reload(); } catch (err) { refused(err); }
  }

  function button(action, name, plugin, versions, v) {
    const node = h("button", { type: "button", class: action.danger ? "danger" : null }, name);
    node.addEventListener("click", () => run(action, plugin, versions, v));
    return node;
  }

  // The buttons a row gets, named "<action> <version>" so each is told apart by its name.
  function buttons(plugin, versions, v) {
    return ACTIONS.filter((a) => may(a.role) && a.when(v, versions))
      .map((a) => button(a, a.name ? a.name(v) : a.label + " " + v.version, plugin, versions, v));
  }

  // The action ``label`` on ``v`` under another name (a rollout's panel: "Abort" is a pull), or
  // null where the role or the version's status does not allow it.
  function renamed(label, name, plugin, versions, v) {
    const action = ACTIONS.find((a) => a.label === label);
    return action && v && may(action.role) && action.when(v, versions) ? button(action, name, plugin, versions, v) : null;
  }

  return { buttons: buttons, renamed: renamed, previous: previous };
})();
