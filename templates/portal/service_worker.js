{% autoescape off %}// Watchpost's service worker (docs/OFFLINE.md), served by portal/webapp.py at /sw.js so that its
// scope is the whole site. Its version is the deploy's: a new deploy is a new worker whose caches
// replace the old ones on activation.
//   - the guard's pages (home, report form): network first, the last copy when offline;
//   - other pages: the network, or the offline page;
//   - static files: from the cache first (their names change with their content in production);
//   - a report form sent while the network fails: kept in the outbox (IndexedDB), never lost.
import { addItem } from "{{ outbox_store }}";

const CONFIG = {{ config }};
const PAGES = `watchpost-pages-${CONFIG.version}`;
const STATIC = `watchpost-static-${CONFIG.version}`;
const OURS = [PAGES, STATIC];

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const statics = await caches.open(STATIC);
    await statics.addAll(CONFIG.precache);
    const pages = await caches.open(PAGES);
    // One by one: a page this person may not open (a liaison's report form) is simply not kept.
    await Promise.all([...CONFIG.pages, CONFIG.offline].map((url) => keepPage(pages, url)));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("watchpost-") && !OURS.includes(name)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function keepPage(cache, url) {
  try {
    const response = await fetch(url, { credentials: "same-origin", redirect: "follow" });
    if (response.ok && !response.redirected) await cache.put(url, response);
  } catch {
    // Offline during the installation: kept at the next visit instead.
  }
}

function isPage(url) {
  return CONFIG.pages.includes(url.pathname) || url.pathname === CONFIG.offline;
}

async function networkFirst(request, url) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    // Only a page the person really got (not a redirect to the sign-in page, not an error).
    if (response.ok && response.type === "basic" && !response.redirected && !url.search) {
      await cache.put(url.pathname, response.clone());
    }
    return response;
  } catch (error) {
    const kept = (await cache.match(url.pathname)) || (await cache.match(CONFIG.offline));
    if (kept) return kept;
    throw error;
  }
}

async function networkOrOffline(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const kept = await (await caches.open(PAGES)).match(CONFIG.offline);
    if (kept) return kept;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(STATIC);
  const kept = await cache.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

// The report form posted while the network fails (the phone believes it is online, the network
// does not answer): its fields and files go to the outbox, and the guard sees the form again with
// the queue, as when the page itself noticed the network was down.
async function reportOrKeep(request) {
  const copy = request.clone();
  try {
    return await fetch(request);
  } catch {
    const data = await copy.formData();
    const fields = [...data.entries()].filter(([name]) => name !== "csrfmiddlewaretoken");
    await addItem({ kind: "report", url: CONFIG.report, fields, user: data.get("outbox_user") || "" });
    return Response.redirect(`${CONFIG.report}?queued=1`, 303);
  }
}

async function forgetPages() {
  await caches.delete(PAGES);
}

// A page of a signed-in guard asks for this on every load: after a sign-in dropped the pages of the
// one before, the report form and the offline page are kept again before the network goes.
async function keepMissingPages() {
  const pages = await caches.open(PAGES);
  for (const url of [...CONFIG.pages, CONFIG.offline]) {
    if (!(await pages.match(url))) await keepPage(pages, url);
  }
}

self.addEventListener("message", (event) => {
  if (event.data === "keep-pages") event.waitUntil(keepMissingPages());
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    if (CONFIG.session_paths.includes(url.pathname)) {
      event.waitUntil(forgetPages());
    } else if (request.mode === "navigate" && url.pathname === CONFIG.report) {
      event.respondWith(reportOrKeep(request));
    }
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname.startsWith(CONFIG.static_prefix)) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(isPage(url) ? networkFirst(request, url) : networkOrOffline(request));
  }
});
{% endautoescape %}
