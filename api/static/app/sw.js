// The offline shell: the pages, their scripts and styles, and Leaflet, cached on install.
// Pages and assets are fetched from the network first (so updates show at once) and from the
// cache when the network is gone; the JSON API is never cached here (the pages keep what
// they need in localStorage, and the report outbox in IndexedDB retries with its
// Idempotency-Key). The pages other than the login page need a logged-in browser: before
// the login the server redirects them to the login page, and a redirected answer is never
// cached (a logged-in page asks the worker to cache the pages again).

const VERSION = "gridwhistle-app-8";
const SHELL = [
  "/app/login",
  "/app/report",
  "/app/mine",
  "/app/triage",
  "/app/whistles",
  "/app/scores",
  "/app/hotline",
  "/static/app/app.css",
  "/static/app/case-site.css",
  "/static/app/js/api.js",
  "/static/app/js/basemap.js",
  "/static/app/js/callbacks.js",
  "/static/app/js/case-actions.js",
  "/static/app/js/case-site.js",
  "/static/app/js/case-view.js",
  "/static/app/js/destination.js",
  "/static/app/js/duplicates.js",
  "/static/app/js/hotline.js",
  "/static/app/js/inbox.js",
  "/static/app/js/live.js",
  "/static/app/js/login.js",
  "/static/app/js/map-legends.js",
  "/static/app/js/mine.js",
  "/static/app/js/outbox.js",
  "/static/app/js/photos.js",
  "/static/app/js/report.js",
  "/static/app/js/scores.js",
  "/static/app/js/triage-actions.js",
  "/static/app/js/triage.js",
  "/static/app/js/ui.js",
  "/static/app/js/whistles.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/leaflet/leaflet.js",
  "/favicon.ico",
];

/** Cache ``url`` when it answers with itself (not a redirect to the login page). */
async function precache(cache, url) {
  const response = await fetch(url, { cache: "no-cache" });
  if (response.ok && !response.redirected) await cache.put(url, response);
}

/** Cache every page and asset that answers with itself. */
async function precacheShell() {
  const cache = await caches.open(VERSION);
  await Promise.all(SHELL.map((url) => precache(cache, url)));
}

self.addEventListener("install", (event) => {
  event.waitUntil(precacheShell().then(() => self.skipWaiting()));
});

// a page of a logged-in browser whose worker was installed before the login
self.addEventListener("message", (event) => {
  if (event.data === "cache-shell") event.waitUntil(precacheShell());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function isShell(url) {
  if (url.origin !== self.location.origin) return false;
  if (url.pathname === "/app/sw.js") return false;
  return (
    url.pathname.startsWith("/app/") ||
    url.pathname.startsWith("/static/") ||
    url.pathname === "/favicon.ico"
  );
}

async function networkFirst(request) {
  const cache = await caches.open(VERSION);
  try {
    // revalidate (a cheap 304) rather than trust the browser's heuristic cache of scripts
    const response = await (request.mode === "navigate"
      ? fetch(request)
      : fetch(request, { cache: "no-cache" }));
    if (response.ok && !response.redirected) cache.put(request, response.clone());
    return response;
  } catch (err) {
    const cached = await cache.match(request, { ignoreSearch: true });
    if (cached) return cached;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !isShell(url)) return; // the API goes to the network
  event.respondWith(networkFirst(event.request));
});
