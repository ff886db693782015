/* 网格通 patrol: start/stop, a GPS point every ≥10 s or ≥20 m, sent in batches, drawn on a map.
 * Points not yet saved are kept in localStorage, so a lost connection loses nothing. */
(function () {
  "use strict";
  var Ga = window.Ga, S = Ga.strings, fmt = Ga.fmt;
  var $ = function (id) { return document.getElementById(id); };
  var mapEl = $("patrol-map"), api = mapEl.dataset.api;
  var stateEl = $("patrol-state"), statsEl = $("patrol-stats"), errorEl = $("patrol-error");
  var startBtn = $("patrol-start"), stopBtn = $("patrol-stop");
  var MIN_MS = 10000, MIN_M = 20, BATCH = 20, FLUSH_MS = 15000;

  var running = JSON.parse($("patrol-running").textContent);
  var grids = JSON.parse($("patrol-grids").textContent);
  var track = [];       // [lon, lat, ms] drawn for the running patrol
  var watchId = null, timer = null, wakeLock = null, sending = false;

  // --- map ------------------------------------------------------------------------------------
  var map = null, line = null, here = null, gridLayer = null;
  if (window.L) {
    map = L.map(mapEl, { zoomControl: true, attributionControl: !!mapEl.dataset.tiles });
    if (mapEl.dataset.tiles) {
      L.tileLayer(mapEl.dataset.tiles, { attribution: mapEl.dataset.attribution || "", maxZoom: 19 }).addTo(map);
    }
    gridLayer = L.geoJSON(grids, {
      style: { color: "#2563eb", weight: 2, fillColor: "#2563eb", fillOpacity: 0.06 },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name, { className: "area-label" }); }
    });
    // the view first: Leaflet draws vector layers against it
    if (grids.features.length) map.fitBounds(gridLayer.getBounds(), { padding: [12, 12] });
    else map.setView([24.9, 118.2], 12);
    gridLayer.addTo(map);
    line = L.polyline([], { color: "#c62828", weight: 4 }).addTo(map);
    mapEl.dataset.state = "ready";
  } else {
    mapEl.textContent = fmt(S.load_error, { reason: "Leaflet" });
  }

  function draw(points, fit) {
    if (!map) return;
    var latlngs = points.map(function (p) { return [p[1], p[0]]; });
    line.setLatLngs(latlngs);
    if (latlngs.length) {
      var last = latlngs[latlngs.length - 1];
      if (!here) here = L.circleMarker(last, { radius: 7, color: "#fff", weight: 2, fillColor: "#c62828", fillOpacity: 1 }).addTo(map);
      else here.setLatLng(last);
      if (fit) map.fitBounds(line.getBounds(), { padding: [24, 24], maxZoom: 17 });
    }
  }

  // --- helpers --------------------------------------------------------------------------------
  function metres(a, b) {
    var r = 6371008.8, rad = Math.PI / 180;
    var p1 = a[1] * rad, p2 = b[1] * rad, dp = p2 - p1, dl = (b[0] - a[0]) * rad;
    var h = Math.sin(dp / 2) * Math.sin(dp / 2) + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * r * Math.asin(Math.min(1, Math.sqrt(h)));
  }
  function length(points) {
    var total = 0;
    for (var i = 1; i < points.length; i++) total += metres(points[i - 1], points[i]);
    return total;
  }
  function showError(text) { errorEl.textContent = text || ""; errorEl.hidden = !text; }
  function call(method, url, data) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": Ga.csrf(), Accept: "application/json" },
      body: data ? JSON.stringify(data) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return { message: "HTTP " + r.status }; }).then(function (body) {
        if (!r.ok) { var e = new Error(body.message || ("HTTP " + r.status)); e.status = r.status; e.code = body.code; throw e; }
        return body;
      });
    }, function () { var e = new Error(S.network_error); e.status = 0; throw e; });
  }
  function key() { return "ga-patrol-" + running.id; }
  function pending() { try { return JSON.parse(localStorage.getItem(key()) || "[]"); } catch (e) { return []; } }
  function setPending(points) { localStorage.setItem(key(), JSON.stringify(points)); }

  function showStats() {
    if (!running) { statsEl.textContent = ""; return; }
    var started = new Date(running.started_at);
    var minutes = Math.round((Date.now() - started.getTime()) / 60000);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    stateEl.textContent = fmt(S.patrol_running, { time: pad(started.getHours()) + ":" + pad(started.getMinutes()) });
    statsEl.textContent = fmt(S.patrol_points, { n: track.length, km: (length(track) / 1000).toFixed(2), min: minutes });
  }

  // --- recording ------------------------------------------------------------------------------
  function onPosition(pos) {
    var point = [Number(pos.coords.longitude.toFixed(7)), Number(pos.coords.latitude.toFixed(7)), Math.round(pos.timestamp || Date.now())];
    var last = track[track.length - 1];
    if (last && point[2] - last[2] < MIN_MS && metres(last, point) < MIN_M) return;
    if (last && point[2] <= last[2]) return;
    showError("");
    track.push(point);
    var waiting = pending(); waiting.push(point); setPending(waiting);
    draw(track, track.length === 1);
    showStats();
    if (waiting.length >= BATCH) flush();
  }
  function onGpsError(error) { showError(fmt(S.patrol_gps_error, { reason: error.message || error.code })); }

  function flush() {
    if (!running || sending) return Promise.resolve();
    var batch = pending();
    if (!batch.length) return Promise.resolve();
    sending = true;
    return call("POST", api + "/" + running.id + "/points", { points: batch }).then(function () {
      var sent = {}; batch.forEach(function (p) { sent[p[2]] = true; });
      setPending(pending().filter(function (p) { return !sent[p[2]]; }));
    }).catch(function (error) {
      if (error.status === 400) {  // points the server will never take: drop them, say so
        var sent = {}; batch.forEach(function (p) { sent[p[2]] = true; });
        setPending(pending().filter(function (p) { return !sent[p[2]]; }));
        showError(error.message);
      } else if (error.status === 409) {  // the patrol ended elsewhere
        localStorage.removeItem(key()); stopRecording(); running = null; showButtons(); showError(error.message);
      } else {
        showError(fmt(S.patrol_sync_error, { reason: error.message }));
      }
    }).then(function () { sending = false; });
  }

  function startRecording() {
    if (!navigator.geolocation) { showError(fmt(S.patrol_gps_error, { reason: "—" })); return; }
    stateEl.textContent = S.patrol_gps_wait;
    watchId = navigator.geolocation.watchPosition(onPosition, onGpsError, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
    timer = setInterval(function () { flush(); showStats(); }, FLUSH_MS);
    if (navigator.wakeLock && navigator.wakeLock.request) {
      navigator.wakeLock.request("screen").then(function (lock) { wakeLock = lock; }).catch(function () {});
    }
    showStats();
  }
  function stopRecording() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    if (timer) clearInterval(timer);
    watchId = timer = null;
    if (wakeLock) { wakeLock.release().catch(function () {}); wakeLock = null; }
  }
  function showButtons() {
    startBtn.hidden = !!running; stopBtn.hidden = !running;
    (running ? stopBtn : startBtn).focus({ preventScroll: true });
  }

  startBtn.addEventListener("click", function () {
    startBtn.disabled = true; showError("");
    call("POST", api).then(function (patrol) {
      running = patrol; track = []; draw(track);
      showButtons(); startRecording();
    }).catch(function (error) { showError(error.message); })
      .then(function () { startBtn.disabled = false; });
  });

  stopBtn.addEventListener("click", function () {
    stopBtn.disabled = true; showError("");
    var batch = pending();
    call("POST", api + "/" + running.id + "/stop", { points: batch }).then(function (patrol) {
      localStorage.removeItem(key());
      stopRecording();
      running = null;
      track = patrol.points || [];
      draw(track, true);
      statsEl.textContent = "";
      stateEl.textContent = fmt(S.patrol_stopped, { km: (patrol.distance_m / 1000).toFixed(2), min: Math.round(patrol.duration_s / 60) });
      showButtons();
    }).catch(function (error) { showError(error.status === 0 ? fmt(S.patrol_sync_error, { reason: error.message }) : error.message); })
      .then(function () { stopBtn.disabled = false; });
  });

  // a past patrol: draw its track
  Array.prototype.forEach.call(document.querySelectorAll(".ga-patrol-row"), function (button) {
    button.addEventListener("click", function () {
      if (running) return;
      showError("");
      call("GET", api + "/" + button.dataset.id).then(function (patrol) {
        track = patrol.points || [];
        if (!track.length) { showError(S.patrol_none); }
        draw(track, true);
        stateEl.textContent = button.textContent;
      }).catch(function (error) { showError(fmt(S.load_error, { reason: error.message })); });
    });
  });

  window.addEventListener("online", flush);
  window.addEventListener("pagehide", function () { flush(); });

  if (running) {
    // continue the patrol that is running (the page was reloaded or reopened)
    var saved = running.points || [], seen = {};
    saved.forEach(function (p) { seen[p[2]] = true; });
    track = saved.concat(pending().filter(function (p) { return !seen[p[2]]; }));
    track.sort(function (a, b) { return a[2] - b[2]; });
    draw(track, true);
    startRecording();
    flush();
  }
})();
