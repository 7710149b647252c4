// The IGNY8 app's "download our plugin" card (seed §6.1, PluginDownloadSection), in plain JS.
//
// What the seed's component does, from the app's own origin:
//   1. GET  {api}/plugins/{platform}/latest/        -> name, version, size (CORS: the app's origin)
//   2. on click: ask the app's OWN backend for a short-lived token for the signed-in user
//      (the page never holds the signing key), then
//      POST {api}/plugins/{slug}/track-download/   with X-IGNY8-App-Token -> the download, counted
//      for that user under the per-user allowance
//   3. send the browser to the answer's url (the package itself, a short-lived link).
//
// The app backend here is docs/app-card/backend.py, a stand-in: GET /app/config says where the
// plugin API is, POST /app/plugin-token mints the token (the real app checks its session first).
"use strict";

(function () {
  const card = document.getElementById("plugin-card");
  const button = document.getElementById("plugin-download");
  const field = (id) => document.getElementById(id);
  const platformNames = { wordpress: "WordPress", shopify: "Shopify" };

  function formatFileSize(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }

  function fail(message) {
    card.dataset.state = "error";
    field("plugin-error").textContent = message;
    field("plugin-error").hidden = false;
  }

  async function refusal(response) {
    // Every refusal of the plugin API is {"error": {"code", "message"}}.
    try {
      const body = await response.json();
      return `${body.error.message} (${body.error.code})`;
    } catch (_) {
      return `the plugin service answered ${response.status}`;
    }
  }

  async function appToken() {
    const response = await fetch("/app/plugin-token", { method: "POST" });
    if (!response.ok) throw new Error("you are not signed in to the app");
    return (await response.json()).token;
  }

  async function download(api, plugin) {
    button.disabled = true;
    card.dataset.state = "downloading";
    try {
      const response = await fetch(`${api}/plugins/${encodeURIComponent(plugin.slug)}/track-download/`, {
        method: "POST",
        headers: { "X-IGNY8-App-Token": await appToken() },
      });
      if (!response.ok) return fail(`Download refused: ${await refusal(response)}`);
      const served = await response.json();
      card.dataset.state = "downloaded";
      window.location.href = served.url;
    } catch (error) {
      fail(`Could not start the download: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  async function load() {
    const platform = card.dataset.platform;
    let api;
    try {
      api = (await (await fetch("/app/config")).json()).api;
      const response = await fetch(`${api}/plugins/${encodeURIComponent(platform)}/latest/`);
      if (!response.ok) return fail(`No plugin to download: ${await refusal(response)}`);
      const plugin = await response.json();
      field("plugin-name").textContent = plugin.name;
      field("plugin-blurb").textContent =
        `Download and install the plugin on your ${platformNames[platform] || platform} site`;
      field("plugin-version").textContent = `Version ${plugin.version}`;
      field("plugin-size").textContent = formatFileSize(plugin.file_size);
      button.disabled = false;
      button.onclick = () => download(api, plugin);
      card.dataset.state = "ready";
    } catch (error) {
      // A browser refusing a cross-origin read (CORS) lands here as a TypeError.
      fail(`Could not reach the plugin service (${error.message})`);
    }
  }

  load();
})();
