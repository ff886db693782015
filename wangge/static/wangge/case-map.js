/* A small map on the case page: the grid's outline and the case's position. */
(function () {
  "use strict";
  var el = document.getElementById("case-map");
  if (!el || !window.L) { return; }
  var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
  var map = L.map(el, { zoomControl: true, attributionControl: false }).setView([lat, lon], 15);
  if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map); }
  fetch(el.dataset.geojson, { credentials: "same-origin" }).then(function (r) { return r.json(); })
    .then(function (data) {
      var self = data.features.filter(function (f) { return f.properties.role === "self"; });
      var layer = L.geoJSON(self, { style: { color: "#1d4ed8", weight: 2, fillOpacity: 0.12 } }).addTo(map);
      if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { padding: [16, 16] }); }
      L.circleMarker([lat, lon], { radius: 8, color: "#b91c1c", weight: 3, fillColor: "#ef4444", fillOpacity: 0.9 }).addTo(map);
      el.dataset.state = "ready";
    }).catch(function () { el.dataset.state = "error"; });
})();
