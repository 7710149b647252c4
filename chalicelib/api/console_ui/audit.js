// The audit trail, newest first: when, who (the person, by their account), what, on which version,
// and what changed (before → after, only the fields that did). One plugin's trail, or the sites'
// (create, rotate, revoke), where each site is named by its name and address. A page at a time:
// "Older entries" reads the next (the API's cursor) and adds its rows below.
"use strict";
IGNY8.audit = (function () {
  const { $, h, get, list, path, say, refused, fill, cell, show } = IGNY8;
  //: The sites' trail, chosen in the select as "Sites" (#/audit/_sites).
  const SITES = "_sites";
  //: Entries a page shows.
  const PAGE = 20;
  //: What the shown trail needs to read its next page: its scope, the sites' names, the cursor.
  let shown = null;

  function details(entry, sites) {
    const before = entry.before || {}, after = entry.after || {};
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    const changes = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).map((k) => {
      const was = JSON.stringify(before[k]), now = JSON.stringify(after[k]);
      if (!(k in before)) return k + ": " + now;
      if (!(k in after)) return k + ": " + was + " (removed)";
      return k + ": " + was + " → " + now;
    });
    const site = sites.get(after.site_id || before.site_id);
    return (site ? [site.name + " (" + site.url + ")"] : []).concat(changes).join("; ");
  }

  const row = (e, sites) => h("tr", {}, cell(e.at), cell(e.actor), cell(e.action), cell(show(e.version)), cell(details(e, sites)));

  // The next page of ``trail`` (its first while it has read none); null when another trail was
  // chosen meanwhile.
  async function page(trail) {
    const where = trail.scope === SITES ? "sites/audit" : path("plugins", trail.scope, "audit");
    const body = await get(where + "?limit=" + PAGE + (trail.next ? "&cursor=" + encodeURIComponent(trail.next) : ""));
    if (trail !== shown) return null;
    trail.next = typeof body.next === "string" ? body.next : null;
    $("audit-older").hidden = trail.next === null;
    return list(body.entries);
  }

  async function load(scope) {
    $("audit-older").hidden = true;
    try {
      const sites = new Map();
      if (scope === SITES) for (const s of list((await get("sites")).sites)) sites.set(s.site_id, s);
      shown = { scope: scope, sites: sites, next: null };
      const entries = await page(shown);
      if (entries !== null) fill("audit", entries, (e) => row(e, sites));
    } catch (err) { refused(err); }
  }

  $("audit-older").addEventListener("click", async () => {
    if (!shown || shown.next === null) return;
    const trail = shown;
    try {
      const older = await page(trail);
      if (older === null) return;
      $("audit").tBodies[0].append(...older.map((e) => row(e, trail.sites)));
      say("Added " + older.length + " older entries" + (trail.next === null ? "; that is the whole trail." : "."), "ok");
    } catch (err) { refused(err); }
  });

  async function showAudit(wanted) {
    let plugins;
    try { plugins = list((await get("plugins")).plugins); } catch (err) { refused(err); return; }
    const select = $("audit-plugin");
    select.replaceChildren(...plugins.map((p) => h("option", { value: p.slug }, (p.name || p.slug) + " (" + p.slug + ")")),
      h("option", { value: SITES }, "Sites"));
    const known = wanted === SITES || plugins.some((p) => p.slug === wanted);
    select.value = known ? wanted : plugins.length ? plugins[0].slug : SITES;
    await load(select.value);
  }

  $("audit-plugin").addEventListener("change", () => {
    location.hash = "#/audit/" + encodeURIComponent($("audit-plugin").value);
  });

  return { show: showAudit };
})();
