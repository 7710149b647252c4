// Upload from the browser: a ZIP as chosen, or a folder zipped here (zip.js), PUT straight to the
// bucket through the presigned URL the admin API hands out (the API writes the grant naming the
// person first), with its progress; then the packager's verdict, read live from the version.
"use strict";
IGNY8.upload = (function () {
  const { $, post, get, path, say, refused } = IGNY8;
  //: How often and how long the page asks whether the packager has decided.
  const POLL_MS = 1000, POLL_LIMIT_MS = 180000;
  //: The packager records nothing for bytes identical to a version it already packaged, so when the
  //: version existed before, no refusal within this long means it kept what it had.
  const SAME_BYTES_MS = 20000;
  let slug = null;

  function verdict(text, kind) {
    const node = $("upload-verdict");
    node.textContent = text;
    if (kind) node.dataset.verdict = kind; else node.removeAttribute("data-verdict");
  }

  function reset(forSlug) {
    slug = forSlug;
    $("upload-form").reset();
    $("upload-progress").value = 0;
    verdict("", null);
  }

  // The "Version:" of the plugin header in a top-level PHP file of the chosen folder, if any.
  async function headerVersion(files) {
    for (const file of files) {
      const depth = (file.webkitRelativePath || file.name).split("/").length;
      if (depth !== 2 || !file.name.endsWith(".php")) continue;
      const head = await file.slice(0, 8192).text();
      if (!/^[ \t/*#@]*Plugin Name:/im.test(head)) continue;
      const found = /^[ \t/*#@]*Version:\s*(\S+)/im.exec(head);
      if (found) return found[1];
    }
    return null;
  }

  async function archive() {
    const zip = $("upload-zip").files[0];
    const folder = Array.from($("upload-folder").files || []);
    if (zip && folder.length) throw new Error("choose a ZIP file or a folder, not both");
    if (zip) return zip;
    if (!folder.length) throw new Error("choose a ZIP file or a folder to upload");
    verdict("Zipping " + folder.length + " files…", null);
    const entries = [];
    for (const file of folder) {
      entries.push({ name: file.webkitRelativePath || file.name, data: new Uint8Array(await file.arrayBuffer()),
        modified: new Date(file.lastModified) });
    }
    return IGNY8.zip.build(entries);
  }

  function put(grant, blob) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("PUT", grant.url);
      for (const [name, value] of Object.entries(grant.headers || {})) request.setRequestHeader(name, value);
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) $("upload-progress").value = Math.round((event.loaded / event.total) * 100);
      });
      request.addEventListener("load", () => (request.status >= 200 && request.status < 300
        ? resolve() : reject(new Error("storage refused the upload (HTTP " + request.status + ")"))));
      request.addEventListener("error", () => reject(new Error("the upload could not reach storage")));
      request.send(blob);
    });
  }

  // Ask until the packager has recorded either the version made from ``key`` or a refusal of it.
  // ``existing``: the version as it was before the upload, if it was packaged already.
  async function awaitVerdict(key, existing) {
    const started = Date.now();
    while (Date.now() - started < POLL_LIMIT_MS) {
      const body = await get(path("plugins", slug));
      const failure = body.plugin && body.plugin.last_failure;
      if (failure && failure.source_key === key) return { refused: failure.message };
      const made = (body.versions || []).find((v) => v.source_key === key);
      if (made && made.status === "failed") return { refused: made.failure_reason || "the packager refused it" };
      if (made && made.status !== "pending") return { version: made };
      if (existing && Date.now() - started > SAME_BYTES_MS) return { version: existing, unchanged: true };
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return { refused: "no verdict from the packager after " + POLL_LIMIT_MS / 1000 + " s; look again later" };
  }

  async function submit(event) {
    event.preventDefault();
    const button = $("upload-button");
    const version = $("upload-version").value.trim(), changelog = $("upload-changelog").value.trim();
    button.disabled = true;
    $("upload-progress").value = 0;
    try {
      const blob = await archive();
      const shown = IGNY8.plugins.current();
      const existing = (shown ? shown.versions : []).find((v) => v.version === version && v.sha256 && v.status !== "failed");
      const grant = await post(path("plugins", slug, "versions", version, "upload"), changelog ? { changelog: changelog } : {});
      verdict("Uploading " + blob.size + " bytes…", null);
      await put(grant, blob);
      $("upload-progress").value = 100;
      verdict("Packaging…", null);
      const result = await awaitVerdict(grant.key, existing);
      if (result.version) {
        const v = result.version;
        const what = result.unchanged ? "Unchanged: " + v.version + " was already packaged from these bytes" : "Packaged " + v.version;
        verdict(what + ": " + v.file_size + " bytes, SHA-256 " + v.sha256 + ", key " + v.signature_key_id + ".", "packaged");
        say((result.unchanged ? "Nothing to change: " : "Uploaded and packaged ") + v.version + " (" + v.status + ").", "ok");
      } else {
        verdict("Refused: " + result.refused, "refused");
        say("The packager refused the upload: " + result.refused, "error");
      }
      await IGNY8.plugins.reload();
    } catch (err) {
      verdict("Refused: " + String(err && err.message || err), "refused");
      refused(err);
    } finally {
      button.disabled = false;
      // The next upload starts from a clean choice (a ZIP or a folder, not the last one's).
      $("upload-zip").value = "";
      $("upload-folder").value = "";
    }
  }

  $("upload-folder").addEventListener("change", async () => {
    const found = await headerVersion(Array.from($("upload-folder").files || []));
    if (found && !$("upload-version").value) $("upload-version").value = found;
  });
  $("upload-form").addEventListener("submit", submit);

  return { reset: reset };
})();
