/* Outreach field app service worker (served at /sw.js, scope "/").
 *
 * Caches only the app shell, static files and the phone catalogues, never an /api/ answer:
 * those carry personal data and live in IndexedDB (static/field/db.js) or nowhere.
 * Navigations in /field/ are network-first with a short timeout and fall back to the cached
 * shell; the app's static files are cache-first from a cache named after the app version,
 * which changes whenever any cached file does.
 */
const VERSION = {{ version|tojson }};
const PREFIX = "outreach-field-";
const CACHE = PREFIX + VERSION;
const PRECACHE = {{ precache|tojson }};
const SHELL = {{ shell_url|tojson }};
const NAVIGATION_TIMEOUT_MS = 3000;
const CACHED_PATHS = new Set(PRECACHE);

// The field app's own files only: back-office static files keep their normal HTTP caching,
// so a deploy of the back office is never hidden behind this cache.
function cacheable(url) {
  return (
    url.origin === self.location.origin &&
    !url.pathname.startsWith("/api/") &&
    (url.pathname.startsWith("/static/field/") || CACHED_PATHS.has(url.pathname))
  );
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Anonymous requests: what is cached can never depend on who is logged in.
      await Promise.all(
        PRECACHE.map(async (path) => {
          const response = await fetch(new Request(path, { cache: "reload", credentials: "omit" }));
          if (!response.ok) throw new Error(`precache ${path}: ${response.status}`);
          await cache.put(path, response);
        }),
      );
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms));
}

async function cachedShell() {
  const cache = await caches.open(CACHE);
  return (await cache.match(SHELL)) || caches.match(SHELL);
}

async function networkFirst(request) {
  try {
    const response = await Promise.race([fetch(request), timeout(NAVIGATION_TIMEOUT_MS)]);
    if (response.ok) return response;
    return (await cachedShell()) || response;
  } catch (error) {
    const shell = await cachedShell();
    if (shell) return shell;
    throw error;
  }
}

async function cacheFirst(request, url) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreVary: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === "basic" && cacheable(url)) {
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    if (url.pathname === "/field" || url.pathname.startsWith("/field/")) {
      event.respondWith(networkFirst(request));
    }
    return; // back-office pages are not the field app's business
  }
  if (cacheable(url)) event.respondWith(cacheFirst(request, url));
});
