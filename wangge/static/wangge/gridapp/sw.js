/* 网格通 service worker (served at /m/sw.js with self.WANGGE_SW set before this text):
 * keeps the app shell for offline start, and sends the offline outbox on background sync. */
/* global WanggeOutbox */
"use strict";
var CONFIG = self.WANGGE_SW;
var STATIC_CACHE = "ga-static-" + CONFIG.version;
var PAGE_CACHE = "ga-pages";
importScripts(CONFIG.outbox);

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
    return cache.addAll(CONFIG.shell);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("ga-static-") === 0 && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function isShell(url) { return CONFIG.shell.indexOf(url.pathname) !== -1; }
function isPage(url) { return CONFIG.pages.indexOf(url.pathname) !== -1; }

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;  // reports and API calls go straight to the network
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isShell(url)) {
    // the shell: from the cache, refreshed in the background
    event.respondWith(caches.open(STATIC_CACHE).then(function (cache) {
      return cache.match(url.pathname).then(function (hit) {
        var fresh = fetch(request).then(function (response) {
          if (response.ok) cache.put(url.pathname, response.clone());
          return response;
        });
        if (hit) { fresh.catch(function () {}); return hit; }
        return fresh;
      });
    }));
    return;
  }
  if (request.mode === "navigate" && isPage(url)) {
    // the app's pages: the network first (fresh tasks), the last copy when offline
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected && response.type === "basic") {
        var copy = response.clone();
        caches.open(PAGE_CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.open(PAGE_CACHE).then(function (cache) {
        return cache.match(url.pathname).then(function (hit) {
          return hit || cache.match(CONFIG.scope) || new Response(
            "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
            "<title>网格通</title><p style='font:16px sans-serif;padding:24px'>没有网络，且此页面尚未保存在手机上。" +
            "请联网后再打开。<br>No network, and this page was not saved on the phone yet.</p>",
            { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
        });
      });
    }));
  }
});

function tellPages() {
  return self.clients.matchAll({ type: "window" }).then(function (clients) {
    clients.forEach(function (client) { client.postMessage({ type: "outbox-changed" }); });
  });
}

function flushOutbox() {
  var sessionUrl = CONFIG.scope + "api/session";
  return WanggeOutbox.getSession(sessionUrl, true).then(function () {
    return WanggeOutbox.flush({ sessionUrl: sessionUrl, casesUrl: "/api/v1/cases" });
  }).then(function (result) {
    return tellPages().then(function () {
      if (result && (result.stopped === "offline" || result.stopped === "server")) {
        throw new Error("retry later");  // the browser fires the sync again later
      }
    });
  }, function (error) {
    if (error && error.kind === "auth") return undefined;  // waits for the next login
    throw error;
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag === "wangge-outbox") event.waitUntil(flushOutbox());
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "flush") event.waitUntil(flushOutbox());
  if (data.type === "logout") event.waitUntil(caches.delete(PAGE_CACHE));
});
