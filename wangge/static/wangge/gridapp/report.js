/* 网格通 report form: photo, GPS position and its grid, type, description, 自处置.
 * The report is stored in the outbox first, then sent; without network it waits there. */
(function () {
  "use strict";
  var Ga = window.Ga, S = Ga.strings, fmt = Ga.fmt;
  var form = document.getElementById("report-form");
  if (!form) return;
  var $ = function (id) { return document.getElementById(id); };
  var errorBox = $("report-error"), submit = $("report-submit");
  var position = null; // {lon, lat, accuracy}
  var located = null;  // answer of /api/v1/locate
  var clientRef = newRef();
  var maxUpload = Number(form.dataset.maxUpload) || 10485760;

  function newRef() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "r-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function showError(message, focus) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
    if (message && focus) {
      var target = document.getElementById(focus);
      if (target) {
        target.focus({ preventScroll: true });
        (target.closest(".ga-step") || target).scrollIntoView({ block: "start" });
      }
    }
  }

  // --- photos ---------------------------------------------------------------------------------
  var photoStore = { photos: [], result_photos: [] };

  function shrink(file) {
    // big camera photos are scaled down to 1600 px JPEG before they are kept and sent
    if (!file.type || file.type.indexOf("image/") !== 0 || file.size < 1200000 || !window.createImageBitmap) {
      return Promise.resolve({ blob: file, name: file.name });
    }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? { blob: blob, name: (file.name || "photo").replace(/\.\w+$/, "") + ".jpg" }
                       : { blob: file, name: file.name });
        }, "image/jpeg", 0.82);
      });
    }).catch(function () { return { blob: file, name: file.name }; });
  }

  function bindPhotos(inputId, previewId, key) {
    var input = $(inputId), preview = $(previewId);
    if (!input) return;
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      Promise.all(files.map(shrink)).then(function (shrunk) {
        shrunk.forEach(function (p) {
          if (p.blob.size > maxUpload) {
            showError(fmt(S.refused, { message: (p.name || "") + " > " + Math.round(maxUpload / 1048576) + " MB" }));
            return;
          }
          photoStore[key].push(p);
        });
        input.value = "";
        render(preview, key);
      });
    });
  }

  function render(preview, key) {
    preview.textContent = "";
    photoStore[key].forEach(function (p, index) {
      var figure = document.createElement("figure");
      var img = document.createElement("img");
      img.alt = "";
      img.src = URL.createObjectURL(p.blob);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "ga-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", S["delete"] + " " + (index + 1));
      remove.addEventListener("click", function () {
        photoStore[key].splice(index, 1);
        render(preview, key);
      });
      figure.appendChild(img);
      figure.appendChild(remove);
      preview.appendChild(figure);
    });
  }

  bindPhotos("photos", "photo-previews", "photos");
  bindPhotos("result_photos", "result-previews", "result_photos");

  // --- position -------------------------------------------------------------------------------
  var locStatus = $("loc-status"), gridSelect = $("grid");

  function setLoc(text, state) {
    locStatus.textContent = text;
    locStatus.dataset.state = state;
  }

  function locate() {
    if (!navigator.geolocation) { setLoc(S.gps_unsupported, "error"); return; }
    setLoc(S.locating, "busy");
    navigator.geolocation.getCurrentPosition(function (pos) {
      position = { lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy };
      lookUpGrid();
    }, function (error) {
      position = null;
      setLoc(fmt(S.no_gps, { reason: error.message || error.code }), "error");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }

  function lookUpGrid() {
    var where = position.lon.toFixed(6) + ", " + position.lat.toFixed(6);
    var accuracy = position.accuracy ? " · " + fmt(S.accuracy, { m: Math.round(position.accuracy) }) : "";
    if (navigator.onLine === false) { located = null; setLoc(S.locate_offline + " (" + where + ")", "pending"); return; }
    fetch("/api/v1/locate?lon=" + position.lon + "&lat=" + position.lat + "&crs=wgs84",
          { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (answer) {
        located = answer;
        if (answer.inside) {
          setLoc(fmt(S.located, { name: answer.grid_name }) + " (" + answer.grid_code + ")" + accuracy, "ok");
        } else {
          setLoc(S.outside + " " + answer.message, "error");
        }
      })
      .catch(function () { located = null; setLoc(S.locate_offline + " (" + where + ")", "pending"); });
  }

  $("loc-retry").addEventListener("click", locate);

  // --- categories -----------------------------------------------------------------------------
  var search = $("cat-search"), list = $("cat-list"), empty = $("cat-empty"), chosen = $("cat-selected");
  var labels = Array.prototype.slice.call(list.querySelectorAll(".ga-cat"));
  search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase(), shown = 0;
    labels.forEach(function (label) {
      var hit = !q || label.dataset.search.toLowerCase().indexOf(q) !== -1;
      label.hidden = !hit;
      if (hit) shown += 1;
    });
    empty.hidden = shown > 0;
    empty.textContent = shown ? "" : fmt(S.no_match, { q: search.value.trim() });
  });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {   // Enter picks the first match
      event.preventDefault();
      var first = labels.filter(function (l) { return !l.hidden; })[0];
      if (first) { first.querySelector("input").checked = true; first.querySelector("input").focus(); showChosen(); }
    }
  });
  function selectedCategory() { return form.querySelector("input[name=category]:checked"); }
  function showChosen() {
    var input = selectedCategory();
    chosen.textContent = input ? fmt(S.selected, { name: input.dataset.name }) : "";
    labels.forEach(function (l) { l.classList.toggle("is-checked", l.querySelector("input").checked); });
  }
  list.addEventListener("change", showChosen);

  // --- 自处置 -----------------------------------------------------------------------------------
  var selfBox = $("self_handled");
  if (selfBox) selfBox.addEventListener("change", function () { $("self-fields").hidden = !selfBox.checked; });

  // --- submit ---------------------------------------------------------------------------------
  function validate() {
    if (!selectedCategory()) return [S.need_category, "cat-search"];
    if (!$("description").value.trim()) return [S.need_description, "description"];
    if (!position && !gridSelect.value) return [S.need_location, "grid"];
    if (position && located && !located.inside && !gridSelect.value) return [S.need_location, "grid"];
    if (selfBox && selfBox.checked) {
      if (!$("resolution").value.trim()) return [S.need_resolution, "resolution"];
      if (!photoStore.result_photos.length) return [S.need_result_photo, "result_photos"];
    }
    return null;
  }

  function buildItem() {
    var self = !!(selfBox && selfBox.checked);
    var fields = { category: selectedCategory().value, description: $("description").value.trim(),
                   address: $("address").value.trim(), source: "patrol", self_handled: self ? "true" : "false",
                   resolution: self ? $("resolution").value.trim() : "" };
    var usePoint = position && !(located && !located.inside) && !gridSelect.value;
    if (usePoint) {
      fields.lon = position.lon.toFixed(7); fields.lat = position.lat.toFixed(7); fields.crs = "wgs84";
    } else {
      fields.grid = gridSelect.value;
    }
    return { client_ref: clientRef, created_at: Date.now(), user: document.body.dataset.user,
             category_name: selectedCategory().dataset.name, fields: fields, state: "pending",
             photos: photoStore.photos.slice(), result_photos: self ? photoStore.result_photos.slice() : [] };
  }

  function done(text) {
    form.hidden = true;
    $("report-done-text").textContent = text;
    $("report-done").hidden = false;
    $("report-done").focus();
    window.scrollTo(0, 0);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var problem = validate();
    if (problem) { showError(problem[0], problem[1]); return; }
    showError("");
    submit.disabled = true;
    submit.textContent = S.sending;
    var item = buildItem();
    window.WanggeOutbox.put(item).then(function () {
      if (navigator.onLine === false) return { state: "offline" };
      return window.WanggeOutbox.sendOne(item.client_ref, Ga.options);
    }).then(function (result) {
      if (result.state === "sent" || result.state === "gone") {
        var number = result.case && result.case.number ? result.case.number : "";
        done(fmt(item.fields.self_handled === "true" ? S.sent_self : S.sent, { number: number }));
      } else if (result.state === "refused") {
        // the server said no: the form still holds everything; fix it and send again
        return window.WanggeOutbox.remove(item.client_ref).then(function () {
          showError(result.message, null);
          errorBox.scrollIntoView({ block: "center" });
        });
      } else if (result.state === "auth") {
        Ga.registerSync();
        done(S.login_again);
      } else {
        Ga.registerSync();
        done(result.state === "server" ? S.server_busy : S.saved_offline);
      }
    }).catch(function (error) {
      showError(String(error && error.message || error), null);
    }).then(function () {
      submit.disabled = false;
      submit.textContent = submit.dataset.label;
      Ga.refreshQueue();
    });
  });
  submit.dataset.label = submit.textContent;

  $("report-again").addEventListener("click", function () {
    form.reset();
    photoStore.photos = []; photoStore.result_photos = [];
    render($("photo-previews"), "photos");
    if ($("result-previews")) render($("result-previews"), "result_photos");
    if ($("self-fields")) $("self-fields").hidden = true;
    labels.forEach(function (l) { l.hidden = false; });
    showChosen();
    clientRef = newRef();
    $("report-done").hidden = true;
    form.hidden = false;
    locate();
    $("photos").focus();
  });

  locate();
})();
