/* The cockpit's early-warning strip: the open warnings inside the area on screen, from the
   analytics JSON, refreshed every minute. */
(function () {
  "use strict";
  var box = document.getElementById("ck-warnings");
  if (!box) { return; }
  var list = document.getElementById("ck-warnings-list");
  var count = document.getElementById("ck-warnings-count");
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function load() {
    // a refresh by itself, not the user's activity (the session's idle timeout runs on)
    fetch(box.dataset.url, { credentials: "same-origin", headers: { "X-Wangge-Background": "1" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var mine = data.warnings.filter(function (w) { return !w.resolved && w.area.code.indexOf(box.dataset.prefix) === 0; });
        count.textContent = String(mine.length);
        list.innerHTML = mine.slice(0, 6).map(function (w) {
          return '<li class="ck-w-' + esc(w.kind) + '"><a href="' + esc(w.url) + '">' + esc(w.kind_label) + " · " + esc(w.title) + "</a></li>";
        }).join("");
        box.hidden = mine.length === 0;
        box.dataset.state = "ready";
      })
      .catch(function () { box.dataset.state = "error"; });
  }
  load();
  setInterval(load, 60000);
})();
