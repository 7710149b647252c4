// The audit trail of one plugin, newest first: when, who (the person, by their account), what,
// on which version, and what changed (before → after, only the fields that did).
"use strict";
IGNY8.audit = (function () {
  const { $, h, get, list, path, refused, fill, cell, show } = IGNY8;

  function details(entry) {
    const before = entry.before || {}, after = entry.after || {};
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).map((k) => {
      const was = JSON.stringify(before[k]), now = JSON.stringify(after[k]);
      if (!(k in before)) return k + ": " + now;
      if (!(k in after)) return k + ": " + was + " (removed)";
      return k + ": " + was + " → " + now;
    }).join("; ");
  }

  async function load(slug) {
    try {
      const body = await get(path("plugins", slug, "audit"));
      fill("audit", list(body.entries), (e) => h("tr", {},
        cell(e.at), cell(e.actor), cell(e.action), cell(show(e.version)), cell(details(e))));
    } catch (err) { refused(err); }
  }

  async function showAudit(wanted) {
    let plugins;
    try { plugins = list((await get("plugins")).plugins); } catch (err) { refused(err); return; }
    const select = $("audit-plugin");
    select.replaceChildren(...plugins.map((p) => h("option", { value: p.slug }, (p.name || p.slug) + " (" + p.slug + ")")));
    if (!plugins.length) { fill("audit", [], () => null); return; }
    select.value = plugins.some((p) => p.slug === wanted) ? wanted : plugins[0].slug;
    await load(select.value);
  }

  $("audit-plugin").addEventListener("change", () => {
    location.hash = "#/audit/" + encodeURIComponent($("audit-plugin").value);
  });

  return { show: showAudit };
})();
