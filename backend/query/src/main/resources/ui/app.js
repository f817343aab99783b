// Sluice query UI: plain DOM, no framework, no network beyond this service.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const SEVERITIES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
  const COLORS = {TRACE: '#9aa3ae', DEBUG: '#9aa3ae', INFO: '#1a5fb4', WARN: '#e5a50a', ERROR: '#c01c28', FATAL: '#7a0e16', UNSPECIFIED: '#9aa3ae'};
  const TAIL_KEEP = 500;
  const state = {traceId: '', cursor: null, from: 0, to: 0, tail: null, paused: false, pending: [], generation: 0};

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  function headers() {
    const key = localStorage.getItem('sluice_key');
    return key ? {Authorization: 'Bearer ' + key} : {};
  }

  async function api(path, params) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v !== '' && v !== null && v !== undefined) qs.set(k, v);
    const r = await fetch('/api/v1/' + path + (qs.toString() ? '?' + qs : ''), {headers: headers()});
    const body = await r.json();
    if (r.status === 401) { $('login').hidden = false; $('login-error').textContent = body.error; }
    if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
    return body;
  }

  function filters() {
    const sev = SEVERITIES.filter((s) => $('severity-' + s).checked).join(',');
    return {q: $('q').value.trim(), service: $('service').value.trim(), severity: sev, traceId: state.traceId};
  }

  function fmtTime(ms) { return new Date(ms).toISOString().replace('T', ' ').replace('Z', ''); }

  async function search(keepRange) {
    $('error').textContent = '';
    if (!keepRange) { state.to = Date.now(); state.from = state.to - Number($('range').value); }
    const f = Object.assign(filters(), {from: state.from, to: state.to});
    const generation = ++state.generation; // answers of an earlier, slower search are dropped, not mixed in
    state.cursor = null;
    $('results').replaceChildren();
    try {
      const [page, hist] = await Promise.all([api('search', Object.assign({limit: 100}, f)), api('histogram', f)]);
      if (generation !== state.generation) return;
      drawHistogram(hist);
      showPage(page);
      $('summary').textContent = page.total + ' matching lines, ' + fmtTime(state.from) + ' – ' + fmtTime(state.to) + ' UTC';
    } catch (e) { if (generation === state.generation) $('error').textContent = e.message; }
    loadSide();
  }

  async function more() {
    const generation = state.generation;
    try {
      const page = await api('search', Object.assign({limit: 100, cursor: state.cursor, from: state.from, to: state.to}, filters()));
      if (generation === state.generation) showPage(page);
    }
    catch (e) { $('error').textContent = e.message; }
  }

  function showPage(page) {
    for (const line of page.hits) $('results').append(renderLine(line));
    state.cursor = page.next;
    $('more').hidden = !page.next;
  }

  function drawHistogram(h) {
    const W = 1000, H = 100, n = h.buckets.length || 1, bw = W / n;
    const max = Math.max(1, ...h.buckets.map((b) => b.count));
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + (H + 10));
    svg.setAttribute('preserveAspectRatio', 'none');
    h.buckets.forEach((b, i) => {
      let y = H;
      const order = ['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'UNSPECIFIED'];
      for (const s of order) {
        const c = (b.bySeverity || {})[s] || 0;
        if (!c) continue;
        const bh = c / max * H;
        y -= bh;
        const r = document.createElementNS(ns, 'rect');
        r.setAttribute('x', i * bw + 0.5); r.setAttribute('y', y); r.setAttribute('width', Math.max(1, bw - 1)); r.setAttribute('height', bh);
        r.setAttribute('fill', COLORS[s]);
        r.setAttribute('class', 'bar');
        r.setAttribute('data-start', b.start); r.setAttribute('data-count', b.count);
        const t = document.createElementNS(ns, 'title');
        t.textContent = fmtTime(b.start) + ' UTC: ' + b.count + ' lines';
        r.append(t);
        r.addEventListener('click', () => { state.from = b.start; state.to = b.start + h.intervalMs; search(true); });
        svg.append(r);
      }
    });
    $('histogram').replaceChildren(svg);
    $('histogram').dataset.total = h.total;
  }

  function renderException(ex) {
    const box = el('div', {class: 'exception'});
    ex.chain.forEach((t, i) => {
      const part = el('div', {class: i === 0 ? 'throwable' : 'throwable cause'},
        el('div', {class: 'title'}, i === 0 ? null : el('span', {class: 'caused'}, 'Caused by: '),
          t.type + (t.message ? ': ' + t.message : '')));
      for (const f of t.frames) part.append(el('div', {class: 'frame'}, 'at ' + f));
      if (t.omitted > 0) part.append(el('div', {class: 'frame muted'}, '... ' + t.omitted + ' more'));
      box.append(part);
    });
    return box;
  }

  function renderLine(line) {
    const li = el('li', {class: 'line', 'data-id': line.id});
    const head = el('div', {class: 'head'}, el('time', {}, line.time.replace('T', ' ').replace('Z', '')),
      el('span', {class: 'sev sev-' + line.severity}, line.severity), el('span', {class: 'svc'}, line.service),
      el('span', {class: 'body'}, line.body), line.exception ? el('span', {class: 'muted'}, ' — ' + line.exception.type) : null);
    li.append(head);
    let details = null;
    head.addEventListener('click', () => {
      if (details) { details.remove(); details = null; return; }
      details = el('div', {class: 'details'});
      const dl = el('dl');
      const add = (k, v) => { if (v) dl.append(el('dt', {}, k), el('dd', {}, v)); };
      add('host', line.host); add('logger', line.logger); add('thread', line.thread);
      if (line.traceId) {
        dl.append(el('dt', {}, 'trace'), el('dd', {}, el('a', {href: '#', class: 'trace-link', onclick: (e) => { e.preventDefault(); filterTrace(line.traceId); }}, line.traceId)));
      }
      add('span', line.spanId); add('fingerprint', line.fingerprint);
      for (const [k, v] of Object.entries(line.attributes || {})) add(k, v);
      details.append(dl);
      if (line.exception) details.append(renderException(line.exception));
      li.append(details);
    });
    if (line.exception) head.click(); // an exception is what a person came for: show it open
    return li;
  }

  function filterTrace(id) {
    state.traceId = id;
    $('trace-filter-id').textContent = id;
    $('trace-filter').hidden = false;
    search(false);
  }

  async function loadSide() {
    try {
      const fps = await api('fingerprints', {service: $('service').value.trim(), limit: 20});
      const body = $('fingerprints').tBodies[0];
      body.replaceChildren();
      for (const f of fps.fingerprints) {
        const tr = el('tr', {'data-fingerprint': f.fingerprint}, el('td', {}, f.service),
          el('td', {}, el('div', {}, f.exceptionType || f.template), el('div', {class: 'muted'}, f.topFrame)),
          el('td', {class: 'first-seen'}, fmtTime(f.firstSeen)), el('td', {class: 'count'}, f.count));
        tr.addEventListener('click', () => { $('q').value = f.fingerprint; search(false); });
        body.append(tr);
      }
    } catch (e) { $('fingerprints').tBodies[0].replaceChildren(el('tr', {}, el('td', {colspan: 4, class: 'muted'}, e.message))); }
    try {
      const a = await api('alerts', {limit: 20});
      $('alerts').replaceChildren(...a.alerts.map((x) => el('li', {}, fmtTime(x.windowEndMillis) + ' ' + x.text)));
      if (!a.alerts.length) $('alerts').replaceChildren(el('li', {class: 'muted'}, 'no alerts'));
    } catch (e) { $('alerts').replaceChildren(el('li', {class: 'muted'}, e.message)); }
  }

  // Live tail: Server-Sent Events from now. Pause keeps the connection and buffers up to TAIL_KEEP lines.
  function tailToggle() {
    if (!state.tail) { startTail(); return; }
    state.paused = !state.paused;
    $('tail-toggle').textContent = state.paused ? 'Resume' : 'Pause';
    if (!state.paused) { state.pending.splice(0).forEach(appendTail); }
    tailStatus();
  }

  function tailStatus(text) {
    $('tail-status').textContent = text || (state.paused ? 'paused, ' + state.pending.length + ' new lines held' : 'live');
  }

  function startTail() {
    const key = localStorage.getItem('sluice_key');
    if (key) document.cookie = 'sluice_key=' + encodeURIComponent(key) + '; SameSite=Strict; path=/api/v1/tail';
    const f = filters();
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v) qs.set(k, v);
    const es = new EventSource('/api/v1/tail' + (qs.toString() ? '?' + qs : ''));
    state.tail = es; state.paused = false;
    $('tail-toggle').textContent = 'Pause';
    tailStatus('connecting');
    es.addEventListener('ready', () => tailStatus());
    es.addEventListener('log', (m) => {
      const line = JSON.parse(m.data);
      if (state.paused) { state.pending.push(line); if (state.pending.length > TAIL_KEEP) state.pending.shift(); tailStatus(); }
      else appendTail(line);
    });
    es.addEventListener('dropped', (m) => { tailStatus('dropped by the server: ' + JSON.parse(m.data).reason + ' (reconnecting)'); });
    es.onerror = () => { if (es.readyState === EventSource.CLOSED) { tailStatus('disconnected'); state.tail = null; $('tail-toggle').textContent = 'Start'; } };
  }

  function appendTail(line) {
    const list = $('tail-lines');
    list.append(renderLine(line));
    while (list.children.length > TAIL_KEEP) list.firstChild.remove();
    list.scrollTop = list.scrollHeight;
  }

  async function whoami() {
    try {
      const w = await api('whoami');
      $('tenant').textContent = 'tenant: ' + (w.tenant || '(anonymous)');
      $('login').hidden = true;
      return true;
    } catch (e) { return false; }
  }

  $('search-form').addEventListener('submit', (e) => { e.preventDefault(); search(false); });
  SEVERITIES.forEach((s) => $('severity-' + s).addEventListener('change', () => search(false)));
  $('range').addEventListener('change', () => search(false));
  $('more').addEventListener('click', more);
  $('tail-toggle').addEventListener('click', tailToggle);
  $('trace-clear').addEventListener('click', () => { state.traceId = ''; $('trace-filter').hidden = true; search(false); });
  $('login-btn').addEventListener('click', async () => {
    localStorage.setItem('sluice_key', $('api-key').value.trim());
    if (await whoami()) search(false);
  });
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('q')) $('q').value = hash.get('q');
  whoami().then((ok) => { if (ok) search(false); });
})();
