/* 网格通: what every page does: the service worker, the network state, the offline queue. */
(function () {
  "use strict";
  var body = document.body;
  var strings = JSON.parse(document.getElementById("ga-strings").textContent);

  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_, key) {
      return values && values[key] !== undefined ? values[key] : "";
    });
  }

  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  var options = { sessionUrl: body.dataset.session, casesUrl: body.dataset.casesApi };
  if (window.WanggeOutbox) window.WanggeOutbox.setSession({ csrf: csrf(), user: body.dataset.user });

  // --- service worker -------------------------------------------------------------------------
  var registration = null;
  if ("serviceWorker" in navigator && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: "/m/" }).then(function (reg) {
      registration = reg;
    }).catch(function () { /* the app works without it, only not offline */ });
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-changed") refreshQueue();
    });
  }

  function registerSync() {
    if (!("serviceWorker" in navigator)) return Promise.resolve(false);
    return navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync && reg.sync.register) return reg.sync.register("wangge-outbox").then(function () { return true; });
      return false;
    }).catch(function () { return false; });
  }

  // --- network state --------------------------------------------------------------------------
  var netState = document.getElementById("net-state");
  function showNet() {
    if (!netState) return;
    var offline = navigator.onLine === false;
    netState.hidden = !offline;
    netState.textContent = offline ? strings.offline_short : "";
    netState.title = offline ? strings.offline : "";
    body.classList.toggle("is-offline", offline);
  }

  // --- the queue -----------------------------------------------------------------------------
  var badge = document.getElementById("queue-badge");
  var card = document.getElementById("queue");

  function itemLabel(item) {
    var when = new Date(item.created_at);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (item.category_name || item.fields.category) + " · " + pad(when.getMonth() + 1) + "-" +
      pad(when.getDate()) + " " + pad(when.getHours()) + ":" + pad(when.getMinutes());
  }

  function refreshQueue() {
    if (!window.WanggeOutbox) return Promise.resolve([]);
    return window.WanggeOutbox.all().then(function (items) {
      var mine = items.filter(function (i) { return !i.user || i.user === body.dataset.user; });
      var text = fmt(strings.queued, { n: mine.length });
      if (badge) { badge.hidden = mine.length === 0; badge.textContent = text; }
      if (card) {
        card.hidden = mine.length === 0;
        document.getElementById("queue-count").textContent = text;
        var list = document.getElementById("queue-list");
        list.textContent = "";
        mine.forEach(function (item) {
          var li = document.createElement("li");
          li.className = "ga-queue-item" + (item.state === "refused" ? " is-refused" : "");
          var label = document.createElement("span");
          label.textContent = itemLabel(item);
          li.appendChild(label);
          if (item.state === "refused") {
            var err = document.createElement("span");
            err.className = "ga-queue-error";
            err.textContent = fmt(strings.refused, { message: item.error });
            li.appendChild(err);
            var del = document.createElement("button");
            del.type = "button";
            del.className = "ga-btn ga-btn-small ga-btn-secondary";
            del.textContent = strings["delete"];
            del.addEventListener("click", function () {
              if (window.confirm(strings.confirm_delete)) {
                window.WanggeOutbox.remove(item.client_ref).then(refreshQueue);
              }
            });
            li.appendChild(del);
          }
          list.appendChild(li);
        });
      }
      return mine;
    }).catch(function () { return []; });
  }

  var flushing = null;
  function flushNow(includeRefused) {
    if (!window.WanggeOutbox) return Promise.resolve(null);
    if (navigator.onLine === false) return refreshQueue().then(function () { return null; });
    if (flushing) return flushing;
    var note = document.getElementById("queue-note");
    flushing = window.WanggeOutbox.flush({ sessionUrl: options.sessionUrl, casesUrl: options.casesUrl,
                                           includeRefused: !!includeRefused })
      .then(function (result) {
        if (note) {
          note.textContent = result.stopped === "auth" ? strings.login_again
            : result.stopped === "server" ? strings.server_busy
            : result.stopped === "offline" ? strings.offline : "";
        }
        return refreshQueue().then(function () {
          document.dispatchEvent(new CustomEvent("ga:flushed", { detail: result }));
          return result;
        });
      })
      .catch(function () { return null; })
      .then(function (result) { flushing = null; return result; });
    return flushing;
  }

  window.addEventListener("online", function () { showNet(); flushNow(); });
  window.addEventListener("offline", function () { showNet(); refreshQueue(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") flushNow();
  });
  var sendButton = document.getElementById("queue-send");
  if (sendButton) sendButton.addEventListener("click", function () { flushNow(true); });

  // on the home page, the counts change when queued reports went out
  document.addEventListener("ga:flushed", function (event) {
    var sent = event.detail && event.detail.sent ? event.detail.sent : [];
    var reported = document.getElementById("count-reported");
    if (reported && sent.length) {
      reported.textContent = String(Number(reported.textContent) + sent.length);
      var selfCount = document.getElementById("count-self");
      var selfHandled = sent.filter(function (c) { return c && c.self_handled; }).length;
      if (selfCount && selfHandled) selfCount.textContent = String(Number(selfCount.textContent) + selfHandled);
    }
  });

  // logging out: forget the pages kept for offline use (they show this worker's data)
  var logout = document.getElementById("logout-form");
  if (logout) logout.addEventListener("submit", function () {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "logout" });
    }
  });

  showNet();
  refreshQueue().then(function () { flushNow(); });

  window.Ga = { strings: strings, fmt: fmt, csrf: csrf, options: options, refreshQueue: refreshQueue,
                flushNow: flushNow, registerSync: registerSync, showNet: showNet };
})();
