// Tree: the same lines as `procwatch -f tree` (PID <user> cwd % command line, then how it
// ended), collapsible. With a search, the matches are shown with their ancestors for context.
class TreeView {
  constructor(app) {
    this.app = app;
    this.collapsed = new Set();
    this.rows = [];
    this.list = new VirtualList(document.getElementById('tree-list'), 20, i => this.row(this.rows[i]));
    this.list.container.addEventListener('click', ev => {
      const toggle = ev.target.closest('.toggle');
      if (!toggle) return;
      ev.stopPropagation();
      const i = Number(toggle.parentElement.dataset.index);
      if (this.collapsed.has(i)) this.collapsed.delete(i); else this.collapsed.add(i);
      this.refresh();
    }, true);
    document.getElementById('expand-all').addEventListener('click', () => { this.collapsed.clear(); this.refresh(); });
    document.getElementById('collapse-all').addEventListener('click', () => {
      for (const p of app.report.procs) if (p.children.length) this.collapsed.add(p.i);
      this.refresh();
    });
  }

  refresh() {
    const match = this.app.match;
    let shown = null;
    if (match) {
      shown = new Uint8Array(this.app.report.procs.length); // 1: a match, 2: an ancestor of one
      for (const p of this.app.report.procs) {
        if (!match[p.i]) continue;
        shown[p.i] = 1;
        for (let a = p.parent; a && !shown[a.i]; a = a.parent) shown[a.i] = 2;
      }
    }
    this.shown = shown;
    const rows = [];
    const order = this.app.report.order;
    for (let k = 0; k < order.length; k++) {
      const p = order[k];
      if (shown && !shown[p.i]) continue;
      rows.push(p);
      if (this.collapsed.has(p.i)) {
        // Skip the subtree: it is contiguous in depth-first order.
        let j = k + 1;
        while (j < order.length && order[j].depth > p.depth) j++;
        k = j - 1;
      }
    }
    this.rows = rows;
    this.list.setCount(rows.length);
  }

  row(p) {
    const context = this.shown && this.shown[p.i] === 2;
    const row = tagProcess(el('div', 'row tree-row outcome-' + p.outcome + (context ? ' context' : '') + (p === this.app.selected ? ' selected' : '')), p);
    row.style.paddingLeft = Math.min(p.depth, 60) * 16 + 'px';
    row.appendChild(el('span', 'toggle', p.children.length ? (this.collapsed.has(p.i) ? '▸' : '▾') : ''));
    const user = p.user !== null ? '<' + p.user + '> ' : '';
    const cwd = p.cwd !== null ? p.cwd + ' % ' : '';
    row.appendChild(el('span', 'text', escapeText(p.pid + (p.flags & 4 ? ' ' : '+ ') + user + cwd + p.cmd)));
    row.appendChild(el('span', 'status outcome-' + p.outcome, statusText(p) + (p.outcome !== 'running' ? ' in ' + fmtDur(p.dur) : '')
      + (p.children.length && this.collapsed.has(p.i) ? ' (' + p.children.length + ' children hidden)' : '')));
    return row;
  }
}
