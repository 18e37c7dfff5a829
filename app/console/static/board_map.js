// Draws each technician's route on a plain background; tiles only when an operator set a URL.
(function () {
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var routes = JSON.parse(document.getElementById("routes-data").textContent);
  var map = L.map(el, { attributionControl: false });
  var tiles = document.currentScript.getAttribute("data-tiles");
  if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
  var colours = ["#0b5cad", "#b3261e", "#1e7b34", "#8a4baf", "#c77700", "#00838f"];
  var bounds = [];
  routes.forEach(function (r, i) {
    var colour = colours[i % colours.length];
    if (r.route.length > 1) { L.polyline(r.route, { color: colour, weight: 3 }).addTo(map); }
    r.route.forEach(function (p, j) {
      L.circleMarker(p, { radius: 6, color: colour }).bindTooltip(r.name + " #" + (j + 1)).addTo(map);
      bounds.push(p);
    });
    if (r.position) {
      L.circleMarker(r.position, { radius: 9, color: colour, fillOpacity: 0.9 })
        .bindTooltip(r.name).addTo(map);
      bounds.push(r.position);
    }
  });
  if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20] }); } else { map.setView([48.14, 11.58], 10); }
})();
