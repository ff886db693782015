/* 网格通 offline outbox: reports kept in IndexedDB (photos as Blobs) until the server answers 201.
 * Used by the pages and by the service worker (no DOM here). Every report carries a client_ref
 * (a UUID): the server answers a repeated one with the case it made the first time, so a report
 * is never made twice, whatever happens to the network between sending and the answer. */
(function (root) {
  "use strict";
  var DB = "wangge-gridapp", STORE = "outbox", VERSION = 1;
  var dbPromise = null;

  function open() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var request = root.indexedDB.open(DB, VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains(STORE)) {
          db.createObjectStore(STORE, { keyPath: "client_ref" });
        }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { dbPromise = null; reject(request.error); };
    });
    return dbPromise;
  }

  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), result;
        var store = t.objectStore(STORE);
        var request = work(store);
        if (request) request.onsuccess = function () { result = request.result; };
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }

  function put(item) { return tx("readwrite", function (s) { return s.put(item); }); }
  function get(ref) { return tx("readonly", function (s) { return s.get(ref); }); }
  function remove(ref) { return tx("readwrite", function (s) { return s.delete(ref); }); }
  function all() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created_at - b.created_at; });
    });
  }

  function formData(item) {
    var data = new FormData();
    Object.keys(item.fields).forEach(function (key) {
      var value = item.fields[key];
      if (value !== null && value !== undefined && value !== "") data.append(key, String(value));
    });
    data.append("client_ref", item.client_ref);
    (item.photos || []).forEach(function (p, i) { data.append("photos", p.blob, p.name || ("photo" + i + ".jpg")); });
    (item.result_photos || []).forEach(function (p, i) { data.append("result_photos", p.blob, p.name || ("result" + i + ".jpg")); });
    return data;
  }

  var session = null; // {csrf, user}, fetched from the server when not given

  function getSession(url, force) {
    if (session && !force) return Promise.resolve(session);
    return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.status === 401) { var e = new Error("unauthenticated"); e.kind = "auth"; throw e; }
      if (!r.ok) { var e2 = new Error("HTTP " + r.status); e2.kind = "server"; throw e2; }
      return r.json();
    }).then(function (data) { session = data; return data; });
  }

  function setSession(data) { session = data; }

  /* Send one item. Resolves {state: "sent", case} | {state: "offline"} | {state: "auth"} |
   * {state: "server"} | {state: "refused", message}. Removes the item only after a 201. */
  function send(item, options) {
    return getSession(options.sessionUrl).then(function (s) {
      if (item.user && s.user && item.user !== s.user) {
        return { state: "other_user" };
      }
      var attempt = function (token) {
        return fetch(options.casesUrl, {
          method: "POST", body: formData(item), credentials: "same-origin",
          headers: { "X-CSRFToken": token, "Accept": "application/json" }
        });
      };
      return attempt(s.csrf).then(function (response) {
        if (response.status === 403 && !(response.headers.get("Content-Type") || "").includes("json")) {
          // a CSRF failure (the token changed with a new login): fetch a fresh one, once
          return getSession(options.sessionUrl, true).then(function (fresh) { return attempt(fresh.csrf); });
        }
        return response;
      }).then(function (response) { return outcome(item, response); });
    }).catch(function (error) {
      if (error && error.kind === "auth") return { state: "auth" };
      if (error && error.kind === "server") return { state: "server" };
      return { state: "offline" };
    });
  }

  function outcome(item, response) {
    if (response.status === 201) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return remove(item.client_ref).then(function () { return { state: "sent", case: body }; });
      });
    }
    if (response.status === 401) return { state: "auth" };
    if (response.status >= 500 || response.status === 429) return { state: "server" };
    return response.json().catch(function () { return {}; }).then(function (body) {
      var message = body.message || ("HTTP " + response.status);
      item.state = "refused";
      item.error = message;
      item.attempts = (item.attempts || 0) + 1;
      return put(item).then(function () { return { state: "refused", message: message }; });
    });
  }

  function withLock(work) {
    if (root.navigator && root.navigator.locks && root.navigator.locks.request) {
      return root.navigator.locks.request("wangge-outbox", work);
    }
    return work();
  }

  /* Send every waiting report, oldest first; stop at the first network or login problem.
   * Refused reports are skipped (they wait for the worker to delete them). */
  function flush(options) {
    return withLock(function () {
      return all().then(function (items) {
        var results = { sent: [], stopped: null, refused: 0 };
        var waiting = items.filter(function (i) { return i.state !== "refused" || options.includeRefused; });
        var next = function (index) {
          if (index >= waiting.length) return results;
          return send(waiting[index], options).then(function (r) {
            if (r.state === "sent") results.sent.push(r.case);
            else if (r.state === "refused") results.refused += 1;
            else if (r.state === "other_user") { /* left for its own user */ }
            else { results.stopped = r.state; return results; }
            return next(index + 1);
          });
        };
        return next(0);
      });
    });
  }

  /* Send one waiting report now (from the form), under the same lock as flush. */
  function sendOne(ref, options) {
    return withLock(function () {
      return get(ref).then(function (item) {
        return item ? send(item, options) : { state: "gone" };
      });
    });
  }

  root.WanggeOutbox = { sendOne: sendOne, put: put, get: get, remove: remove, all: all, send: send, flush: flush,
    setSession: setSession, getSession: getSession };
})(self);
