// Live updates: on each event of the office stream, fetch this page again and swap in the
// parts marked data-live (the page works without this script; it only saves a reload).
(function () {
  var script = document.currentScript;
  if (!window.EventSource || !script) { return; }
  var kinds = JSON.parse(script.getAttribute("data-kinds"));
  var label = script.getAttribute("data-label");
  var status = document.getElementById("live-status");
  var source = new EventSource(script.getAttribute("data-stream"));
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var next = fresh.querySelector('[data-live="' + el.getAttribute("data-live") + '"]');
          if (next) { el.innerHTML = next.innerHTML; }
        });
        status.textContent = label.replace("%(time)s", new Date().toLocaleTimeString());
      })
      .finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }
  kinds.forEach(function (kind) { source.addEventListener(kind, refresh); });
})();
