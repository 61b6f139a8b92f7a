/* Tự Lực outbox, part 1 of 2 (issue 25, layer 1): a form sent with no signal is kept on
   this phone, not lost. Only a network failure keeps it; every answer of the server (any
   status) goes to the page untouched. static/outbox.js sends what is kept. Plain script:
   no library, no build step. */
'use strict';

const CACHE = 'tuluc-offline-3';
// Issue 25, layer 2: the forms a facilitator chose to keep (static/outbox.js fills it).
const FORMS = 'tuluc-forms';
const FORMS_META = '/outbox/kept-meta';
const DAY = 24 * 3600 * 1000;
const SAVED_PAGE = '/static/offline.html';
const NO_SIGNAL_PAGE = '/static/no-signal.html';
const KEPT = [SAVED_PAGE, NO_SIGNAL_PAGE, '/static/app.css', '/static/outbox.js'];
const DB_NAME = 'tuluc-outbox';
// Never kept on the phone: a login, a password, anything sent before logging in.
const NOT_KEPT = /(^|&)(password|current_password|new_password|confirm|pin|code)=/;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(KEPT)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE && n !== FORMS).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

function openDb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('entries')) db.createObjectStore('entries', { keyPath: 'id', autoIncrement: true });
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'k' });
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function keep(url, body) {
  const db = await openDb();
  try {
    const meta = db.transaction('meta').objectStore('meta');
    const who = await done(meta.get('user'));
    const page = await done(meta.get('page'));
    const labels = await done(meta.get('labels'));
    const user = who ? who.v : '';
    const key = new URLSearchParams(body).get('submission') || '';
    if (!user || !key) return false; // not logged in, or a form that is not a record
    const store = db.transaction('entries', 'readwrite').objectStore('entries');
    const all = await done(store.getAll());
    if (all.some((e) => e.key === key && e.user === user)) return true; // a second tap
    await done(store.add({
      url, body, key, user,
      form: page ? page.v : '',
      labels: labels ? labels.v : {},
      created: Date.now(),
      state: 'waiting',
      attempts: 0,
      next: 0,
    }));
    return true;
  } finally {
    db.close();
  }
}

async function page(path) {
  const cached = await caches.match(path);
  if (!cached && path !== SAVED_PAGE) return Response.error();
  const html = cached ? await cached.text()
    : '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Tự Lực</title>'
      + '<p>Đã lưu trên máy, sẽ gửi khi có mạng.</p>'
      + '<p lang="en">Saved on this phone; it will be sent when there is signal.</p>'
      + '<p><a href="/outbox">Hộp thư chờ gửi / Outbox</a></p></html>';
  return new Response(html, {
    status: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

// A form kept on this phone (layer 2), opened with no signal: marked as a copy, so that
// outbox.js keeps what is saved in it (its token may be old) and says it is a copy.
// Kept longer than the facilitator chose (14 days) without being refreshed: wiped.
async function keptForm(url) {
  if (!(await caches.has(FORMS))) return null;
  const cache = await caches.open(FORMS);
  const found = await cache.match(FORMS_META);
  if (!found) return null;
  const meta = await found.json();
  if (!(Date.now() - meta.checked < (meta.days || 14) * DAY)) {
    await caches.delete(FORMS);
    return null;
  }
  const kept = await cache.match(url.pathname);
  if (!kept) return null;
  const html = (await kept.text()).replace('<body', '<body data-offline-copy="' + Number(meta.checked) + '"');
  const headers = new Headers(kept.headers);
  headers.delete('Content-Length');
  headers.set('Cache-Control', 'no-store');
  return new Response(html, { status: 200, headers });
}

async function sendOrKeep(request) {
  const body = await request.clone().text();
  try {
    return await fetch(request);
  } catch (failure) {
    const path = new URL(request.url).pathname;
    let kept = false;
    if (!path.startsWith('/login') && path !== '/logout' && !NOT_KEPT.test(body)) {
      try {
        kept = await keep(request.url, body);
      } catch (_) {
        kept = false;
      }
    }
    if (!kept) throw failure; // not a record: the browser says there is no connection
    // Background Sync, where the browser has it, says when the signal is back.
    if (self.registration.sync) self.registration.sync.register('outbox').catch(() => {});
    return page(SAVED_PAGE);
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const type = request.headers.get('Content-Type') || '';
  if (request.method === 'POST' && request.mode === 'navigate'
      && type.startsWith('application/x-www-form-urlencoded')) {
    event.respondWith(sendOrKeep(request));
  } else if (request.method === 'GET' && request.mode === 'navigate') {
    // No page is kept on the phone (they hold names) unless its user chose to keep their
    // groups' forms; with no signal, say what to do instead of the browser's own error.
    event.respondWith(fetch(request).catch(() => (KEPT.includes(url.pathname)
      ? page(url.pathname)
      : keptForm(url).catch(() => null).then((kept) => kept || page(NO_SIGNAL_PAGE)))));
  } else if (request.method === 'GET' && KEPT.includes(url.pathname)) {
    event.respondWith(fetch(request).catch(() => caches.match(url.pathname)));
  }
});

// The signal is back: the open pages send (a page knows who is logged in and has a
// fresh token; the worker does not).
self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  event.waitUntil(
    self.clients.matchAll({ type: 'window' })
      .then((pages) => pages.forEach((p) => p.postMessage('outbox-send')))
  );
});
