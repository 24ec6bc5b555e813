// «Линия помощи»: the little JavaScript the workspace needs. Everything works without it;
// with it, the queue and the inbox update themselves (server-sent events, polling as backup).
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

// Live updates: a short server-sent event stream (helpline.live) says when the school's
// lists changed; the region is fetched again then, and the tab's title carries the count.
// The stream ends every ~25 seconds and EventSource reconnects by itself (retry:).
function startLive(region) {
  if (!("EventSource" in window)) return;
  const baseTitle = document.title;
  const countKey = region.dataset.liveCount;
  let version = null;
  let latest = null;
  const source = new EventSource(region.dataset.liveUrl);
  source.addEventListener("snapshot", (event) => {
    let data;
    try { data = JSON.parse(event.data); } catch (error) { return; }
    const count = data[countKey] || 0;
    document.title = count ? "(" + count + ") " + baseTitle : baseTitle;
    if (version !== null && data.version !== version) refreshRegion(region);
    if (latest !== null && data.latest > latest && "liveNotify" in region.dataset) {
      notifyNew(data);
    }
    version = data.version;
    latest = data.latest;
  });
  region.liveSource = source;
}

async function refreshRegion(region) {
  if (region.refreshNow) { region.refreshNow(); return; }
  try {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok || response.redirected) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById(region.id);
    if (fresh) {
      region.innerHTML = fresh.innerHTML;
      region.dispatchEvent(new CustomEvent("refreshed"));
    }
  } catch (error) {
    // The next change tries again.
  }
}

function notifyNew(data) {
  const button = document.querySelector("[data-notify]");
  if (!button || !("Notification" in window) || Notification.permission !== "granted") return;
  const body = button.dataset.notifyBody.replace("{count}", data.new);
  new Notification(button.dataset.notifyTitle, { body: body, tag: "helpline-new" });
}

function setUpNotifications() {
  const button = document.querySelector("[data-notify]");
  if (!button || !("Notification" in window)) return;
  button.hidden = false;
  const granted = () => {
    button.textContent = button.dataset.notifyOn;
    button.disabled = true;
  };
  if (Notification.permission === "granted") granted();
  button.addEventListener("click", async () => {
    const answer = await Notification.requestPermission();
    if (answer === "granted") granted();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-live-url]").forEach(startLive);
  setUpNotifications();
});
