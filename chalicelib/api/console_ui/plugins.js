// The plugins list and one plugin's page: its versions (with the actions the person's role
// allows, from actions.js), its guarded rollouts (rollout.js), the upload form (upload.js) and its
// statistics (charts.js).
"use strict";
IGNY8.plugins = (function () {
  const { $, h, get, post, list, path, may, say, refused, fill, cell, show } = IGNY8;
  const fmt = new Intl.NumberFormat("en-US");
  //: The plugin the page shows, with its versions (newest first), once loaded.
  let shown = null;

  function rolloutText(latest) {
    if (!latest) return "none";
    const parts = [latest.rollout_percent + " %"];
    if (latest.halted) parts.push("halted");
    if (latest.force_update) parts.push("forced");
    return parts.join(" · ");
  }

  async function showList() {
    try {
      const body = await get("releases");
      fill("plugins", list(body.plugins), (p) => h("tr", { "data-slug": p.slug },
        cell(h("a", { href: "#/plugins/" + encodeURIComponent(p.slug) }, p.name || p.slug)),
        cell(h("code", {}, p.slug)),
        cell(p.latest ? p.latest.version + " (" + p.latest.channel + ")" : "none"),
        cell(rolloutText(p.latest))));
    } catch (err) { refused(err); }
  }

  function bytes(size) {
    if (!size) return "–";
    return size < 1024 ? size + " B" : size < 1048576 ? (size / 1024).toFixed(1) + " KB" : (size / 1048576).toFixed(2) + " MB";
  }

  function statusCell(v) {
    const text = v.status === "failed" && v.failure_reason ? "failed: " + v.failure_reason
      : v.rollout && v.rollout.state === "halted" ? v.status + " (rollout halted)" : v.status;
    return h("td", { class: "status-" + v.status }, text);
  }

  function versionRow(plugin, versions, v) {
    const sha = v.sha256 || "";
    return h("tr", { "data-version": v.version, "data-status": v.status },
      h("th", { scope: "row" }, v.version),
      statusCell(v),
      cell(v.channel),
      cell(v.rollout_percent + " %"),
      cell(v.force_update ? "yes" : "no"),
      h("td", { title: v.file_size ? fmt.format(v.file_size) + " bytes" : null }, bytes(v.file_size)),
      h("td", { "data-sha256": sha }, sha ? h("code", { title: sha }, sha.slice(0, 12) + "…") : "–"),
      cell(show(v.signature_key_id)),
      cell(show(v.released_at)),
      h("td", { class: "actions" }, IGNY8.actions.buttons(plugin, versions, v)));
  }

  // Load (or reload, after an action) the plugin's record and versions; returns them.
  async function load(slug) {
    const body = await get(path("plugins", slug));
    const plugin = body.plugin, versions = list(body.versions);
    shown = { plugin: plugin, versions: versions };
    $("plugin-title").textContent = plugin.name || plugin.slug;
    const failure = plugin.last_failure ? " · last upload refused: " + plugin.last_failure.message : "";
    $("plugin-meta").textContent = plugin.slug + " · " + plugin.platform + (plugin.private ? " · private" : "") + failure;
    fill("versions", versions, (v) => versionRow(plugin, versions, v));
    await IGNY8.rollouts.show(plugin, versions);
    return shown;
  }

  async function showPlugin(slug) {
    $("plugin-title").textContent = slug;
    $("plugin-meta").textContent = "";
    fill("versions", [], () => null);
    IGNY8.rollouts.clear();
    $("upload").hidden = !may("releaser");
    IGNY8.upload.reset(slug);
    try {
      await load(slug);
    } catch (err) { refused(err); return; }
    await drawStats();
  }

  async function drawStats() {
    if (!shown) return;
    try { await IGNY8.stats.load(shown.plugin.slug, $("days").value); } catch (err) { refused(err); }
  }

  $("days").addEventListener("change", drawStats);
  $("refresh").addEventListener("click", drawStats);
  $("new-plugin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("new-plugin-name").value.trim(), slug = $("new-plugin-slug").value.trim();
    try {
      await post("plugins", { name: name, slug: slug });
      event.target.reset();
      // Said once the router has shown (and silenced) the new plugin's page.
      window.addEventListener("hashchange", () => {
        say("Added the plugin " + name + " (" + slug + "): upload its first version on its page.", "ok");
      }, { once: true });
      location.hash = "#/plugins/" + encodeURIComponent(slug);
    } catch (err) { refused(err); }
  });

  return {
    showList: showList,
    showPlugin: showPlugin,
    reload: () => (shown ? load(shown.plugin.slug) : Promise.resolve(null)),
    current: () => shown,
  };
})();
