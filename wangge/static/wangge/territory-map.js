/* The territory map: the current area's outline and its children, clickable for drill-down.
   No tiles are requested unless a tile URL is configured (intranet use). */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var palette = ["#2f6fde", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#dc2626", "#4d7c0f", "#c026d3"];
  var map = L.map(el, { zoomSnap: 0.25, preferCanvas: true, attributionControl: !!el.dataset.tiles });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
  }
  var status = document.createElement("div");
  status.className = "map-status";
  status.setAttribute("role", "status");
  status.textContent = el.dataset.loading;
  el.appendChild(status);
  var rows = {};
  document.querySelectorAll("#children tbody tr").forEach(function (tr) { rows[tr.dataset.code] = tr; });

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      status.remove();
      data.features.forEach(function (f, k) { f.properties.colour = palette[k % palette.length]; });
      var labelled = data.features.length <= 40 && data.features.every(function (f) {
        return f.properties.role !== "sibling";
      });
      var layer = L.geoJSON(data, {
        style: function (f) {
          if (f.properties.role === "self") {
            return f.properties.level === "grid" || f.properties.level === "subgrid"
              ? { color: "#1d4ed8", weight: 3, fillColor: "#3b82f6", fillOpacity: 0.35 }
              : { color: "#1e293b", weight: 2.5, fill: false, dashArray: "6 4" };
          }
          if (f.properties.role === "sibling") {
            return { color: "#94a3b8", weight: 1, fillColor: "#cbd5e1", fillOpacity: 0.35 };
          }
          return { color: "#ffffff", weight: 1.2, fillColor: f.properties.colour, fillOpacity: 0.45 };
        },
        onEachFeature: function (f, lyr) {
          var p = f.properties;
          if (p.role === "self") { return; }
          if (labelled) {
            lyr.bindTooltip(escapeHtml(p.name), { permanent: true, direction: "center", className: "area-label" });
          } else {
            lyr.bindTooltip(escapeHtml(p.name) + "<br><span class=\"mono\">" + p.code + "</span>", { sticky: true });
          }
          lyr.on("click", function () { window.location.href = p.url; });
          lyr.on("mouseover", function () {
            lyr.setStyle({ weight: 3, color: "#0f172a" });
            if (rows[p.code]) { rows[p.code].classList.add("hover"); }
          });
          lyr.on("mouseout", function () {
            layer.resetStyle(lyr);
            if (rows[p.code]) { rows[p.code].classList.remove("hover"); }
          });
        }
      }).addTo(map);
      el.dataset.features = String(data.features.length);
      el.dataset.state = "ready";
      var bounds = layer.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12] }); } else { map.setView([24.96, 118.39], 10); }
    })
    .catch(function () {
      el.dataset.state = "error";
      status.textContent = el.dataset.error;
      status.classList.add("map-error");
      map.setView([24.96, 118.39], 10);
    });

  var filter = document.getElementById("child-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      Object.keys(rows).forEach(function (code) {
        var tr = rows[code];
        tr.hidden = q !== "" && tr.dataset.text.toLowerCase().indexOf(q) === -1;
      });
    });
  }
})();
