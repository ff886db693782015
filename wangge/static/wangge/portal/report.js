/* The resident's report form: photos (camera or gallery, made smaller before sending), the place
   (GPS, or a tap on a lazily loaded Leaflet map of the grid outlines), and a searchable type list.
   Everything also works as a plain form; this only makes it quicker. Texts come from data-t-*. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var d = form.dataset;
  var maxPhotos = parseInt(d.maxPhotos || "3", 10);

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) { node.textContent = text; }
    return node;
  }

  /* --- photos ------------------------------------------------------------------------------ */
  var camera = $("photo-camera"), gallery = $("photo-gallery"), list = $("photo-list");
  var photos = [], busy = 0, submitWhenReady = false;
  var canMerge = typeof DataTransfer === "function";

  function shrink(file) {
    // phone photos are several MB: send at most 1600 px, as JPEG (this also drops EXIF/GPS tags)
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || file.size < 1200000 ||
        typeof createImageBitmap !== "function") {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { resolve(file); return; }
          resolve(new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }));
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }

  function syncInputs() {
    if (!canMerge) { return; }
    var dt = new DataTransfer();
    photos.forEach(function (f) { dt.items.add(f); });
    gallery.files = dt.files;
    camera.value = "";
  }

  function render() {
    list.textContent = "";
    photos.forEach(function (file, i) {
      var li = el("li");
      var img = el("img", { alt: file.name });
      img.src = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(img.src); };
      li.appendChild(img);
      if (canMerge) {
        var remove = el("button", { type: "button", "aria-label": d.tRemove + " " + (i + 1) }, "×");
        remove.addEventListener("click", function () {
          photos.splice(i, 1); syncInputs(); render();
          (photos.length ? list.querySelector("button") : gallery.nextElementSibling).focus();
        });
        li.appendChild(remove);
      }
      list.appendChild(li);
    });
  }

  function addPhotos(input) {
    if (!canMerge) { return; }  // old browsers: the inputs are sent as they are
    var picked = Array.prototype.slice.call(input.files || []);
    if (photos.length + picked.length > maxPhotos) {
      window.alert(d.tTooMany);
      picked = picked.slice(0, Math.max(0, maxPhotos - photos.length));
    }
    busy += 1;
    Promise.all(picked.map(shrink)).then(function (files) {
      photos = photos.concat(files).slice(0, maxPhotos);
      syncInputs(); render();
    }).finally(function () {
      busy -= 1;
      if (!busy && submitWhenReady) { submitWhenReady = false; form.requestSubmit(); }
    });
  }
  camera.addEventListener("change", function () { addPhotos(camera); });
  gallery.addEventListener("change", function () { addPhotos(gallery); });

  /* --- the place ---------------------------------------------------------------------------- */
  var place = $("place"), lonInput = $("id_lon"), latInput = $("id_lat"), crsInput = $("id_crs"),
      gridInput = $("id_grid");
  var map = null, marker = null, checkSeq = 0;

  function say(text, state) {
    place.textContent = text;
    place.className = "p-place" + (state ? " " + state : "");
  }

  function setPoint(lon, lat, crs) {
    lonInput.value = lon.toFixed(6);
    latInput.value = lat.toFixed(6);
    crsInput.value = crs || "wgs84";
    gridInput.value = "";
    if (map) { showMarker(lat, lon); }
    var seq = ++checkSeq;
    say(d.tChecking, "busy");
    var url = d.locateUrl + "?lon=" + encodeURIComponent(lonInput.value) + "&lat=" +
      encodeURIComponent(latInput.value) + "&crs=" + encodeURIComponent(crsInput.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (seq !== checkSeq) { return; }
        say(answer.text, answer.inside ? "ok" : "bad");
      })
      .catch(function () { if (seq === checkSeq) { say(lonInput.value + ", " + latInput.value, "ok"); } });
  }

  $("use-gps").addEventListener("click", function () {
    if (!navigator.geolocation) { say(d.tGpsUnsupported, "bad"); return; }
    say(d.tLocating, "busy");
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.longitude, pos.coords.latitude, "wgs84");  // the Geolocation API is WGS-84
    }, function () {
      say(d.tGpsDenied, "bad");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  function showMarker(lat, lon) {
    if (!marker) {
      marker = window.L.circleMarker([lat, lon], { radius: 9, color: "#fff", weight: 3,
        fillColor: "#c62828", fillOpacity: 1 }).addTo(map);
    } else {
      marker.setLatLng([lat, lon]);
    }
  }

  function loadLeaflet() {
    if (window.L) { return Promise.resolve(); }
    return new Promise(function (resolve, reject) {
      var css = el("link", { rel: "stylesheet", href: d.leafletCss });
      document.head.appendChild(css);
      var script = el("script", { src: d.leafletJs });
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  var mapBox = $("map-box"), canvas = $("pick-map-canvas"), pickButton = $("pick-map");
  var features = [], labels = null;

  function status(text, error) {
    var box = canvas.querySelector(".map-status");
    if (!box) { box = el("div", { class: "map-status", role: "status" }); canvas.appendChild(box); }
    box.textContent = text;
    box.classList.toggle("map-error", !!error);
  }

  function drawLabels() {
    labels.clearLayers();
    if (map.getZoom() < 14) { return; }
    var view = map.getBounds(), shown = 0;
    features.some(function (f) {
      if (view.intersects(f.bounds)) {
        window.L.tooltip({ permanent: true, direction: "center", className: "grid-label",
          interactive: false }).setLatLng(f.bounds.getCenter()).setContent(f.name).addTo(labels);
        shown += 1;
      }
      return shown >= 60;
    });
  }

  function startMap() {
    status(d.tMapLoading);
    loadLeaflet().then(function () {
      var L = window.L;
      map = L.map(canvas, { preferCanvas: true, zoomSnap: 0.5, attributionControl: !!d.tiles });
      if (d.tiles) {
        L.tileLayer(d.tiles, { maxZoom: 19, attribution: d.attribution || "" }).addTo(map);
      }
      labels = L.layerGroup().addTo(map);
      map.on("click", function (e) { setPoint(e.latlng.lng, e.latlng.lat, "wgs84"); });
      map.on("zoomend moveend", drawLabels);
      return fetch(d.gridsUrl, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error(r.status); }
        return r.json();
      }).then(function (data) {
        var layer = L.geoJSON(data, {
          interactive: false,
          style: { color: "#2563eb", weight: 1, fillColor: "#93c5fd", fillOpacity: 0.08 },
          onEachFeature: function (f, lyr) {
            features.push({ name: f.properties.name, area: f.properties.area || "",
              bounds: lyr.getBounds() });
          }
        }).addTo(map);
        canvas.querySelectorAll(".map-status").forEach(function (n) { n.remove(); });
        canvas.dataset.state = "ready";
        var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
        if (!isNaN(lat) && !isNaN(lon) && crsInput.value === "wgs84") {
          map.setView([lat, lon], 16);
          showMarker(lat, lon);
        } else if (layer.getBounds().isValid()) {
          map.fitBounds(layer.getBounds(), { padding: [8, 8] });
        } else {
          map.setView([24.96, 118.39], 10);
        }
      });
    }).catch(function () {
      canvas.dataset.state = "error";
      status(d.tMapError, true);
      if (map) { map.setView([24.96, 118.39], 10); }
    });
  }

  pickButton.addEventListener("click", function () {
    var open = mapBox.hidden;
    mapBox.hidden = !open;
    pickButton.setAttribute("aria-expanded", String(open));
    if (open && !map && canvas.dataset.state === "idle") { canvas.dataset.state = "loading"; startMap(); }
    if (open && map) { map.invalidateSize(); }
    if (open) { mapBox.scrollIntoView({ behavior: "smooth", block: "nearest" }); }
  });

  var mapSearch = $("map-search"), mapResults = $("map-results");
  mapSearch.addEventListener("input", function () {
    var q = mapSearch.value.trim();
    mapResults.textContent = "";
    if (!q) { mapResults.hidden = true; return; }
    var hits = features.filter(function (f) {
      return f.name.indexOf(q) >= 0 || f.area.indexOf(q) >= 0;
    }).slice(0, 8);
    hits.forEach(function (f) {
      var li = el("li"), b = el("button", { type: "button" }, f.name);
      b.appendChild(el("small", {}, f.area));
      b.addEventListener("click", function () {
        map.fitBounds(f.bounds, { padding: [12, 12] });
        var c = f.bounds.getCenter();
        setPoint(c.lng, c.lat, "wgs84");
        mapResults.hidden = true;
        mapSearch.value = "";
      });
      li.appendChild(b);
      mapResults.appendChild(li);
    });
    if (!hits.length) { mapResults.appendChild(el("li", { class: "none" }, d.tNoMatch)); }
    mapResults.hidden = false;
  });

  /* --- the type ----------------------------------------------------------------------------- */
  var select = $("id_category"), chips = form.querySelectorAll(".p-chip");
  var searchBox = $("type-search-box"), search = $("type-search"), results = $("type-results");
  var options = [];
  select.querySelectorAll("optgroup").forEach(function (group) {
    group.querySelectorAll("option").forEach(function (o) {
      options.push({ code: o.value, name: o.textContent, group: group.label });
    });
  });

  function markChips() {
    chips.forEach(function (c) { c.setAttribute("aria-pressed", String(c.dataset.code === select.value)); });
  }
  function choose(code) {
    select.value = code;
    markChips();
    select.removeAttribute("aria-invalid");
  }
  chips.forEach(function (c) { c.addEventListener("click", function () { choose(c.dataset.code); }); });
  select.addEventListener("change", markChips);

  searchBox.hidden = false;
  search.addEventListener("input", function () {
    var q = search.value.trim();
    results.textContent = "";
    if (!q) { results.hidden = true; return; }
    var hits = options.filter(function (o) {
      return o.name.indexOf(q) >= 0 || o.group.indexOf(q) >= 0 ||
        o.name.toLowerCase().indexOf(q.toLowerCase()) >= 0;
    }).slice(0, 12);
    hits.forEach(function (o) {
      var li = el("li"), b = el("button", { type: "button", "data-code": o.code }, o.name);
      b.appendChild(el("small", {}, o.group));
      b.addEventListener("click", function () {
        choose(o.code);
        search.value = "";
        results.hidden = true;
        $("id_description").focus();
      });
      li.appendChild(b);
      results.appendChild(li);
    });
    if (!hits.length) { results.appendChild(el("li", { class: "none" }, d.tNoMatch)); }
    results.hidden = false;
  });

  /* --- sending ------------------------------------------------------------------------------ */
  var send = $("send"), sendLabel = send.textContent;
  form.addEventListener("submit", function (e) {
    var located = (lonInput.value && latInput.value) || gridInput.value;
    if (!located) {
      e.preventDefault();
      say(d.tNoLocation, "bad");
      $("where").scrollIntoView({ behavior: "smooth", block: "start" });
      $("use-gps").focus({ preventScroll: true });
      return;
    }
    if (busy) { e.preventDefault(); submitWhenReady = true; }
    send.disabled = true;
    send.textContent = d.tSending;
  });
  window.addEventListener("pageshow", function () { send.disabled = false; send.textContent = sendLabel; });
})();
