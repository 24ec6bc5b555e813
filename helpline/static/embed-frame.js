// Inside the schedule's <iframe>: tell the school's page how tall the content is, so the
// frame can fit it (helpline/static/embed.js listens on the school's side).
"use strict";
(function () {
  let last = 0;
  function report() {
    const height = Math.ceil(document.documentElement.scrollHeight);
    if (height === last || window.parent === window) return;
    last = height;
    window.parent.postMessage({ helpline: "schedule-height", height: height }, "*");
  }
  window.addEventListener("load", report);
  window.addEventListener("resize", report);
  if ("ResizeObserver" in window) new ResizeObserver(report).observe(document.body);
  document.addEventListener("DOMContentLoaded", report);
})();
