/* Grid profile map: the area's children coloured by open cases (click to drill down), and for a
   community or a grid the points of buildings, organisations, components and devices as layers. */
(function () {
  "use strict";
  var el = document.getElementById("pf-map");
  if (!el || !window.L) return;
  var config = JSON.parse(document.getElementById("pf-config").textContent);
  var labels = JSON.parse(document.getElementById("pf-labels").textContent);
  var status = document.getElementById("pf-map-status");
  var map = L.map(el, { zoomControl: true, attributionControl: !!config.tileUrl });
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  var COLORS = { buildings: "#2563eb", organisations: "#ea580c", components: "#16a34a", devices: "#9333ea" };

  function say(text) { status.textContent = text; status.hidden = !text; }
  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" }[c];
    });
  }
  function shade(n, max) {
    if (!max || !n) return "#dbeafe";
    var t = n / max;
    return t > 0.66 ? "#1d4ed8" : t > 0.33 ? "#3b82f6" : "#93c5fd";
  }

  fetch(config.mapUrl, { credentials: "same-origin" }).then(function (r) {
    if (!r.ok) throw new Error(r.status);
    return r.json();
  }).then(function (data) {
    var children = data.features.filter(function (f) { return f.properties.role === "child"; });
    var max = Math.max.apply(null, [0].concat(children.map(function (f) { return f.properties.open_cases || 0; })));
    var shapes = L.geoJSON(data, {
      style: function (f) {
        if (f.properties.role === "self") return { color: "#0f172a", weight: 2, fill: false };
        return { color: "#1e3a8a", weight: 1, fillColor: shade(f.properties.open_cases, max), fillOpacity: 0.45 };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        if (p.role !== "child") return;
        layer.bindTooltip("<strong>" + esc(p.name) + "</strong><br>" +
          esc(labels.people) + " " + p.people + " · " + esc(labels.organisations) + " " + p.organisations +
          "<br>" + esc(labels.components) + " " + p.components + " · " + esc(labels.devices) + " " + p.devices +
          "<br>" + esc(labels.open_cases) + " " + p.open_cases + "<br><em>" + esc(labels.click_to_open) + "</em>", { sticky: true });
        layer.on("click", function () { window.location.href = config.areaUrl.replace("CODE", p.code); });
      }
    }).addTo(map);
    var bounds = shapes.getBounds();
    var overlays = {};
    var truncated = false;
    Object.keys(data.layers || {}).forEach(function (name) {
      var layer = data.layers[name];
      truncated = truncated || layer.truncated;
      var group = L.layerGroup(layer.points.map(function (pt) {
        var text = esc(pt.label);
        if (pt.url) text = "<a href=\"" + esc(pt.url) + "\">" + text + "</a>";
        return L.circleMarker([pt.lat, pt.lon], { radius: 5, color: "#fff", weight: 1, fillColor: COLORS[name] || "#334155", fillOpacity: 0.9 })
          .bindPopup(text);
      }));
      group.addTo(map);
      var swatch = "<span style=\"display:inline-block;width:10px;height:10px;border-radius:50%;background:" + (COLORS[name] || "#334155") + "\"></span> ";
      overlays[swatch + esc(labels[name] || name) + " (" + layer.points.length + ")"] = group;
      layer.points.forEach(function (pt) { bounds.extend([pt.lat, pt.lon]); });
    });
    if (Object.keys(overlays).length) L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] }); else map.setView([25, 118.3], 11);
    say(truncated ? labels.truncated : "");
  }).catch(function () {
    map.setView([25, 118.3], 11);
    say(labels.load_failed);
  });
})();
