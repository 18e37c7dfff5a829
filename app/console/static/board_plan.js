// A plan run with its progress: the form is sent in the background, the run's status is
// polled (queued -> running -> done) and shown as elapsed of the time limit; when it is
// finished the board opens with the run beside the day. Without scripts the form posts.
(function () {
  var form = document.getElementById("plan-form");
  if (!form || !window.fetch) { return; }
  var box = document.getElementById("plan-progress");
  var bar = document.getElementById("plan-progress-bar");
  var text = document.getElementById("plan-progress-text");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      })
      .then(function (started) {
        box.hidden = false;
        function poll() {
          fetch(started.status, { credentials: "same-origin", headers: { "Accept": "application/json" } })
            .then(function (r) { return r.json(); })
            .then(function (run) {
              text.textContent = run.text;
              box.setAttribute("data-state", run.state);
              bar.value = run.finished ? 100 : Math.min(99, 100 * run.elapsed_s / run.limit_s);
              if (run.finished) {
                window.setTimeout(function () { window.location.assign(started.board + "#h-compare"); }, 600);
              } else {
                window.setTimeout(poll, 400);
              }
            });
        }
        poll();
      })
      .catch(function () { button.disabled = false; form.submit(); });
  });
})();
