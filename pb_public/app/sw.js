// The field app's service worker: the app shell (these files) is served
// from the cache, so the app opens with the network off after the first
// visit; the cache is refreshed in the background when online. API calls
// (/api/) always go to the network: the sync library keeps the data.
const SHELL = 'rapport-shell-v1';
const FILES = ['/app/', '/app/app.js', '/app/i18n.js', '/app/app.css', '/app/manifest.json', '/app/icon.svg', '/sdk/rapport-sync.js'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  const key = e.request.mode === 'navigate' && url.pathname.startsWith('/app') ? '/app/' : url.pathname;
  if (!FILES.includes(key)) return;
  e.respondWith(caches.open(SHELL).then(async (cache) => {
    const cached = await cache.match(key);
    const fresh = fetch(e.request).then((resp) => {
      if (resp.ok) cache.put(key, resp.clone());
      return resp;
    });
    if (cached) {
      fresh.catch(() => {});
      return cached;
    }
    return fresh;
  }));
});
