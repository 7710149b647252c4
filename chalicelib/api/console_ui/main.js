// The router: the URL's hash names the view (#/plugins, #/plugins/<slug>, #/sites, #/audit[/<slug>]),
// so every view has an address a person can bookmark and a test can open directly.
"use strict";
(function () {
  const { $, may } = IGNY8;
  if (location.pathname.endsWith("/")) $("logout").action = "../logout";
  // What the role may not do is not offered (the API refuses it anyway).
  for (const node of document.querySelectorAll(".needs-releaser")) node.hidden = !may("releaser");
  for (const node of document.querySelectorAll(".needs-admin")) node.hidden = !may("admin");

  const VIEWS = {
    plugins: (rest) => (rest ? ["plugin", () => IGNY8.plugins.showPlugin(rest)] : ["plugins", IGNY8.plugins.showList]),
    sites: () => ["sites", IGNY8.sites.show],
    audit: (rest) => ["audit", () => IGNY8.audit.show(rest)],
  };

  function route() {
    const [, name, ...rest] = (location.hash || "#/plugins").replace(/^#/, "").split("/");
    const pick = VIEWS[name] || VIEWS.plugins;
    const [view, show] = pick(rest.length ? decodeURIComponent(rest.join("/")) : "");
    for (const section of document.querySelectorAll("main > .view")) section.hidden = section.id !== "view-" + view;
    const nav = view === "plugin" ? "plugins" : view;
    for (const link of document.querySelectorAll("nav a")) {
      if (link.dataset.view === nav) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    IGNY8.sites.forgetKey();
    IGNY8.quiet();
    show();
  }

  window.addEventListener("hashchange", route);
  window.addEventListener("unhandledrejection", (event) => { event.preventDefault(); IGNY8.refused(event.reason); });
  route();
})();
