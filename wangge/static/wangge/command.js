/* Command center: the live map (grids shaded by open/overdue cases, clustered case markers),
   the sound and banner cue for new urgent reports, and the "do not file" prompt. */
(function () {
  "use strict";
  // Panels that poll by themselves (hx-trigger "every …": the queue, the boards) mark their
  // requests as background: the server serves them but does not count them as the user's
  // activity, so a command screen left alone still reaches the session's idle timeout.
  // Requests of the buttons inside those panels are the user's and stay unmarked.
  document.addEventListener("htmx:configRequest", function (event) {
    var trigger = event.detail.elt && event.detail.elt.getAttribute &&
      event.detail.elt.getAttribute("hx-trigger");
    if (trigger && /(^|[\s,])every\s/.test(trigger)) {
      event.detail.headers["X-Wangge-Background"] = "1";
    }
  });
  var queue = document.getElementById("queue");
  var banner = document.getElementById("urgent-banner");
  var toggle = document.getElementById("sound-toggle");
  var soundOn = false;
  var seen = null; // numbers of urgent reports already announced
  var audio = null;

  function beep() {
    if (!soundOn) { return; }
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.25].forEach(function (offset) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.2, audio.currentTime + offset);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + offset + 0.2);
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(audio.currentTime + offset); osc.stop(audio.currentTime + offset + 0.2);
      });
    } catch (e) { /* no audio device: the banner still shows */ }
  }

  if (toggle) {
    toggle.addEventListener("click", function () {
      soundOn = !soundOn;
      toggle.setAttribute("aria-pressed", soundOn ? "true" : "false");
      toggle.textContent = (soundOn ? queue.dataset.soundOn : queue.dataset.soundOff);
      if (soundOn) { beep(); }
    });
  }

  function checkUrgent() {
    var items = queue.querySelectorAll(".queue-item[data-urgency=urgent], .queue-item[data-urgency=critical]");
    var numbers = Array.prototype.map.call(items, function (li) { return li.dataset.number; });
    if (seen === null) { seen = new Set(numbers); return; }
    var fresh = numbers.filter(function (n) { return !seen.has(n); });
    numbers.forEach(function (n) { seen.add(n); });
    if (fresh.length) {
      banner.hidden = false;
      banner.textContent = queue.dataset.urgentText + ": " + fresh.join(", ");
      banner.dataset.numbers = fresh.join(",");
      document.title = "🔴 " + document.title.replace(/^🔴 /, "");
      fresh.forEach(function (n) {
        var li = queue.querySelector('[data-number="' + n + '"]');
        if (li) { li.classList.add("flash-new"); }
      });
      beep();
    }
  }
  if (queue) {
    queue.addEventListener("htmx:afterSwap", checkUrgent);
    queue.addEventListener("click", function (event) {
      var button = event.target.closest("[data-reject]");
      if (!button) { return; }
      var reason = window.prompt(button.dataset.prompt);
      if (!reason) { return; }
      window.htmx.ajax("POST", button.dataset.reject, {
        target: "#queue", swap: "innerHTML",
        values: { note: reason, version: button.dataset.version,
                  csrfmiddlewaretoken: button.form.querySelector("[name=csrfmiddlewaretoken]").value }
      });
    });
  }
  if (banner) {
    banner.addEventListener("click", function () { banner.hidden = true; document.title = document.title.replace(/^🔴 /, ""); });
  }

  // --- the map ------------------------------------------------------------------------------
  var el = document.getElementById("command-map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { preferCanvas: true, maxZoom: 19, attributionControl: !!el.dataset.tiles });
  if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map); }
  var gridLayer = null, caseLayer = null, fitted = false;
  var colours = { red: "#dc2626", yellow: "#f59e0b", green: "#16a34a", none: "#64748b" };

  function shade(load) {
    if (!load) { return { fillColor: "#e2e8f0", fillOpacity: 0.35 }; }
    if (load.overdue) { return { fillColor: "#dc2626", fillOpacity: Math.min(0.25 + load.overdue * 0.12, 0.7) }; }
    return { fillColor: "#f59e0b", fillOpacity: Math.min(0.2 + load.open * 0.08, 0.6) };
  }

  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }

  function load() {
    fetch(el.dataset.url, { credentials: "same-origin", headers: { "X-Wangge-Background": "1" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        if (gridLayer) { map.removeLayer(gridLayer); }
        gridLayer = L.geoJSON({ type: "FeatureCollection", features: data.grids }, {
          style: function (f) {
            var s = shade(data.load[f.properties.code]);
            return { color: "#94a3b8", weight: 0.6, fillColor: s.fillColor, fillOpacity: s.fillOpacity };
          },
          onEachFeature: function (f, layer) {
            var l = data.load[f.properties.code] || { open: 0, overdue: 0 };
            layer.bindTooltip(esc(f.properties.name) + "<br>" + l.open + " " + el.dataset.openLabel + " · " + l.overdue + " " + el.dataset.overdueLabel, { sticky: true });
          }
        }).addTo(map);
        if (caseLayer) { map.removeLayer(caseLayer); }
        caseLayer = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 45 });
        data.cases.forEach(function (c) {
          var marker = L.circleMarker([c.y, c.x], { radius: 7, weight: 2, color: "#fff", fillColor: colours[c.l] || colours.none, fillOpacity: 0.95 });
          marker.bindTooltip(esc(c.n) + " " + esc(c.c) + "<br>" + esc(c.s));
          marker.on("click", function () { window.location.href = el.dataset.caseUrl.replace("NUMBER", c.n); });
          caseLayer.addLayer(marker);
        });
        map.addLayer(caseLayer);
        if (!fitted && gridLayer.getBounds().isValid()) { map.fitBounds(gridLayer.getBounds()); fitted = true; }
        el.dataset.state = "ready";
        el.dataset.cases = String(data.cases.length);
      })
      .catch(function (err) {
        if (window.console) { console.error("map", err); }
        el.dataset.state = "error";
        if (!fitted) { map.setView([24.96, 118.39], 10); }
        var note = document.createElement("div");
        note.className = "map-status map-error";
        note.textContent = el.dataset.error;
        el.appendChild(note);
      });
  }
  load();
  setInterval(load, 60000);
})();
