// «Линия помощи»: the little JavaScript the workspace needs. Everything works without it;
// with it, the operator's queue refreshes itself every ~20 seconds.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// A region with data-refresh-url is replaced by the HTML fragment that URL returns.
function startRefresh(region) {
  const interval = parseInt(region.dataset.refreshInterval || "20000", 10);
  async function refresh() {
    if (document.visibilityState !== "visible") return;
    if (region.contains(document.activeElement) && document.activeElement !== document.body) return;
    try {
      const response = await fetch(region.dataset.refreshUrl + window.location.search, {
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (response.status === 401 || response.redirected) { window.location.reload(); return; }
      if (!response.ok) return;
      region.innerHTML = await response.text();
      region.dispatchEvent(new CustomEvent("refreshed"));
    } catch (error) {
      // The network blinked; the next tick tries again.
    }
  }
  region.refreshNow = refresh;
  window.setInterval(refresh, interval);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-refresh-url]").forEach(startRefresh);
  // <select data-autosubmit> submits its form on change (filters), the button stays for no-JS.
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
});
