// The page: banner (losses and unreadable lines, always visible), tabs, search, details.
class ReportApp {
  constructor() {
    this.report = loadReport();
    this.match = null; // null: everything; else a Uint8Array, 1 per matching process
    this.selected = null;
    this.view = null;
    const d = this.report.data;
    document.getElementById('meta').textContent = this.report.procs.length + ' processes, ' + fmtDur(this.report.t1)
      + (d.hosts.length ? ' on ' + escapeText(d.hosts.join(', ')) : '') + ', from ' + escapeText(d.files.join(', '));
    this.banner(d);
    this.views = { timeline: new TimelineView(this), tree: new TreeView(this), table: new TableView(this) };
    buildSummary(this, document.getElementById('view-summary'));

    document.getElementById('tabs').addEventListener('click', ev => {
      const b = ev.target.closest('button');
      if (b) this.show(b.dataset.view);
    });
    const search = () => this.search();
    document.getElementById('search').addEventListener('input', search);
    document.getElementById('search-regex').addEventListener('change', search);
    document.getElementById('failed-only').addEventListener('change', search);
    document.getElementById('main').addEventListener('click', ev => {
      const row = ev.target.closest('[data-index]');
      if (row) this.select(this.report.procs[Number(row.dataset.index)]);
    });
    document.getElementById('details').addEventListener('click', ev => {
      const link = ev.target.closest('a[data-index]');
      if (link) this.select(this.report.procs[Number(link.dataset.index)]);
    });
    document.getElementById('details-close').addEventListener('click', () => { document.getElementById('details').hidden = true; });
    document.addEventListener('keydown', ev => { if (ev.key === 'Escape') document.getElementById('details').hidden = true; });
    const initial = location.hash.slice(1);
    this.show(initial === 'summary' || this.views[initial] ? initial : 'timeline');
    this.updateCount();
  }

  banner(d) {
    const lines = [];
    let lost = 0;
    for (const l of d.lost) lost += l[2];
    if (d.lost.length) lines.push('Incomplete: the stream reports ' + lost + ' lost events in ' + d.lost.length + ' reports. Processes may be missing.');
    if (d.corruptLines) lines.push(d.corruptLines + ' unreadable lines were skipped (see Summary).');
    if (d.omitted) lines.push(d.omitted + ' processes beyond the report\'s bound were left out.');
    if (!lines.length) return;
    const b = document.getElementById('banner');
    for (const text of lines) b.appendChild(el('div', null, text));
    b.hidden = false;
  }

  show(view) {
    this.view = view;
    for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.view === view);
    for (const name of ['summary', 'timeline', 'tree', 'table']) document.getElementById('view-' + name).hidden = name !== view;
    if (this.views[view]) this.views[view].refresh();
  }

  search() {
    const text = document.getElementById('search').value;
    const regex = document.getElementById('search-regex').checked;
    const failedOnly = document.getElementById('failed-only').checked;
    const error = document.getElementById('search-error');
    error.textContent = '';
    let test = null;
    if (text) {
      if (regex) {
        try {
          const re = new RegExp(text, 'i');
          test = p => re.test(p.cmd) || (p.exe !== null && re.test(p.exe));
        } catch (e) {
          error.textContent = 'invalid regular expression';
          test = () => false;
        }
      } else {
        const needle = text.toLowerCase();
        test = p => p.haystack.includes(needle);
      }
    }
    if (!test && !failedOnly) {
      this.match = null;
    } else {
      const match = new Uint8Array(this.report.procs.length);
      for (const p of this.report.procs) match[p.i] = (!failedOnly || p.failed) && (!test || test(p)) ? 1 : 0;
      this.match = match;
    }
    this.updateCount();
    if (this.views[this.view]) this.views[this.view].refresh();
  }

  updateCount() {
    const n = this.report.procs.length;
    let shown = n;
    if (this.match) { shown = 0; for (let i = 0; i < n; i++) shown += this.match[i]; }
    const c = document.getElementById('match-count');
    c.textContent = this.match ? shown + ' of ' + n + ' processes match' : n + ' processes';
    c.dataset.count = shown;
  }

  select(p) {
    this.selected = p;
    showDetails(this, p);
    if (this.views[this.view]) {
      const v = this.views[this.view];
      const at = v.rows.indexOf(p);
      if (at >= 0) v.list.reveal(at); else v.list.draw();
    }
  }
}

function showDetails(app, p) {
  const panel = document.getElementById('details');
  const body = document.getElementById('details-body');
  body.textContent = '';
  tagProcess(panel, p);
  body.appendChild(el('h2', null, escapeText(p.program)));
  const dl = el('dl');
  const item = (term, value, id) => {
    dl.appendChild(el('dt', null, term));
    const dd = el('dd');
    if (id) dd.id = id;
    if (value instanceof Node) dd.appendChild(value); else dd.appendChild(escapedNode(value === null || value === undefined ? '—' : value));
    dl.appendChild(dd);
  };
  item('PID', String(p.pid), 'detail-pid');
  item('entity_id', p.entity, 'detail-entity');
  item('Executable', p.exe, 'detail-exe');
  const argv = el('ol');
  argv.id = 'detail-argv';
  for (const a of p.args || []) argv.appendChild(el('li')).appendChild(escapedNode(a));
  item('argv', p.args ? argv : '(not recorded)');
  if (p.flags & 1) item('', 'argv was truncated');
  if (p.flags & 2) item('', 'argv could not be read (the process ended first)');
  if (p.flags & 4) item('', 'forked, no exec seen: runs its parent\'s program');
  item('Command line', p.cmd, 'detail-cmd');
  item('Working dir', p.cwd, 'detail-cwd');
  item('User', p.user, 'detail-user');
  if (p.container !== null) item('Container', p.container, 'detail-container');
  if (p.pod !== null) item('Pod', p.pod, 'detail-pod');
  if (p.flags & 8) item('', 'entered the container from outside (exec/nsenter) — parent: ' + (p.parent ? p.parent.pid + ' ' + baseName(p.parent.program) : 'not recorded'));
  item('Exit', statusText(p), 'detail-exit');
  item('Duration', p.outcome === 'running' ? fmtDur(p.dur) + ' so far' : fmtDur(p.dur), 'detail-duration');
  item('Started', fmtClock(app.report, p.start));
  if (p.exec !== null) item('Exec', fmtClock(app.report, p.exec));
  if (p.end !== null) item('Ended', fmtClock(app.report, p.end));
  if (p.cpu !== null) item('CPU time', fmtDur(Math.round(p.cpu / 1000)));
  if (p.rss !== null) item('Peak RSS', fmtBytes(p.rss));
  const chain = el('div', 'chain');
  chain.id = 'detail-chain';
  const ancestors = [];
  for (let a = p.parent; a && ancestors.length < 1000; a = a.parent) ancestors.push(a);
  ancestors.reverse();
  if (!ancestors.length) chain.textContent = '(none recorded)';
  for (const a of ancestors) {
    const link = el('a', null, escapeText(a.pid + ' ' + baseName(a.program)));
    link.dataset.index = a.i;
    link.dataset.pid = a.pid;
    chain.appendChild(link);
    chain.appendChild(document.createTextNode(' → '));
  }
  if (ancestors.length) chain.appendChild(document.createTextNode(String(p.pid)));
  item('Parents', chain);
  item('Children', String(p.children.length));
  if (p.alerts) item('Alerts', p.alerts.map(a => (a.name || a.id) + (a.ruleset ? ' (' + a.ruleset + ')' : '')).join(', '));
  body.appendChild(dl);
  panel.hidden = false;
}

const procwatchApp = new ReportApp();
window.procwatchReport = { processes: procwatchApp.report.procs.length, readyAt: performance.now() };
document.documentElement.dataset.ready = 'true';
