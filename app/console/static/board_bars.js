// Places the Gantt's bars from their data-left/data-width (percent of the day). The page's
// stylesheet places the bars it was served with; rows swapped in by the live refresh get
// their places here (the page's policy refuses style attributes, not script-set styles).
(function () {
  var board = document.getElementById("board");
  if (!board) { return; }
  function place() {
    board.querySelectorAll("[data-left]").forEach(function (el) {
      el.style.left = el.getAttribute("data-left") + "%";
      if (el.hasAttribute("data-width")) { el.style.width = el.getAttribute("data-width") + "%"; }
    });
  }
  place();
  new MutationObserver(place).observe(board, { childList: true, subtree: true });
})();
