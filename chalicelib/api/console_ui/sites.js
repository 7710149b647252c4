// Sites: the list (name and address first; the id is what the site sends), and for admins:
// create, rotate and revoke. A new key is the answer to the person's own action, so it is shown
// once, with a copy button and a warning, and dropped from the page as soon as they move on.
"use strict";
IGNY8.sites = (function () {
  const { $, h, get, post, list, path, may, say, refused, fill, cell, show } = IGNY8;

  function showKey(site, key) {
    $("new-key-for").textContent = "The key of " + site.name + " (" + site.url + "), site id " + site.site_id + ":";
    $("new-key-value").textContent = key;
    $("new-key").hidden = false;
    $("copy-key").focus();
  }

  function forgetKey() {
    $("new-key-value").textContent = "";
    $("new-key-for").textContent = "";
    $("new-key").hidden = true;
  }

  async function change(site, verb, effect, done, typed) {
    const answer = await IGNY8.confirm({ title: verb + " " + site.name, effect: () => effect, percent: null, typed: typed });
    if (answer === null) return;
    forgetKey();
    try {
      const result = await post(path("sites", site.site_id, verb === "Revoke" ? "revoke" : "rotate"), {});
      say(done(result), "ok");
      if (result.api_key) showKey(result.site, result.api_key);
    } catch (err) { refused(err); }
    await load();
  }

  function actions(site) {
    if (!may("admin") || site.revoked_at) return [];
    const where = site.name + " (" + site.url + ")";
    const rotate = h("button", { type: "button" }, "Rotate key of " + site.name);
    rotate.addEventListener("click", () => change(site, "Rotate key of",
      "Make a new key for " + where + ". The current key keeps working for a short overlap, then stops.",
      (r) => "New key made for " + site.name + (r.previous_key_valid_until ? "; the old one works until " + r.previous_key_valid_until : "") + ".",
      null));
    const revoke = h("button", { type: "button", class: "danger" }, "Revoke " + site.name);
    revoke.addEventListener("click", () => change(site, "Revoke",
      "End every key of " + where + " now: it can no longer register, report health or download private plugins.",
      () => "Revoked " + site.name + ".", null));
    return [rotate, revoke];
  }

  async function load() {
    try {
      const body = await get("sites");
      fill("sites", list(body.sites), (s) => h("tr", { "data-site-id": s.site_id },
        h("th", { scope: "row" }, s.name), cell(s.url), cell(h("code", {}, s.site_id)),
        cell(show(s.key_prefix) + "…"), cell(show(s.status)), h("td", { class: "actions" }, actions(s))));
    } catch (err) { refused(err); }
  }

  $("new-site-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    forgetKey();
    try {
      const result = await post("sites", { name: $("new-site-name").value.trim(), url: $("new-site-url").value.trim() });
      say("Created the site " + result.site.name + ". Copy its key now: it will not be shown again.", "ok");
      event.target.reset();
      showKey(result.site, result.api_key);
    } catch (err) { refused(err); }
    await load();
  });
  $("copy-key").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("new-key-value").textContent);
      say("The key is on the clipboard.", "ok");
    } catch (err) { say("Could not copy: select the key and copy it by hand (" + String(err && err.message || err) + ").", "error"); }
  });
  $("hide-key").addEventListener("click", forgetKey);

  return { show: load, forgetKey: forgetKey };
})();
