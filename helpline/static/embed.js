// On the school's site, beside the <iframe data-helpline-schedule>: the frame takes the
// height its content reports (postMessage from helpline/static/embed-frame.js), so the
// schedule is never cut and never leaves an empty box, on a phone or on a wide screen.
"use strict";
(function () {
  const origin = new URL(document.currentScript.src).origin;
  window.addEventListener("message", (event) => {
    if (event.origin !== origin || !event.data || event.data.helpline !== "schedule-height") return;
    const height = Number(event.data.height);
    if (!Number.isFinite(height) || height <= 0 || height > 20000) return;
    document.querySelectorAll("iframe[data-helpline-schedule]").forEach((frame) => {
      if (frame.contentWindow === event.source) frame.style.height = height + "px";
    });
  });
})();
