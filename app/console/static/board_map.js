// Each technician's route and last position, and the job sites coloured by state (the legend
// on the page uses the same colours); tiles only when an operator set a tile URL.
(function () {
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var routes = JSON.parse(document.getElementById("routes-data").textContent);
  var colours = JSON.parse(document.getElementById("state-colours").textContent);
  var map = L.map(el, { attributionControl: false });
  var tiles = document.currentScript.getAttribute("data-tiles");
  if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
  var lines = ["#0b5cad", "#b3261e", "#1e7b34", "#8a4baf", "#c77700", "#00838f"];
  var bounds = [];
  routes.forEach(function (r, i) {
    var colour = lines[i % lines.length];
    if (r.route.length > 1) {
      L.polyline(r.route, { color: colour, weight: 3, opacity: 0.7 }).bindTooltip(r.name).addTo(map);
      r.route.forEach(function (p) { bounds.push(p); });
    }
    r.sites.forEach(function (s) {
      L.circleMarker(s.at, { radius: s.highlight ? 11 : 7, color: s.highlight ? "#f0a500" : "#1b1f24",
                             weight: s.highlight ? 4 : 1, fillColor: colours[s.state], fillOpacity: 0.9,
                             className: "site site-" + s.state })
        .bindTooltip(s.label).addTo(map);
      bounds.push(s.at);
    });
    if (r.position) {
      L.circleMarker(r.position, { radius: 9, color: "#fff", weight: 2, fillColor: "#12263f",
                                   fillOpacity: 1, className: "position" })
        .bindTooltip(r.name).addTo(map);
      bounds.push(r.position);
    }
  });
  if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20] }); } else { map.setView([48.14, 11.58], 10); }
})();
