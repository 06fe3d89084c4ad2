// pat-graph live view (`pat-graph explore --watch`): asks the loopback server every second
// whether the site was rewritten, and reloads the page when it was, keeping the scroll position
// and what was typed into the filters. Plain DOM, no libraries, no network beyond the server
// that served this page. The static site (`explore --out`) never loads this file.
(function () {
  "use strict";

  var POLL_MS = 1000;
  var KEY = "pat-graph-live:" + location.pathname;
  var script = document.currentScript;
  var generation = Number(script && script.dataset.generation) || 0;
  var failures = 0;

  function fields() {
    return Array.prototype.slice.call(document.querySelectorAll("input[id], select[id]"));
  }

  function remember() {
    var values = {};
    fields().forEach(function (el) { values[el.id] = el.value; });
    var reloads = Number(sessionStorage.getItem("pat-graph-live-reloads") || 0) + 1;
    sessionStorage.setItem("pat-graph-live-reloads", String(reloads));
    sessionStorage.setItem(KEY, JSON.stringify({ x: scrollX, y: scrollY, values: values }));
  }

  function restore() {
    var saved = sessionStorage.getItem(KEY);
    if (!saved) return;
    sessionStorage.removeItem(KEY);
    try { saved = JSON.parse(saved); } catch (e) { return; }
    fields().forEach(function (el) {
      if (!(el.id in saved.values) || el.value === saved.values[el.id]) return;
      el.value = saved.values[el.id];
      el.dispatchEvent(new Event(el.tagName === "SELECT" ? "change" : "input", { bubbles: true }));
    });
    scrollTo(saved.x || 0, saved.y || 0);
  }

  var badge = document.createElement("div");
  badge.id = "live-badge";
  badge.setAttribute("role", "status");
  badge.style.cssText = "position:fixed;right:12px;bottom:12px;padding:4px 10px;" +
    "border-radius:12px;font:12px sans-serif;background:#1f6f43;color:#fff;opacity:.9;z-index:9";
  badge.textContent = "live";
  document.body.appendChild(badge);

  function show(state) {
    var done = 0, total = 0;
    (state.runs || []).forEach(function (r) { done += r.done || 0; total += r.problems || 0; });
    badge.dataset.done = String(done);
    badge.dataset.generation = String(state.generation);
    var when = new Date(state.updated * 1000).toLocaleTimeString();
    badge.textContent = "live \u00b7 " + done + "/" + total + " done \u00b7 updated " + when;
    badge.style.background = "#1f6f43";
  }

  function poll() {
    fetch("/__live/state", { cache: "no-store" }).then(function (response) {
      return response.json();
    }).then(function (state) {
      failures = 0;
      show(state);
      if (state.generation !== generation) {
        remember();
        location.reload();
        return;
      }
      setTimeout(poll, POLL_MS);
    }).catch(function () {
      failures += 1;
      badge.textContent = "live view stopped (is `pat-graph explore --watch` running?)";
      badge.style.background = "#8a1c1c";
      setTimeout(poll, Math.min(10000, POLL_MS * (1 + failures)));
    });
  }

  restore();
  poll();
})();
