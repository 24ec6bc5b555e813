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

// Keyboard: the operator works the queue without the mouse. The hint under the list (and on
// the card) names the keys; they do nothing while typing in a field.
function typing(target) {
  if (target.matches && target.matches('input[type="radio"], input[type="checkbox"]')) return false;
  return target.closest("input, textarea, select, [contenteditable]") !== null;
}

function queueKeys(region, event) {
  const links = Array.from(region.querySelectorAll("#queue-table tbody a"));
  const index = links.indexOf(document.activeElement);
  if (event.key === "j" || event.key === "ArrowDown") {
    const next = links[Math.min(index + 1, links.length - 1)];
    if (next) { next.focus(); return true; }
  } else if (event.key === "k" || event.key === "ArrowUp") {
    const previous = links[Math.max(index - 1, 0)];
    if (previous) { previous.focus(); return true; }
  } else if (event.key === "n") {
    window.location.assign(region.dataset.nextUrl);
    return true;
  }
  return false;
}

function cardKeys(region, event) {
  const form = document.querySelector("[data-key-outcome]");
  if (event.key === "c") {
    const call = document.querySelector("[data-key-call]");
    if (call && !call.disabled) { call.click(); return true; }
  } else if (/^[1-9]$/.test(event.key) && form) {
    const choice = form.querySelectorAll('input[name="outcome"]')[Number(event.key) - 1];
    if (choice) { choice.checked = true; choice.focus(); return true; }
  } else if (event.key === "s" && form) {
    form.requestSubmit();
    return true;
  } else if (event.key === "n") {
    window.location.assign(region.dataset.nextUrl);
    return true;
  } else if (event.key === "Escape" && region.dataset.backUrl) {
    window.location.assign(region.dataset.backUrl);
    return true;
  }
  return false;
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  if (typing(event.target)) return;
  const region = document.querySelector("[data-keys]");
  if (!region) return;
  const handled = region.dataset.keys === "queue" ? queueKeys(region, event) : cardKeys(region, event);
  if (handled) event.preventDefault();
});
