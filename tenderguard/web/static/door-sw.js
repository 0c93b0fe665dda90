// The hall door's service worker: keeps the scanner page, its scripts (the QR decoder and the Ed25519 fallback
// too) and styles, the centre's configuration and the latest revocation list, so that the page loads, reads badges
// with the camera and verifies them without the network. Every request is tried on the network first (the copy
// kept is refreshed each time); the copy answers only when that fails.
"use strict";
var CACHE = "tg-door-v2";
var KEPT = ["/door", "/door/config", "/door/revocations", "/static/door.js", "/static/door-verify.js",
            "/static/door-queue.js", "/static/door-camera.js", "/static/door-qr-worker.js", "/static/jsQR.js",
            "/static/noble-ed25519.js", "/static/gate.js", "/static/gate.css", "/static/htmx.min.js"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(KEPT); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    var old = names.filter(function (n) { return n !== CACHE; });
    return Promise.all(old.map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || KEPT.indexOf(url.pathname) < 0) {
    return;
  }
  event.respondWith(fetch(event.request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.put(url.pathname, copy); }));
    }
    return response;
  }).catch(function () {
    return caches.match(url.pathname).then(function (kept) { return kept || Response.error(); });
  }));
});
