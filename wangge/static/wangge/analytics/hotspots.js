/* The hot-spot map: H3 hexagons coloured by the number of recent cases, over the grid
   outlines; no background tiles unless MAP_TILE_URL is set. */
(function () {
  "use strict";
  var el = document.getElementById("hex-map");
  if (!el || !window.L) return;
  var status = document.getElementById("hex-status");
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5 });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
  }
  map.setView([24.9, 118.3], 11);

  function colour(n) {
    return n > 20 ? "#7f1d1d" : n > 10 ? "#b91c1c" : n > 5 ? "#ea580c" : n > 2 ? "#f59e0b" : "#fde68a";
  }

  function show(data) {
    var grids = L.geoJSON({ type: "FeatureCollection", features: data.grids || [] }, {
      style: { color: "#94a3b8", weight: 0.6, fill: false },
      interactive: false,
    }).addTo(map);
    var layer = L.featureGroup().addTo(map);
    var byCell = {};
    (data.cells || []).forEach(function (c) {
      var latlngs = c.ring.map(function (p) { return [p[1], p[0]]; });
      var poly = L.polygon(latlngs, {
        color: c.hot ? "#111827" : colour(c.count), weight: c.hot ? 2.5 : 0.8,
        fillColor: colour(c.count), fillOpacity: 0.65,
      });
      poly.bindTooltip(c.count + " " + el.dataset.casesLabel + (c.hot ? " · " + el.dataset.hotLabel : ""));
      poly.addTo(layer);
      byCell[c.cell] = poly;
    });
    var bounds = layer.getLayers().length ? layer.getBounds() : grids.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20] });
    var wanted = window.location.hash.slice(1);
    if (wanted && byCell[wanted]) {
      map.fitBounds(byCell[wanted].getBounds(), { maxZoom: 15 });
      byCell[wanted].openTooltip();
    }
    if (status) status.textContent = (data.cells || []).length ? "" : el.dataset.empty;
  }

  fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(show)
    .catch(function () { if (status) status.textContent = el.dataset.error; });
})();
