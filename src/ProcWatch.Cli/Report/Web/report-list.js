// A virtualized list: only the rows in (and near) the viewport exist in the DOM, so 100,000
// processes cost what 60 do.
class VirtualList {
  constructor(container, rowHeight, renderRow) {
    this.container = container;
    this.rowHeight = rowHeight;
    this.renderRow = renderRow;
    this.count = 0;
    this.pending = false;
    this.spacer = el('div', 'spacer');
    container.appendChild(this.spacer);
    container.addEventListener('scroll', () => this.schedule(), { passive: true });
    window.addEventListener('resize', () => this.schedule());
  }

  setCount(n) {
    this.count = n;
    this.spacer.style.height = n * this.rowHeight + 'px';
    this.draw();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }

  draw() {
    const h = this.rowHeight;
    const top = this.container.scrollTop;
    const height = this.container.clientHeight || 800;
    const first = Math.max(0, Math.floor(top / h) - 10);
    const last = Math.min(this.count, Math.ceil((top + height) / h) + 10);
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const row = this.renderRow(i);
      row.style.top = i * h + 'px';
      frag.appendChild(row);
    }
    this.spacer.textContent = '';
    this.spacer.appendChild(frag);
  }

  reveal(i) {
    const h = this.rowHeight, c = this.container;
    if (i * h < c.scrollTop || (i + 1) * h > c.scrollTop + c.clientHeight) c.scrollTop = Math.max(0, i * h - c.clientHeight / 2);
    this.draw();
  }
}
