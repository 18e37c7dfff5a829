// Territories on a plain map (tiles only when an operator set a URL): each form's boundary
// textarea is drawn as a polygon and redrawn as it is edited; a click on the map adds a corner
// to the boundary last focused (the new territory's by default).
(function () {
  var el = document.getElementById("territory-map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { attributionControl: false });
  var tiles = document.currentScript.getAttribute("data-tiles");
  if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
  var colours = ["#0b5cad", "#b3261e", "#1e7b34", "#8a4baf", "#c77700", "#00838f"];
  var layers = {};
  var target = document.getElementById("t-boundary-new");
  function corners(text) {
    return text.split(/\n|;/).map(function (line) {
      var p = line.replace(/,/g, " ").trim().split(/\s+/).map(Number);
      return p.length === 2 && !isNaN(p[0]) && !isNaN(p[1]) ? p : null;
    }).filter(Boolean);
  }
  function draw(form, i) {
    var area = form.querySelector("textarea.boundary");
    var name = form.querySelector("input[name=name]").value;
    var key = form.getAttribute("data-territory");
    if (layers[key]) { map.removeLayer(layers[key]); }
    var points = corners(area.value);
    if (points.length < 2) { delete layers[key]; return null; }
    layers[key] = L.polygon(points, { color: colours[i % colours.length] })
      .bindTooltip(name || "+").addTo(map);
    return layers[key].getBounds();
  }
  var forms = Array.prototype.slice.call(document.querySelectorAll("form.territory-form"));
  var bounds = null;
  forms.forEach(function (form, i) {
    var b = draw(form, i);
    if (b) { bounds = bounds ? bounds.extend(b) : b; }
    var area = form.querySelector("textarea.boundary");
    area.addEventListener("input", function () { draw(form, i); });
    area.addEventListener("focus", function () { target = area; });
  });
  if (bounds) { map.fitBounds(bounds, { padding: [20, 20] }); } else { map.setView([48.14, 11.58], 10); }
  map.on("click", function (e) {
    if (!target) { return; }
    var line = e.latlng.lat.toFixed(6) + ", " + e.latlng.lng.toFixed(6);
    target.value = target.value.replace(/\s+$/, "") + (target.value.trim() ? "\n" : "") + line;
    target.dispatchEvent(new Event("input"));
  });
})();
