/* duckd console: runs SQL through POST /v1/query, pages through the streamed result, charts
 * two-column results, and polls the sessions list, health and metrics. Plain JavaScript, no
 * framework; every value from the server reaches the page through textContent only.
 *
 * Paging: the result is asked for as JSON and read as a stream. Rows are pulled from the
 * stream only as far as the page shown (plus one row, to know whether another page follows),
 * so the server streams at the reader's pace. The browser keeps at most KEEP_PAGES pages:
 * reading further drops the oldest ones, so "»" can read a result of any size to its end. A
 * result not read to its end holds a server session; it is closed when another query runs,
 * on Stop, and after IDLE_CLOSE_MS without paging. The query runs once: pages are never
 * fetched again with LIMIT/OFFSET (that would run INSERT ... RETURNING twice). */
'use strict';

(() => {
  const PAGE = 100;
  const KEEP_PAGES = 20;
  const IDLE_CLOSE_MS = 30000;
  const POLL_MS = 2000;
  const TOKEN_KEY = 'duckd.token';
  const $ = (id) => document.getElementById(id);

  /* ---- requests ---- */

  function authHeaders(extra) {
    const h = Object.assign({}, extra);
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) h.Authorization = 'Bearer ' + token;
    return h;
  }

  function api(path, opts = {}) {
    return fetch(path, Object.assign({}, opts, {
      headers: authHeaders(opts.headers), cache: 'no-store', credentials: 'same-origin',
    }));
  }

  /* The API's error body {code, message, detail?, hint?} of a failed response. */
  async function errorOf(resp) {
    let body = null;
    try { body = await resp.json(); } catch (e) { /* not JSON */ }
    if (body && body.code) return body;
    return { code: 'HTTP ' + resp.status, message: resp.statusText || 'request failed' };
  }

  class QueryError extends Error {
    constructor(e) { super(e.message); this.code = e.code; this.detail = e.detail; this.hint = e.hint; }
  }

  /* Integers beyond 2^53 keep their exact text (JSON.parse's source text, where supported). */
  function reviver(key, value, ctx) {
    if (typeof value === 'number' && !Number.isSafeInteger(value) && ctx && ctx.source &&
        /^-?\d+$/.test(ctx.source)) return ctx.source;
    return value;
  }

  /* Reads /v1/query's JSON answer {"columns":[...],"rows":[[...],...],"row_count":N,...} from
   * a stream one row at a time, holding only the bytes of rows not yet handed out. */
  class RowStream {
    constructor(body) {
      this.reader = body.getReader();
      this.dec = new TextDecoder();
      this.buf = '';
      this.i = 0;         /* scan position in buf */
      this.start = -1;    /* where the row being scanned starts */
      this.depth = 0;
      this.inStr = false;
      this.esc = false;
      this.stage = 0;     /* 0: before "rows", 1: in rows, 2: after rows */
      this.eof = false;
      this.columns = null;
      this.tail = null;   /* {row_count, command} or {error} */
    }

    async more() {
      const { value, done } = await this.reader.read();
      this.buf = this.buf.slice(this.start >= 0 ? this.start : this.i) +
        (done ? this.dec.decode() : this.dec.decode(value, { stream: true }));
      if (this.start >= 0) { this.i -= this.start; this.start = 0; } else this.i = 0;
      if (done) this.eof = true;
    }

    /* The columns, once the answer's head arrived. */
    async head() {
      while (this.stage === 0) {
        const at = this.buf.indexOf(',"rows":[');
        if (at >= 0) {
          this.columns = JSON.parse(this.buf.slice(0, at) + '}').columns;
          this.buf = this.buf.slice(at + 9);
          this.stage = 1;
        } else if (this.eof) {
          throw new QueryError({ code: '08006', message: 'the answer ended before its columns' });
        } else {
          await this.more();
        }
      }
      return this.columns;
    }

    /* The next row as an array, or null after the last one; throws a mid-stream error. */
    async next() {
      await this.head();
      for (;;) {
        if (this.stage === 1) {
          const row = this.scan();
          if (row) return row;
        }
        if (this.stage === 2 && this.eof) return this.finish();
        if (this.eof) throw new QueryError({ code: '08006', message: 'the answer was cut short' });
        await this.more();
      }
    }

    scan() {
      const s = this.buf;
      for (; this.i < s.length; this.i++) {
        const c = s.charCodeAt(this.i);
        if (this.inStr) {
          if (this.esc) this.esc = false;
          else if (c === 92) this.esc = true;        /* \ */
          else if (c === 34) this.inStr = false;     /* " */
        } else if (c === 34) {
          this.inStr = true;
        } else if (c === 91 || c === 123) {          /* [ { */
          if (this.depth++ === 0) this.start = this.i;
        } else if (c === 93 || c === 125) {          /* ] } */
          if (this.depth === 0) {                    /* the end of "rows" */
            this.tail = s.slice(this.i + 1);
            this.buf = ''; this.i = 0; this.stage = 2;
            return null;
          }
          if (--this.depth === 0) {
            const row = JSON.parse(s.slice(this.start, this.i + 1), reviver);
            this.start = -1;
            this.i++;
            return row;
          }
        }
      }
      return null;
    }

    finish() {
      this.tail += this.buf;
      this.buf = '';
      const t = JSON.parse('{' + this.tail.trim().replace(/^,/, ''));
      if (t.error) throw new QueryError(t.error);
      this.summary = t;
      return null;
    }

    cancel() { this.reader.cancel().catch(() => {}); }
  }

  /* ---- the result being shown ---- */

  let res = null; /* {stream, ctl, columns, rows, first, page, done, closed, summary} */
  let idleTimer = 0;

  function closeResult(why) {
    clearTimeout(idleTimer);
    if (res && !res.done && !res.closed) {
      res.closed = why;
      res.ctl.abort();
      if (res.columns) {
        renderPager();
        $('status').textContent = 'result closed (' + why + ')';
      }
    }
    $('stop').disabled = true;
  }

  function showError(e) {
    $('error').hidden = false;
    $('error-code').textContent = e.code || 'error';
    $('error-message').textContent = e.message || String(e);
    $('error-more').textContent = [e.detail && 'DETAIL: ' + e.detail, e.hint && 'HINT: ' + e.hint]
      .filter(Boolean).join('\n');
  }

  async function run() {
    const sql = $('sql').value;
    if (!sql.trim()) return;
    closeResult('replaced');
    $('error').hidden = true;
    $('result').hidden = true;
    $('status').textContent = 'running…';
    $('stop').disabled = false;
    const ctl = new AbortController();
    const r = res = { ctl, columns: null, rows: [], first: 0, page: 0, done: false, closed: null,
                      t0: performance.now() };
    try {
      const resp = await api('/v1/query?format=json', {
        method: 'POST', signal: ctl.signal, body: JSON.stringify({ sql }),
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      });
      if (resp.status === 401) needToken();
      if (!resp.ok) throw new QueryError(await errorOf(resp));
      r.stream = new RowStream(resp.body);
      r.columns = await r.stream.head();
      if (res !== r) return;
      await showPage(0);
    } catch (e) {
      if (res !== r) return;
      failResult(r, e);
    }
  }

  function failResult(r, e) {
    r.done = true;
    $('stop').disabled = true;
    if (r.closed) { /* we aborted it: keep what is shown */
      $('status').textContent = 'result closed (' + r.closed + ')';
      renderPager();
      return;
    }
    showError(e);
    $('status').textContent = 'failed after ' + elapsed(r);
    if (r.rows.length) renderPager();
  }

  function elapsed(r) { return ((performance.now() - r.t0) / 1000).toFixed(2) + ' s'; }

  /* Reads rows until index `upTo` (exclusive) is held or the result ends. */
  async function fill(r, upTo) {
    let n = 0;
    while (!r.done && !r.closed && r.first + r.rows.length < upTo) {
      const row = await r.stream.next();
      if (!row) { r.done = true; break; }
      r.rows.push(row);
      if (r.rows.length > KEEP_PAGES * PAGE + 1) { r.rows.splice(0, PAGE); r.first += PAGE; }
      if (++n % 5000 === 0) $('status').textContent = 'reading… ' + (r.first + r.rows.length) + ' rows';
    }
    if (r.done) { $('stop').disabled = true; clearTimeout(idleTimer); }
  }

  async function showPage(p) {
    const r = res;
    if (!r || p < 0) return;
    clearTimeout(idleTimer); /* reading is activity */
    try {
      await fill(r, (p + 1) * PAGE + 1);
    } catch (e) {
      if (res !== r) return;
      if (!r.closed) { failResult(r, e); return; }
      /* closed while reading (Stop): show the pages read so far */
    }
    if (res !== r) return;
    const held = r.first + r.rows.length;
    if (p * PAGE >= held) p = Math.max(0, Math.ceil(held / PAGE) - 1);
    r.page = Math.max(p, r.first / PAGE);
    $('result').hidden = false;
    renderGrid(r);
    renderPager();
    renderChart(r);
    const total = r.done ? r.first + r.rows.length : null;
    $('status').textContent = r.closed ? 'result closed (' + r.closed + ')'
      : r.columns.length === 0
        ? (r.stream.summary ? (r.stream.summary.command || 'OK') + ' · ' + r.stream.summary.row_count + ' rows' : 'OK')
        : (total !== null ? total + ' rows' : 'streaming') + ' · ' + elapsed(r);
    if (!r.done && !r.closed) idleTimer = setTimeout(() => closeResult('idle for ' + IDLE_CLOSE_MS / 1000 + ' s'), IDLE_CLOSE_MS);
  }

  function pageRows(r) {
    const from = r.page * PAGE - r.first;
    return r.rows.slice(from, from + PAGE);
  }

  function renderPager() {
    const r = res;
    if (!r || !r.columns) return;
    const from = r.page * PAGE;
    const shown = pageRows(r).length;
    const held = r.first + r.rows.length;
    const open = !r.done && !r.closed;
    $('page-first').disabled = $('page-prev').disabled = r.page * PAGE <= r.first;
    $('page-next').disabled = !(held > from + PAGE || open);
    $('page-last').disabled = !open && held <= from + PAGE;
    let info = shown ? 'rows ' + (from + 1) + '–' + (from + shown) : 'no rows';
    info += r.done ? ' of ' + held : open ? ' of ' + held + '+' : ' (stream closed)';
    if (r.first > 0) info += ' · pages before ' + (r.first / PAGE + 1) + ' were let go';
    $('page-info').textContent = info;
    $('pager').hidden = r.columns.length === 0;
  }

  function isNumType(c) { return c.json_type === 'number'; }

  /* A value as text; a DECIMAL keeps its scale (JSON numbers drop trailing zeros). */
  function cellText(v, col) {
    if (v === null) return 'NULL';
    if (typeof v === 'object') return JSON.stringify(v);
    const dec = typeof v === 'number' && col && /^DECIMAL\(\d+,(\d+)\)$/.exec(col.type || '');
    return dec ? v.toFixed(Number(dec[1])) : String(v);
  }

  function renderGrid(r) {
    const thead = $('grid').tHead, tbody = $('grid').tBodies[0];
    const hr = document.createElement('tr');
    hr.appendChild(document.createElement('th'));
    for (const c of r.columns) {
      const th = document.createElement('th');
      th.textContent = c.name;
      const t = document.createElement('small');
      t.textContent = c.type || '';
      th.appendChild(t);
      hr.appendChild(th);
    }
    thead.replaceChildren(hr);
    $('grid-wrap').hidden = r.columns.length === 0;
    const frag = document.createDocumentFragment();
    let n = r.page * PAGE;
    for (const row of pageRows(r)) {
      const tr = document.createElement('tr');
      const num = document.createElement('td');
      num.className = 'rownum';
      num.textContent = ++n;
      tr.appendChild(num);
      row.forEach((v, i) => {
        const td = document.createElement('td');
        td.textContent = cellText(v, r.columns[i]);
        td.title = td.textContent.length > 60 ? td.textContent.slice(0, 2000) : '';
        if (v === null) td.className = 'null';
        else if (isNumType(r.columns[i])) td.className = 'num';
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
    $('grid-wrap').scrollTop = 0;
  }

  /* ---- chart: two columns, label + number (bars) or number + number (line) ---- */

  const SVG = 'http://www.w3.org/2000/svg';
  function svgEl(name, attrs, text) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmtNum(x) {
    const a = Math.abs(x);
    if (a >= 1e15 || (a > 0 && a < 1e-3)) return x.toExponential(2);
    return x.toLocaleString('en-US', { maximumFractionDigits: 3 });
  }

  function renderChart(r) {
    const fig = $('chart');
    fig.querySelector('svg')?.remove();
    fig.hidden = true;
    if (r.columns.length !== 2 || !isNumType(r.columns[1])) return;
    const rows = pageRows(r).filter((row) => row[1] !== null && isFinite(Number(row[1])));
    if (!rows.length) return;
    const line = isNumType(r.columns[0]);
    const svg = line ? lineChart(rows) : barChart(rows);
    if (!svg) return;
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', (line ? 'line' : 'bar') + ' chart of ' + r.columns[1].name +
                     ' by ' + r.columns[0].name);
    fig.querySelector('figcaption').textContent = r.columns[1].name + ' by ' + r.columns[0].name +
      ' (rows ' + (r.page * PAGE + 1) + '–' + (r.page * PAGE + pageRows(r).length) + ')';
    fig.appendChild(svg);
    fig.hidden = false;
  }

  function barChart(rows) {
    const W = 720, LW = 160, ROW = 22, VW = 70;
    const vals = rows.map((x) => Number(x[1]));
    const lo = Math.min(0, ...vals), hi = Math.max(0, ...vals);
    const span = hi - lo || 1;
    const x = (v) => LW + ((v - lo) / span) * (W - LW - VW);
    const svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + (rows.length * ROW + 8), class: 'bars' });
    rows.forEach((row, i) => {
      const y = 4 + i * ROW, v = vals[i];
      const label = cellText(row[0]);
      svg.appendChild(svgEl('text', { x: LW - 8, y: y + 15, 'text-anchor': 'end' },
                            label.length > 24 ? label.slice(0, 23) + '…' : label));
      const x0 = x(Math.min(0, v)), x1 = x(Math.max(0, v));
      svg.appendChild(svgEl('rect', { class: 'bar-rect', x: x0, y: y + 3, height: ROW - 6,
                                      width: Math.max(1, x1 - x0) }));
      svg.appendChild(svgEl('text', { x: x1 + 4, y: y + 15, class: 'muted' }, fmtNum(v)));
    });
    svg.appendChild(svgEl('line', { class: 'axis', x1: x(0), x2: x(0), y1: 0, y2: rows.length * ROW + 8 }));
    return svg;
  }

  function lineChart(rows) {
    const W = 720, H = 260, L = 60, R = 16, T = 12, B = 28;
    const pts = rows.map((x) => [Number(x[0]), Number(x[1])]).filter((p) => isFinite(p[0]))
      .sort((a, b) => a[0] - b[0]);
    if (!pts.length) return null;
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
    const sx = (v) => L + ((v - x0) / (x1 - x0 || 1)) * (W - L - R);
    const sy = (v) => H - B - ((v - y0) / (y1 - y0 || 1)) * (H - T - B);
    const svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'lines' });
    svg.appendChild(svgEl('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    svg.appendChild(svgEl('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
    svg.appendChild(svgEl('text', { x: L - 6, y: sy(y1) + 4, 'text-anchor': 'end', class: 'muted' }, fmtNum(y1)));
    svg.appendChild(svgEl('text', { x: L - 6, y: sy(y0) + 4, 'text-anchor': 'end', class: 'muted' }, fmtNum(y0)));
    svg.appendChild(svgEl('text', { x: L, y: H - 8, class: 'muted' }, fmtNum(x0)));
    svg.appendChild(svgEl('text', { x: W - R, y: H - 8, 'text-anchor': 'end', class: 'muted' }, fmtNum(x1)));
    svg.appendChild(svgEl('polyline', { class: 'line', points: pts.map((p) => sx(p[0]) + ',' + sy(p[1])).join(' ') }));
    if (pts.length <= 50) for (const p of pts) svg.appendChild(svgEl('circle', { class: 'dot', cx: sx(p[0]), cy: sy(p[1]), r: 2.5 }));
    return svg;
  }

  /* ---- sessions, health and metrics (polled) ---- */

  /* A TIMESTAMPTZ as DuckDB writes it ("2026-12-03 16:01:40.956+00") or ISO 8601, in ms. */
  function toMs(t) {
    if (typeof t !== 'string' || !t) return null;
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::?(\d\d))?$/.exec(t);
    const ms = Date.parse(m ? m[1] + 'T' + m[2] + m[3] + ':' + (m[4] || '00') : t);
    return isNaN(ms) ? null : ms;
  }

  /* /v1/sessions answers in the query result format: rows as objects. The console's own
   * poll, running while the list is made, is left out. */
  function sessionRows(body) {
    const names = body.columns.map((c) => c.name);
    return body.rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])))
      .filter((s) => !(s.protocol === 'http' && s.query === 'SELECT * FROM duckd_sessions()'));
  }

  function duration(ms) {
    if (ms < 1000) return Math.max(0, Math.round(ms)) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
  }

  function td(text, cls) {
    const e = document.createElement('td');
    e.textContent = text === null || text === undefined ? '' : String(text);
    if (cls) e.className = cls;
    return e;
  }

  function renderSessions(list) {
    const frag = document.createDocumentFragment();
    const now = Date.now();
    for (const s of list) {
      const tr = document.createElement('tr');
      tr.dataset.id = s.id;
      const start = toMs(s.query_start), end = toMs(s.query_end);
      const active = /^active|waiting/.test(s.state || '');
      const running = active && start ? duration(now - start) : start && end ? duration(end - start) : '';
      tr.append(td(s.id), td(s.user), td(s.protocol), td(s.client), td(s.state, active ? 'state-active' : ''),
                td(running, 'num'), td(s.rows, 'num'));
      const prog = td('');
      if (active && typeof s.progress === 'number' && s.progress >= 0) {
        const bar = document.createElement('span');
        bar.className = 'progress';
        const fillEl = document.createElement('span');
        fillEl.style.width = Math.min(100, s.progress) + '%';
        bar.appendChild(fillEl);
        bar.title = s.progress.toFixed(0) + '%';
        prog.appendChild(bar);
      }
      const q = td(s.query, 'query');
      q.title = s.query || '';
      const act = td('');
      if (active) {
        const b = document.createElement('button');
        b.className = 'cancel';
        b.dataset.id = s.id;
        b.textContent = 'Cancel';
        act.appendChild(b);
      }
      tr.append(prog, q, act);
      frag.appendChild(tr);
    }
    $('sessions').querySelector('tbody').replaceChildren(frag);
  }

  async function cancelSession(id, button) {
    button.disabled = true;
    const resp = await api('/v1/sessions/' + encodeURIComponent(id) + '/cancel', { method: 'POST' });
    const e = resp.ok ? null : await errorOf(resp);
    const done = !e && (await resp.json()).cancelled;
    const note = e ? 'cancel ' + id + ': ' + e.code + ' ' + e.message
      : done ? 'cancel sent to session ' + id : 'session ' + id + ' has ended';
    $('sessions-note').textContent = note;
    setTimeout(() => { if ($('sessions-note').textContent === note) $('sessions-note').textContent = ''; }, 5000);
    poll();
  }

  function setBadge(id, label, ok) {
    const b = $(id);
    b.textContent = label + (ok === null ? ' ?' : ok ? ' ✓' : ' ✗');
    b.className = 'badge ' + (ok === null ? '' : ok ? 'ok' : 'bad');
  }

  /* Prometheus text format: sums of each metric's samples over its labels. */
  function parseMetrics(text) {
    const sums = {};
    for (const line of text.split('\n')) {
      if (!line || line[0] === '#') continue;
      const m = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const labels = m[2] || '';
      const v = Number(m[3]);
      if (!isFinite(v)) continue;
      sums[m[1]] = (sums[m[1]] || 0) + v;
      if (m[1] === 'duckd_statements_total' && /outcome="error"/.test(labels))
        sums.statements_failed = (sums.statements_failed || 0) + v;
    }
    return sums;
  }

  function fmtBytes(n) {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
  }

  function showMetrics(m) {
    const v = (k) => (m && k in m ? m[k] : null);
    const put = (id, x, f) => { $(id).textContent = x === null ? '–' : f ? f(x) : String(x); };
    put('m-conn', v('duckd_connections'));
    put('m-stmt', v('duckd_statements_total'));
    put('m-err', v('duckd_errors_total'));
    put('m-gc', v('duckd_group_commit_batches_total'));
    put('m-mem', v('duckd_duckdb_memory_bytes'), fmtBytes);
  }

  let polling = false;
  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const [live, ready, sessions, metrics] = await Promise.allSettled([
        fetch('/healthz', { cache: 'no-store' }), fetch('/readyz', { cache: 'no-store' }),
        api('/v1/sessions'), api('/metrics'),
      ]);
      setBadge('live', 'live', live.status === 'fulfilled' ? live.value.ok : false);
      setBadge('ready', 'ready', ready.status === 'fulfilled' ? ready.value.ok : false);
      if (sessions.status === 'fulfilled' && sessions.value.ok) {
        const body = await sessions.value.json();
        renderSessions(sessionRows(body));
      } else if (sessions.status === 'fulfilled') {
        const e = await errorOf(sessions.value);
        if (sessions.value.status === 401) needToken();
        $('sessions-note').textContent = e.code + ' ' + e.message;
      }
      if (metrics.status === 'fulfilled' && metrics.value.ok)
        showMetrics(parseMetrics(await metrics.value.text()));
      else showMetrics(null);
    } catch (e) {
      $('sessions-note').textContent = String(e.message || e);
    } finally {
      polling = false;
    }
  }

  /* ---- wiring ---- */

  function needToken() { $('auth').classList.add('need'); }

  function init() {
    $('token').value = sessionStorage.getItem(TOKEN_KEY) || '';
    $('auth').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = $('token').value.trim();
      if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
      $('auth').classList.remove('need');
      $('sessions-note').textContent = '';
      poll();
    });
    $('run').addEventListener('click', run);
    $('stop').addEventListener('click', () => closeResult('stopped'));
    $('sql').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); run(); }
    });
    $('page-first').addEventListener('click', () => res && showPage(res.first / PAGE));
    $('page-prev').addEventListener('click', () => res && showPage(res.page - 1));
    $('page-next').addEventListener('click', () => res && showPage(res.page + 1));
    $('page-last').addEventListener('click', () => res && showPage(Infinity));
    $('sessions').addEventListener('click', (ev) => {
      const b = ev.target.closest('button.cancel');
      if (b) cancelSession(b.dataset.id, b);
    });
    poll();
    setInterval(() => { if (!document.hidden) poll(); }, POLL_MS);
  }

  init();
})();
