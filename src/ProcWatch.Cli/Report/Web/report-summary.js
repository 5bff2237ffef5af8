// Summary: counts (failures first), the failed processes, the slowest steps, top executables
// by count and by time, wall time against total process time, losses, unreadable lines, alerts.
function buildSummary(app, root) {
  const report = app.report, procs = report.procs;
  root.classList.add('summary');
  const counts = { ok: 0, fail: 0, signal: 0, core: 0, running: 0, unknown: 0 };
  let total = 0;
  for (const p of procs) { counts[p.outcome]++; total += p.dur; }
  const failed = counts.fail + counts.signal + counts.core;

  const cards = el('div', 'cards');
  const card = (n, label, bad, id) => {
    const c = el('div', 'card' + (bad && n ? ' bad' : ''));
    if (id) c.id = id;
    c.appendChild(el('div', 'n', String(n)));
    c.appendChild(el('div', null, label));
    cards.appendChild(c);
  };
  card(failed, 'failed', true, 'count-failed');
  card(counts.fail, 'non-zero exit', true);
  card(counts.signal, 'killed by a signal', true);
  card(counts.core, 'core dumped', true);
  card(counts.running, 'still running', false);
  card(counts.unknown, 'status unknown', false);
  card(counts.ok, 'exit 0', false);
  card(procs.length, 'processes in all', false, 'count-total');
  root.appendChild(cards);

  const wall = report.t1;
  const times = el('p');
  times.id = 'wall-vs-total';
  times.textContent = 'Wall time ' + fmtDur(wall) + ', total process time ' + fmtDur(total)
    + (wall > 0 ? ' (on average ' + (total / wall).toFixed(1) + ' processes at once)' : '')
    + '. Critical path: ' + report.critical.length + ' steps, ending ' + fmtDur(report.critical.length ? report.critical[report.critical.length - 1].endShown : 0) + ' in.';
  root.appendChild(times);

  if (report.data.lost.length) {
    section(root, 'Lost events — this report is incomplete', 'lost');
    table(root, ['When', 'Reason', 'Events lost'], report.data.lost.map(l => ({ cells: ['+' + fmtDur(l[0]), l[1], String(l[2])] })), 'lost-table');
  }
  if (report.data.corruptLines) {
    section(root, report.data.corruptLines + ' unreadable lines skipped', 'corrupt');
    table(root, ['File', 'Line', 'Why', 'Text'], report.data.corrupt.map(c => ({ cells: [c[0], String(c[1]), c[2], c[3]] })), 'corrupt-table');
  }
  if (report.alerts.length) {
    section(root, report.alerts.length + ' alerts' + (report.data.alertsOmitted ? ' (' + report.data.alertsOmitted + ' more not kept)' : ''), 'alerts');
    table(root, ['When', 'Rule', 'Ruleset', 'Severity', 'Process'], report.alerts.map(a => ({
      proc: a.proc, cells: ['+' + fmtDur(a.t), a.name || a.id || '', a.ruleset || '', a.severity || '', a.proc ? a.proc.pid + ' ' + a.proc.cmd : ''],
    })), 'alerts-table');
  }
  if (failed) {
    section(root, 'Failed (' + failed + ')', 'failed');
    const list = procs.filter(p => p.failed).slice(0, 200);
    table(root, ['PID', 'Status', 'Duration', 'Command line'], list.map(p => ({ proc: p, cells: [String(p.pid), statusText(p), fmtDur(p.dur), p.cmd] })), 'failed-table');
  }
  section(root, 'Slowest', 'slowest');
  const slowest = procs.slice().sort((a, b) => b.dur - a.dur).slice(0, 15);
  table(root, ['PID', 'Duration', 'Status', 'Command line'], slowest.map(p => ({ proc: p, cells: [String(p.pid), fmtDur(p.dur), statusText(p), p.cmd] })), 'slowest-table');

  const byProgram = new Map();
  for (const p of procs) {
    const key = p.program;
    const e = byProgram.get(key) || { key, count: 0, time: 0, failed: 0 };
    e.count++; e.time += p.dur; if (p.failed) e.failed++;
    byProgram.set(key, e);
  }
  const programs = [...byProgram.values()];
  const top = (rows, id) => table(root, ['Executable', 'Runs', 'Total time', 'Failed'], rows.slice(0, 15).map(e => ({ cells: [e.key, String(e.count), fmtDur(e.time), String(e.failed)] })), id);
  section(root, 'Top executables by count', 'top-count');
  top(programs.slice().sort((a, b) => b.count - a.count || b.time - a.time), 'top-count-table');
  section(root, 'Top executables by time', 'top-time');
  top(programs.slice().sort((a, b) => b.time - a.time), 'top-time-table');

  const byContainer = new Map();
  for (const p of procs) {
    if (p.container === null) continue;
    const key = p.container.includes(', ') ? p.container.slice(p.container.lastIndexOf(', ') + 2) : p.container;
    const e = byContainer.get(key) || { label: p.container, pod: p.pod, count: 0, entries: 0, failed: 0, programs: new Set() };
    if (p.container.length > e.label.length) e.label = p.container;
    e.pod = e.pod || p.pod;
    e.count++; if (p.flags & 8) e.entries++; if (p.failed) e.failed++;
    e.programs.add(baseName(p.program));
    byContainer.set(key, e);
  }
  if (byContainer.size) {
    section(root, 'Containers (' + byContainer.size + ')', 'containers');
    table(root, ['Container', 'Pod', 'Processes', 'Entries from outside', 'Failed', 'Programs'], [...byContainer.values()].sort((a, b) => b.count - a.count).slice(0, 100).map(e => ({
      cells: [e.label, e.pod || '', String(e.count), String(e.entries), String(e.failed), [...e.programs].slice(0, 12).join(' ')],
    })), 'containers-table');
  }

  section(root, 'Recording', 'recording');
  const d = report.data;
  table(root, ['', ''], [
    { cells: ['Files', d.files.join(', ')] },
    { cells: ['Hosts', d.hosts.join(', ')] },
    { cells: ['Lines read', String(d.lines)] },
    { cells: ['First process start', fmtClock(report, 0)] },
    { cells: ['Report generated', d.generatedAt] },
  ], 'recording-table');
}

function section(root, title, id) {
  const h = el('h2', null, title);
  h.id = 'summary-' + id;
  root.appendChild(h);
}

// Rows with a process are clickable (details) and tagged like every other process row.
function table(root, headings, rows, id) {
  const t = el('table');
  t.id = id;
  const head = el('tr');
  for (const h of headings) head.appendChild(el('th', null, h));
  t.appendChild(head);
  for (const r of rows) {
    const tr = el('tr');
    if (r.proc) tagProcess(tr, r.proc);
    r.cells.forEach((c, k) => tr.appendChild(el('td', k === r.cells.length - 1 ? 'mono' : null, escapeText(c))));
    t.appendChild(tr);
  }
  root.appendChild(t);
}
