/* Tự Lực outbox, part 2 of 2 (issue 25, layer 1): registers the service worker
   (static/sw.js keeps a form sent with no signal), sends what it kept, one entry at a time,
   on every page load and when the signal returns, and shows them: a banner on every page,
   the list on /outbox. Entries belong to the user who made them: sent only in their
   session, shown only to them. Texts come translated from the page (data-* attributes). */
(function () {
  'use strict';
  if (!('serviceWorker' in navigator) || !window.indexedDB || !window.fetch) return;

  var banner = document.getElementById('outbox-banner');
  if (!banner) return;
  var text = banner.dataset;
  var user = text.user || '';
  var tokenTag = document.querySelector('meta[name="csrf-token"]');
  var DAY = 24 * 3600 * 1000;
  var EXPIRING = 14 * DAY;
  var retryTimer = null;

  navigator.serviceWorker.register(text.worker, { scope: '/' }).catch(function () {});

  function openDb() {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open('tuluc-outbox', 1);
      open.onupgradeneeded = function () {
        var db = open.result;
        if (!db.objectStoreNames.contains('entries')) db.createObjectStore('entries', { keyPath: 'id', autoIncrement: true });
        if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'k' });
      };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
  }

  function run(storeName, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var request = work(tx.objectStore(storeName));
        tx.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function mine() {
    return run('entries', 'readonly', function (s) { return s.getAll(); }).then(function (all) {
      return all.filter(function (e) { return user && e.user === user; });
    });
  }
  function put(entry) { return run('entries', 'readwrite', function (s) { return s.put(entry); }); }
  function drop(id) { return run('entries', 'readwrite', function (s) { return s.delete(id); }); }

  // The words of this page's form: a field's label, a choice's label (name=value), so
  // that the outbox can show an entry the server refused as the person typed it.
  function labelsOf() {
    var found = {};
    document.querySelectorAll('main form [name]').forEach(function (field) {
      var label = field.id && document.querySelector('label[for="' + field.id + '"]');
      var text = label ? label.textContent.replace(/\s+/g, ' ').trim() : '';
      if (field.type === 'radio' || field.type === 'checkbox') {
        found[field.name + '=' + field.value] = text;
        var group = field.closest('[aria-labelledby]');
        var named = group && document.getElementById(group.getAttribute('aria-labelledby'));
        var set = field.closest('fieldset');
        var legend = named || (set && set.querySelector('legend'));
        if (legend) found[field.name] = legend.textContent.replace(/\s+/g, ' ').trim();
      } else if (field.tagName === 'SELECT') {
        found[field.name] = text;
        Array.prototype.forEach.call(field.options, function (o) { found[field.name + '=' + o.value] = o.textContent.trim(); });
      } else if (field.type !== 'hidden' && field.type !== 'submit') {
        found[field.name] = text;
      }
    });
    return found;
  }

  // Who is logged in here, and which form this page is: the worker writes them beside an entry.
  function remember() {
    return run('meta', 'readwrite', function (s) {
      s.put({ k: 'user', v: user });
      s.put({ k: 'labels', v: labelsOf() });
      return s.put({ k: 'page', v: document.title });
    });
  }

  // What was typed, in the form's words (the server's version is a link away).
  function typed(entry) {
    var labels = entry.labels || {};
    var list = document.createElement('dl');
    list.className = 'outbox-typed';
    new URLSearchParams(entry.body).forEach(function (value, name) {
      if (!(name in labels) || !value) return;
      var dt = document.createElement('dt');
      dt.textContent = labels[name] || name;
      var dd = document.createElement('dd');
      dd.textContent = labels[name + '=' + value] || value;
      list.appendChild(dt);
      list.appendChild(dd);
    });
    var box = document.createElement('details');
    var summary = document.createElement('summary');
    summary.textContent = document.getElementById('outbox-list').dataset.typed;
    box.appendChild(summary);
    box.appendChild(list);
    return box;
  }

  // The page's fresh token, and when save was pressed on this phone (core/submissions.py
  // keeps it beside the server's time, within bounds).
  function withFreshToken(body, created) {
    var params = new URLSearchParams(body);
    if (tokenTag && params.has('csrf_token')) params.set('csrf_token', tokenTag.content);
    if (created) params.set('saved_on_phone', String(Math.floor(created)));
    return params.toString();
  }

  // One sending; what the server answered decides the entry's state. Nothing is dropped.
  function sendOne(entry) {
    entry.attempts = (entry.attempts || 0) + 1;
    entry.tried = Date.now();
    return fetch(entry.url, {
      method: 'POST',
      body: withFreshToken(entry.body, entry.created),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      credentials: 'same-origin',
      redirect: 'follow',
      cache: 'no-store',
    }).then(function (response) {
      var path = new URL(response.url, location.href).pathname;
      var status = response.status;
      if (response.redirected && path.indexOf('/login') === 0) entry.state = 'login';
      else if (status === 400 || status === 401) entry.state = 'login';
      else if (status === 403 || status === 404) entry.state = 'forbidden';
      else if (status === 409) entry.state = 'conflict';
      else if (status >= 500 || status === 429) return backOff(entry);
      else if (response.ok && response.redirected) {
        entry.state = 'sent';
        entry.problem = '';
        entry.sent = Date.now();
        entry.body = ''; // sent: nothing typed stays on the phone
        entry.place = response.url;
      } else entry.state = 'refused'; // the form came back with a message
      if (entry.state === 'sent' || entry.state === 'login') return put(entry).then(function () { return true; });
      // Keep what the server said (e.g. "already has a meeting on that day"), to show it.
      return response.text().then(function (html) {
        entry.problem = problemIn(html);
        entry.there = thereIn(html);
      }, function () {}).then(function () { return put(entry); }).then(function () { return true; });
    }, function () {
      return backOff(entry).then(function () { return false; }); // still no signal: stop
    });
  }

  function problemIn(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var found = doc.querySelector('main .error-summary li, main .error, main .alert-error, main h1');
    return found ? found.textContent.replace(/\s+/g, ' ').trim().slice(0, 300) : '';
  }

  // The record already on the server that the entry clashes with, as the answer links it.
  function thereIn(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var found = doc.querySelector('main a.already-there');
    return found ? new URL(found.getAttribute('href'), location.href).href : '';
  }

  function backOff(entry) {
    entry.state = 'waiting';
    var wait = Math.min(3600, 5 * Math.pow(2, Math.min(entry.attempts, 10))) * 1000;
    entry.next = Date.now() + wait;
    return put(entry);
  }

  function sendAll(force) {
    if (!user || !tokenTag) return Promise.resolve();
    var work = function () {
      return mine().then(function (entries) {
        var now = Date.now();
        var due = entries.filter(function (e) {
          return e.state === 'waiting' && (force || !e.next || e.next <= now)
            || e.state === 'login' && e.loginTried !== tokenTag.content;
        });
        var next = Promise.resolve(true);
        due.forEach(function (entry) {
          next = next.then(function (goOn) {
            if (!goOn) return false;
            if (entry.state === 'login') entry.loginTried = tokenTag.content;
            return sendOne(entry);
          });
        });
        return next;
      });
    };
    // One sender at a time, across the tabs open on this phone.
    var sending = navigator.locks
      ? navigator.locks.request('tuluc-outbox', { ifAvailable: true }, function (lock) { return lock ? work() : null; })
      : work();
    return sending.catch(function () {}).then(show).then(scheduleRetry);
  }

  function scheduleRetry() {
    return mine().then(function (entries) {
      var times = entries.filter(function (e) { return e.state === 'waiting'; })
        .map(function (e) { return e.next || 0; });
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      if (times.length) {
        var wait = Math.max(1000, Math.min.apply(null, times) - Date.now());
        retryTimer = setTimeout(function () { sendAll(false); }, Math.min(wait, 3600 * 1000));
      }
    });
  }

  function count(template, n) { return template.replace('{n}', String(n)); }

  function show() {
    return mine().then(function (entries) {
      var now = Date.now();
      // Sent entries are listed for a day, then forgotten.
      entries.filter(function (e) { return e.state === 'sent' && now - e.sent > DAY; })
        .forEach(function (e) { drop(e.id); });
      var waiting = entries.filter(function (e) { return e.state === 'waiting' || e.state === 'login'; }).length;
      var stuck = entries.filter(function (e) { return ['conflict', 'forbidden', 'refused'].indexOf(e.state) >= 0; }).length;
      banner.textContent = '';
      if (waiting || stuck) {
        var p = document.createElement('p');
        var parts = [];
        if (waiting) parts.push(count(waiting === 1 ? text.one : text.many, waiting));
        if (stuck) parts.push(count(stuck === 1 ? text.stuckOne : text.stuckMany, stuck));
        p.textContent = parts.join(' ') + ' ';
        var a = document.createElement('a');
        a.href = text.page;
        a.textContent = text.open;
        p.appendChild(a);
        banner.appendChild(p);
        banner.hidden = false;
      } else {
        banner.hidden = true;
      }
      fillList(entries);
    });
  }

  function fillList(entries) {
    var list = document.getElementById('outbox-list');
    if (!list) return;
    var labels = list.dataset;
    var empty = document.getElementById('outbox-empty');
    var lang = document.documentElement.lang || undefined;
    list.textContent = '';
    entries.sort(function (a, b) { return b.created - a.created; });
    entries.forEach(function (entry) {
      var li = document.createElement('li');
      li.className = 'outbox-entry state-' + entry.state;
      li.dataset.key = entry.key;
      var title = document.createElement('strong');
      title.textContent = entry.form || new URL(entry.url).pathname;
      li.appendChild(title);
      var when = document.createElement('p');
      when.className = 'meta';
      when.textContent = new Date(entry.created).toLocaleString(lang);
      li.appendChild(when);
      var state = document.createElement('p');
      state.className = 'outbox-state';
      state.textContent = labels['state' + entry.state.charAt(0).toUpperCase() + entry.state.slice(1)] || entry.state;
      if (entry.state !== 'sent' && Date.now() - entry.created > EXPIRING) state.textContent += ' ' + labels.expiring;
      li.appendChild(state);
      if (entry.problem && entry.state !== 'sent') {
        var problem = document.createElement('p');
        problem.className = 'error outbox-problem';
        problem.textContent = entry.problem;
        li.appendChild(problem);
      }
      if (entry.state === 'conflict' || entry.state === 'refused') li.appendChild(typed(entry));
      var actions = document.createElement('p');
      actions.className = 'actions';
      if (entry.state === 'sent' && entry.place) {
        actions.appendChild(link(entry.place, labels.see));
      } else if (entry.state !== 'sent') {
        if (entry.state !== 'waiting' || entry.next > Date.now()) {
          actions.appendChild(button(labels.retry, 'button', function () {
            entry.state = 'waiting';
            entry.next = 0;
            put(entry).then(function () { return sendAll(true); });
          }));
        }
        if (entry.there) actions.appendChild(link(entry.there, labels.there, 'there'));
        if (entry.state === 'conflict' || entry.state === 'refused') actions.appendChild(link(entry.url, labels.form));
        actions.appendChild(button(labels.discard, 'button danger', function () {
          if (window.confirm(labels.confirm)) drop(entry.id).then(show);
        }));
      }
      li.appendChild(actions);
      list.appendChild(li);
    });
    if (empty) empty.hidden = entries.length > 0;
  }

  function button(label, className, onClick) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = className;
    b.textContent = label;
    b.addEventListener('click', onClick);
    return b;
  }
  function link(href, label, className) {
    var a = document.createElement('a');
    a.href = href;
    if (className) a.className = className;
    a.textContent = label;
    return a;
  }

  // Logging out with entries not sent yet: they stay on this phone, for this user only;
  // say so first (a shared phone).
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!text.logout || !form.action || new URL(form.action, location.href).pathname !== text.logout) return;
    if (form.dataset.outboxChecked) return;
    event.preventDefault();
    mine().then(function (entries) {
      var left = entries.filter(function (e) { return e.state !== 'sent'; }).length;
      if (!left || window.confirm(count(text.logoutWarning, left))) {
        form.dataset.outboxChecked = '1';
        wipeForms().then(function () { form.submit(); }, function () { form.submit(); });
      }
    }, function () { form.submit(); });
  });

  // Issue 25, layer 2: the forms of the user's groups, kept on this phone when the user
  // chose it on the account page (core/offline.py says which). Wiped when logged out,
  // when another person logs in, when the choice is taken back, after 14 days unrefreshed.
  var FORMS = 'tuluc-forms';
  var FORMS_META = '/outbox/kept-meta';
  var REFRESH = 10 * 60 * 1000;
  var offlineCopy = document.body.dataset.offlineCopy; // set by sw.js on a kept form

  function wipeForms() {
    return window.caches ? caches.delete(FORMS) : Promise.resolve();
  }

  function keepState(n) {
    var state = document.getElementById('keep-forms-state');
    if (!state) return;
    state.textContent = window.caches ? count(state.dataset.ready, n) : state.dataset.needsJs;
    state.hidden = false;
  }

  function refreshForms() {
    if (offlineCopy) return Promise.resolve();
    if (!window.caches) { keepState(0); return Promise.resolve(); }
    if (!user || !text.keep) return wipeForms();
    var onAccount = !!document.getElementById('keep-forms-state');
    return caches.open(FORMS).then(function (cache) {
      return cache.match(FORMS_META).then(function (found) {
        return found ? found.json() : null;
      }).then(function (meta) {
        if (meta && meta.user !== user) return wipeForms().then(refreshForms);
        if (meta && !onAccount && Date.now() - meta.checked < REFRESH) return null;
        return fetch(text.forms, { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
          return r.ok && !r.redirected ? r.json() : null;
        }).then(function (list) {
          if (!list) return null;
          if (!list.keep) return wipeForms();
          var wanted = list.forms;
          var kept = 0;
          return cache.keys().then(function (requests) {
            // A group no longer theirs, a visit made: its form goes.
            return Promise.all(requests.filter(function (rq) {
              var path = new URL(rq.url).pathname;
              return path !== FORMS_META && wanted.indexOf(path) < 0;
            }).map(function (rq) { return cache.delete(rq); }));
          }).then(function () {
            var next = Promise.resolve();
            wanted.forEach(function (path) { // one at a time: the link is slow
              next = next.then(function () {
                return fetch(path, { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
                  if (r.ok && !r.redirected) { kept += 1; return cache.put(path, r); }
                  return cache.delete(path);
                }, function () {});
              });
            });
            return next;
          }).then(function () {
            return cache.put(FORMS_META, new Response(JSON.stringify({
              user: user, checked: Date.now(), days: list.days || 14, count: kept,
            }), { headers: { 'Content-Type': 'application/json' } }));
          }).then(function () { keepState(kept); });
        });
      });
    }).catch(function () {});
  }

  function newKey() {
    var bytes = new Uint8Array(32);
    crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // A kept form opened with no signal: say it is a copy, and keep what is saved in it in
  // the outbox (a copy's token may be old; the outbox sends with a fresh one). Each save
  // gets a key of its own: the same copy may serve two meetings.
  function useOfflineCopy() {
    var main = document.getElementById('main');
    var notice = document.createElement('div');
    notice.className = 'alert offline-copy';
    notice.setAttribute('role', 'status');
    var day = new Date(Number(offlineCopy)).toLocaleDateString(document.documentElement.lang || undefined);
    notice.textContent = text.offlineCopy.replace('{d}', day);
    main.insertBefore(notice, main.firstChild);
    document.addEventListener('submit', function (event) {
      var form = event.target;
      if ((form.getAttribute('method') || '').toLowerCase() !== 'post' || !main.contains(form)) return;
      event.preventDefault();
      var data;
      try {
        data = new FormData(form, event.submitter);
      } catch (_) {
        data = new FormData(form);
        if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
      }
      var params = new URLSearchParams(data);
      var key = newKey();
      params.set('submission', key);
      put({
        url: new URL(form.getAttribute('action') || location.href, location.href).href,
        body: params.toString(),
        key: key,
        user: user,
        form: document.title,
        labels: labelsOf(),
        created: Date.now(),
        state: 'waiting',
        attempts: 0,
        next: 0,
      }).then(function () {
        location.assign(navigator.onLine ? text.page : '/static/offline.html');
      });
    });
  }

  if (offlineCopy && user) useOfflineCopy();

  var ready = document.getElementById('outbox-list');
  if (ready) document.getElementById('outbox-needs-js').hidden = true;
  remember().then(function () { return sendAll(false); }).catch(function () {}).then(refreshForms);
  window.addEventListener('online', function () { sendAll(true); });
  navigator.serviceWorker.addEventListener('message', function (event) {
    if (event.data === 'outbox-send') sendAll(true);
  });
})();
