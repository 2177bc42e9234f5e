// The phone page's service worker: keeps the app (page, scripts, styles, words) so that it
// opens with no signal. Only the app's own files are answered here, from the cache first and
// refreshed behind; the API (check-ins, alerts, the live stream) goes straight to the network,
// and check-ins made meanwhile wait in the page's outbox (IndexedDB).
const CACHE = "gridhub-phone-v2";
const APP = [
  "/m/",
  "/m/manifest.webmanifest",
  "/static/m/app.js",
  "/static/m/alerts.js",
  "/static/m/outbox.js",
  "/static/m/patrol.js",
  "/static/m/phone.css",
  "/static/m/icon-192.png",
  "/static/m/icon-512.png",
  "/static/js/api.js",
  "/static/js/dom.js",
  "/static/js/stream.js",
  "/static/js/report/words.js",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/api/v1/i18n/zh-CN",
  "/api/v1/i18n/en",
];
const KEPT = new Set(APP);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(APP)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!KEPT.has(url.pathname)) return;  // the API and everything else: the network's
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const kept = await cache.match(url.pathname);
    const fresh = fetch(event.request).then((response) => {
      if (response.ok) cache.put(url.pathname, response.clone());
      return response;
    });
    if (kept) {
      event.waitUntil(fresh.catch(() => undefined));
      return kept;
    }
    return fresh;
  })());
});

// Web Push would arrive here ("push"), once the hub has a push service it can reach; see the
// README. Until then alerts reach an open page on the live stream.
