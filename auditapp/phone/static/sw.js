// The service worker: the app shell from the phone's cache (the app opens with no network), and the
// queue drained by Background Sync when the network returns. The server prepends VERSION (a hash of
// the shell's files) and SHELL (their paths): a changed file is a new worker and a fresh cache.
import { drain } from "./js/sync.js";

const CACHE = `auditapp-shell-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("auditapp-shell-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope).pathname;
  if (!url.pathname.startsWith(scope)) return;
  // Every page of the app is the one shell: the route lives in the URL's hash.
  const key = request.mode === "navigate" ? scope : url.pathname;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(key);
    return cached || fetch(request);
  })());
});

self.addEventListener("sync", (event) => {
  if (event.tag === "drain") event.waitUntil(drain());
});
