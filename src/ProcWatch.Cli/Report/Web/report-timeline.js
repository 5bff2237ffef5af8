// Timeline: one bar per process from its start (fork, else first sight) to its exit, in
// tree order, coloured by outcome; the critical path outlined; alerts as red marks; above
// it a strip of how many processes ran at each moment. It shows a range of the recording:
// at first the traced work (processes whose exec was seen), then what is dragged across the
// strip; buttons go back to the traced work or to the whole recording.
class TimelineView {
  constructor(app) {
    this.app = app;
    this.rows = app.report.order;
    this.range = app.report.traced;
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
    this.zoomTools();
  }

  refresh() {
    const match = this.app.match;
    this.rows = match ? this.app.report.order.filter(p => match[p.i]) : this.app.report.order;
    this.list.setCount(this.rows.length);
    this.drawStrips();
  }

  // "Traced work" / "Whole recording" buttons, the range shown, and drag-to-zoom on the strip.
  zoomTools() {
    const tools = el('div', 'zoom-tools');
    const traced = el('button', null, 'Traced work');
    const whole = el('button', null, 'Whole recording');
    traced.type = whole.type = 'button';
    traced.id = 'zoom-traced';
    whole.id = 'zoom-whole';
    this.rangeText = el('span', 'zoom-range');
    this.rangeText.id = 'zoom-range';
    traced.addEventListener('click', () => this.zoom(this.app.report.traced));
    whole.addEventListener('click', () => this.zoom({ v0: 0, v1: this.app.report.t1 }));
    for (const c of [traced, whole, this.rangeText, el('span', 'zoom-hint', 'drag across the strip to zoom')]) tools.appendChild(c);
    const legend = document.getElementById('legend');
    legend.parentElement.insertBefore(tools, legend);
    let from = null;
    const at = ev => {
      const box = this.strip.getBoundingClientRect();
      const f = Math.min(Math.max((ev.clientX - box.left) / Math.max(box.width, 1), 0), 1);
      return this.range.v0 + f * (this.range.v1 - this.range.v0);
    };
    this.strip.addEventListener('mousedown', ev => { from = at(ev); ev.preventDefault(); });
    window.addEventListener('mouseup', ev => {
      if (from === null) return;
      const to = at(ev);
      const lo = Math.min(from, to), hi = Math.max(from, to);
      from = null;
      if (hi - lo >= 1) this.zoom({ v0: lo, v1: hi });
    });
  }

  zoom(range) {
    this.range = { v0: range.v0, v1: Math.max(range.v1, range.v0 + 1) };
    this.list.setCount(this.rows.length); // redraws the visible rows
    this.drawStrips();
  }

  // Percent of the track for time t (µs from the recording's start); outside the range it
  // falls outside 0..100 and the track clips it.
  x(t) {
    return (t - this.range.v0) / (this.range.v1 - this.range.v0) * 100;
  }

  row(p) {
    const row = tagProcess(el('div', 'row outcome-' + p.outcome + (p.critical ? ' critical' : '') + (p === this.app.selected ? ' selected' : '')), p);
    // The same words as the tree and the table: pid and argv (the name the program was run by).
    const label = el('div', 'label', escapeText(p.pid + ' ' + p.cmd));
    label.style.paddingLeft = Math.min(p.depth, 40) * 10 + 'px';
    label.title = escapeText(p.cmd);
    const track = el('div', 'track');
    const bar = el('div', 'bar');
    const left = Math.max(this.x(p.start), -1), right = Math.min(this.x(p.endShown), 101);
    bar.style.left = left + '%';
    bar.style.width = Math.max(right - left, 0) + '%';
    bar.title = escapeText(p.args && p.args.length ? baseName(p.args[0]) : baseName(p.program)) + ': ' + fmtDur(p.dur) + ', ' + statusText(p);
    track.appendChild(bar);
    if (p.alerts) {
      for (const a of p.alerts) {
        const mark = el('div', 'alert-mark');
        mark.style.left = this.x(a.t) + '%';
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
    const { v0, v1 } = this.range;
    this.rangeText.textContent = '+' + fmtDur(Math.round(v0)) + ' to +' + fmtDur(Math.round(v1)) + ' of ' + fmtDur(this.app.report.t1);
    const width = Math.max(this.strip.clientWidth, 1);
    const ratio = window.devicePixelRatio || 1;
    const columns = Math.round(width * ratio);
    const { counts, peak } = concurrency(this.rows, v0, v1, columns);
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
      const text = '+' + fmtDur(Math.round(v0 + k / ticks * (v1 - v0)));
      const w = a.measureText(text).width;
      a.fillText(text, Math.min(Math.max(x - w / 2, 0), columns - w), 15 * ratio);
    }
  }
}
