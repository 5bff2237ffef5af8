// Timeline: one bar per process from its start (fork, else first sight) to its exit, in
// tree order, coloured by outcome; the critical path outlined; alerts as red marks; above
// it a strip of how many processes ran at each moment.
class TimelineView {
  constructor(app) {
    this.app = app;
    this.rows = app.report.order;
    this.list = new VirtualList(document.getElementById('timeline-list'), 20, i => this.row(this.rows[i]));
    this.strip = document.getElementById('concurrency');
    this.axis = document.getElementById('axis');
    window.addEventListener('resize', () => { if (this.app.view === 'timeline') this.drawStrips(); });
    const legend = document.getElementById('legend');
    for (const o of OUTCOMES) {
      const item = el('span');
      item.appendChild(el('span', 'swatch outcome-' + o));
      item.appendChild(document.createTextNode(OUTCOME_LABELS[o]));
      legend.appendChild(item);
    }
    const crit = el('span');
    crit.appendChild(el('span', 'swatch critical-swatch'));
    crit.appendChild(document.createTextNode('critical path (' + app.report.critical.length + ' steps)'));
    legend.appendChild(crit);
  }

  refresh() {
    const match = this.app.match;
    this.rows = match ? this.app.report.order.filter(p => match[p.i]) : this.app.report.order;
    this.list.setCount(this.rows.length);
    this.drawStrips();
  }

  row(p) {
    const t1 = this.app.report.t1;
    const row = tagProcess(el('div', 'row outcome-' + p.outcome + (p.critical ? ' critical' : '') + (p === this.app.selected ? ' selected' : '')), p);
    const label = el('div', 'label', escapeText(p.pid + ' ' + baseName(p.program) + (p.args && p.args.length > 1 ? ' ' + shellJoin(p.args.slice(1)) : '')));
    label.style.paddingLeft = Math.min(p.depth, 40) * 10 + 'px';
    label.title = escapeText(p.cmd);
    const track = el('div', 'track');
    const bar = el('div', 'bar');
    bar.style.left = (p.start / t1 * 100) + '%';
    bar.style.width = (Math.max(p.endShown - p.start, 0) / t1 * 100) + '%';
    bar.title = escapeText(baseName(p.program)) + ': ' + fmtDur(p.dur) + ', ' + statusText(p);
    track.appendChild(bar);
    if (p.alerts) {
      for (const a of p.alerts) {
        const mark = el('div', 'alert-mark');
        mark.style.left = (a.t / t1 * 100) + '%';
        mark.title = 'alert: ' + escapeText(a.name || a.id || 'rule');
        track.appendChild(mark);
      }
    }
    row.appendChild(label);
    row.appendChild(track);
    return row;
  }

  drawStrips() {
    const list = this.list.container;
    const gutter = list.offsetWidth - list.clientWidth; // the scrollbar: keep the strip's x-scale the bars'
    for (const c of [this.strip, this.axis]) c.parentElement.style.paddingRight = gutter + 'px';
    const t1 = this.app.report.t1;
    const width = Math.max(this.strip.clientWidth, 1);
    const ratio = window.devicePixelRatio || 1;
    const columns = Math.round(width * ratio);
    const { counts, peak } = concurrency(this.rows, t1, columns);
    document.getElementById('peak').textContent = '(peak ' + peak + ')';
    this.strip.width = columns;
    this.strip.height = 48 * ratio;
    const g = this.strip.getContext('2d');
    g.fillStyle = '#f3f5f8';
    g.fillRect(0, 0, columns, this.strip.height);
    g.fillStyle = '#4a78b5';
    const h = this.strip.height;
    for (let x = 0; x < columns; x++) {
      if (!counts[x]) continue;
      const bh = Math.max(1, counts[x] / Math.max(peak, 1) * h);
      g.fillRect(x, h - bh, 1, bh);
    }
    this.axis.width = columns;
    this.axis.height = 18 * ratio;
    const a = this.axis.getContext('2d');
    a.clearRect(0, 0, columns, this.axis.height);
    a.fillStyle = '#66707a';
    a.font = (11 * ratio) + 'px system-ui, sans-serif';
    const ticks = 8;
    for (let k = 0; k <= ticks; k++) {
      const x = Math.round(k / ticks * (columns - 1));
      a.fillRect(x, 0, 1, 5 * ratio);
      const text = fmtDur(Math.round(k / ticks * t1));
      const w = a.measureText(text).width;
      a.fillText(text, Math.min(Math.max(x - w / 2, 0), columns - w), 15 * ratio);
    }
  }
}
