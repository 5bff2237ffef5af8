// Table: every process, sortable by any column (click its header), filtered by the search.
class TableView {
  constructor(app) {
    this.app = app;
    const report = app.report;
    const hasCpu = report.procs.some(p => p.cpu !== null), hasRss = report.procs.some(p => p.rss !== null);
    this.columns = [
      { key: 'pid', title: 'PID', width: 70, num: true, value: p => p.pid, text: p => String(p.pid) },
      { key: 'program', title: 'Executable', width: 200, mono: true, value: p => p.program, text: p => escapeText(p.program) },
      { key: 'cmd', title: 'Command line (argv)', width: 460, mono: true, value: p => p.cmd, text: p => escapeText(p.cmd) },
      { key: 'dur', title: 'Duration', width: 90, num: true, value: p => p.dur, text: p => fmtDur(p.dur) },
      { key: 'exit', title: 'Exit', width: 150, value: p => OUTCOMES.indexOf(p.outcome) * 1000 + (p.exitCode || 0), text: p => statusText(p), cls: p => 'status outcome-' + p.outcome },
      { key: 'user', title: 'User', width: 90, value: p => p.user || '', text: p => escapeText(p.user) },
      { key: 'cwd', title: 'Working directory', width: 240, mono: true, value: p => p.cwd || '', text: p => escapeText(p.cwd) },
    ];
    if (hasCpu) this.columns.push({ key: 'cpu', title: 'CPU time', width: 90, num: true, value: p => p.cpu === null ? -1 : p.cpu, text: p => p.cpu === null ? '' : fmtDur(Math.round(p.cpu / 1000)) });
    if (hasRss) this.columns.push({ key: 'rss', title: 'Peak RSS', width: 90, num: true, value: p => p.rss === null ? -1 : p.rss, text: p => fmtBytes(p.rss) });
    this.columns.push({ key: 'start', title: 'Start', width: 100, num: true, value: p => p.start, text: p => '+' + fmtDur(p.start) });
    this.sort = { key: 'start', desc: false };
    const head = document.getElementById('table-head');
    for (const c of this.columns) {
      const cell = el('div', 'cell' + (c.num ? ' num' : ''), c.title);
      cell.style.width = c.width + 'px';
      cell.dataset.key = c.key;
      head.appendChild(cell);
    }
    head.addEventListener('click', ev => {
      const cell = ev.target.closest('.cell');
      if (!cell) return;
      const key = cell.dataset.key;
      this.sort = { key, desc: this.sort.key === key ? !this.sort.desc : key === 'dur' || key === 'cpu' || key === 'rss' };
      this.refresh();
    });
    this.rows = [];
    this.list = new VirtualList(document.getElementById('table-list'), 20, i => this.row(this.rows[i]));
    const total = this.columns.reduce((sum, c) => sum + c.width, 0);
    this.list.spacer.style.minWidth = total + 'px';
    head.style.minWidth = total + 'px';
    this.list.container.addEventListener('scroll', () => { head.style.transform = 'translateX(' + -this.list.container.scrollLeft + 'px)'; }, { passive: true });
  }

  refresh() {
    const match = this.app.match;
    const rows = match ? this.app.report.procs.filter(p => match[p.i]) : this.app.report.procs.slice();
    const col = this.columns.find(c => c.key === this.sort.key);
    const dir = this.sort.desc ? -1 : 1;
    rows.sort((a, b) => {
      const x = col.value(a), y = col.value(b);
      return (x < y ? -1 : x > y ? 1 : a.i - b.i) * dir;
    });
    this.rows = rows;
    for (const cell of document.getElementById('table-head').children) {
      cell.classList.toggle('sorted', cell.dataset.key === this.sort.key);
      cell.classList.toggle('desc', cell.dataset.key === this.sort.key && this.sort.desc);
    }
    this.list.setCount(rows.length);
  }

  row(p) {
    const row = tagProcess(el('div', 'row table-row outcome-' + p.outcome + (p === this.app.selected ? ' selected' : '')), p);
    for (const c of this.columns) {
      const cell = el('div', 'cell' + (c.num ? ' num' : '') + (c.mono ? ' mono' : '') + (c.cls ? ' ' + c.cls(p) : ''), c.text(p));
      cell.style.width = c.width + 'px';
      row.appendChild(cell);
    }
    return row;
  }
}
