// Drag a job bar onto another technician's row or another time: the drop fills the "Move a
// job" form (job, technician, start rounded to 5 minutes) and sends it, so the server checks
// it with the same rules as the keyboard form. Listeners sit on the document, so rows
// swapped in by the live refresh keep working.
(function () {
  var form = document.getElementById("move-form");
  if (!form) { return; }
  var dragged = null, grab = 0;
  function track(el) { return el && el.closest ? el.closest("[data-drop-technician]") : null; }
  document.addEventListener("dragstart", function (e) {
    var bar = e.target.closest && e.target.closest("[data-job]");
    if (!bar) { return; }
    dragged = bar.getAttribute("data-job");
    grab = e.clientX - bar.getBoundingClientRect().left;  // the bar's start, not the pointer
    e.dataTransfer.setData("text/plain", dragged);
    e.dataTransfer.effectAllowed = "move";
  });
  document.addEventListener("dragover", function (e) {
    var t = track(e.target);
    if (t && dragged) { e.preventDefault(); e.dataTransfer.dropEffect = "move"; t.classList.add("drop-target"); }
  });
  document.addEventListener("dragleave", function (e) {
    var t = track(e.target);
    if (t) { t.classList.remove("drop-target"); }
  });
  document.addEventListener("drop", function (e) {
    var t = track(e.target);
    if (!t) { return; }
    e.preventDefault();
    var job = dragged || e.dataTransfer.getData("text/plain");
    dragged = null;
    t.classList.remove("drop-target");
    var board = document.getElementById("board");
    var rect = t.getBoundingClientRect();
    var share = Math.max(0, Math.min(1, (e.clientX - grab - rect.left) / rect.width));
    var minutes = Number(board.getAttribute("data-start-hour")) * 60 +
      Math.round(share * Number(board.getAttribute("data-hours")) * 12) * 5;
    var hh = String(Math.floor(minutes / 60)).padStart(2, "0");
    var mm = String(minutes % 60).padStart(2, "0");
    form.querySelector("[name=job]").value = job;
    form.querySelector("[name=technician_id]").value = t.getAttribute("data-drop-technician");
    form.querySelector("[name=start]").value = hh + ":" + mm;
    form.submit();
  });
  document.addEventListener("dragend", function () {
    dragged = null;
    document.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
  });
})();
