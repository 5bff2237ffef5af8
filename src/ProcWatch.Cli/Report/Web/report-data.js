// Unpacks the report's JSON (written by ReportDataWriter.cs) into process objects with
// parent/children links, a depth-first order, alerts and the critical path.
const OUTCOMES = ['ok', 'fail', 'signal', 'core', 'running', 'unknown'];
const OUTCOME_LABELS = { ok: 'exit 0', fail: 'non-zero exit', signal: 'killed by a signal', core: 'core dumped', running: 'still running', unknown: 'exit status unknown' };

function loadReport() {
  const data = JSON.parse(document.getElementById('procwatch-data').textContent);
  const strings = data.strings;
  const str = i => (i >= 0 ? strings[i] : null);
  const t1 = Math.max(data.t1, 1);
  const procs = new Array(data.processes.length);
  for (let i = 0; i < procs.length; i++) {
    const r = data.processes[i];
    const p = {
      i, pid: r[0], parentIndex: r[1], entity: r[2], start: r[3], end: r[4], exec: r[5],
      outcome: OUTCOMES[r[6]] || 'unknown', exitCode: r[7], signal: r[8],
      exe: str(r[9]), name: str(r[10]), cwd: str(r[11]), user: str(r[12]), args: r[13],
      cpu: r[15], rss: r[16], flags: r[17], container: str(r[18]), pod: str(r[19]), parent: null, children: [], depth: 0, alerts: null, critical: false,
    };
    p.endShown = p.end !== null ? Math.max(p.end, p.start) : t1; // never before its start
    p.dur = r[14] !== null ? r[14] : p.endShown - p.start;
    p.cmd = p.args ? shellJoin(p.args) : (p.name || p.exe || '?');
    p.program = p.exe || p.name || (p.args && p.args[0]) || '?';
    p.haystack = (p.cmd + '\n' + (p.exe || '')).toLowerCase();
    p.failed = p.outcome === 'fail' || p.outcome === 'signal' || p.outcome === 'core';
    procs[i] = p;
  }
  // The data's parents are acyclic (ReportModelBuilder breaks cycles); a hand-edited file may
  // not be. Each walk up marks what it passes; coming back to its own mark is a cycle, cut
  // there (that process becomes a root). Linear: every process is walked through once.
  for (const p of procs) p.parent = p.parentIndex >= 0 && p.parentIndex < procs.length ? procs[p.parentIndex] : null;
  const DONE = 0xffffffff, state = new Uint32Array(procs.length);
  for (let i = 0; i < procs.length; i++) {
    if (state[i]) continue;
    let a = procs[i];
    while (a && state[a.i] === 0) { state[a.i] = i + 1; a = a.parent; }
    if (a && state[a.i] === i + 1) a.parent = null;
    for (let b = procs[i]; b && state[b.i] === i + 1; b = b.parent) state[b.i] = DONE;
  }
  const roots = [];
  for (const p of procs) if (p.parent) p.parent.children.push(p); else roots.push(p);
  const byStart = (a, b) => a.start - b.start || a.i - b.i;
  roots.sort(byStart);
  for (const p of procs) if (p.children.length > 1) p.children.sort(byStart);

  // Depth-first order: a child right under its parent (iterative: deep trees must not overflow the stack).
  const order = [];
  const stack = [];
  for (let r = roots.length - 1; r >= 0; r--) stack.push(roots[r]);
  while (stack.length) {
    const p = stack.pop();
    p.depth = p.parent ? p.parent.depth + 1 : 0;
    p.orderIndex = order.length;
    order.push(p);
    for (let c = p.children.length - 1; c >= 0; c--) stack.push(p.children[c]);
  }

  const alerts = data.alerts.map(a => ({ proc: a[0] >= 0 ? procs[a[0]] : null, t: a[1], id: a[2], name: a[3], ruleset: a[4], severity: a[5] }));
  for (const a of alerts) if (a.proc) (a.proc.alerts || (a.proc.alerts = [])).push(a);

  return { data, procs, roots, order, alerts, t1, traced: tracedRange(procs, t1), critical: markCriticalPath(roots) };
}

// The critical path: from the root that ends last, follow at each step the child that ended
// last (the one its parent waited for). Returns the path, root first.
function markCriticalPath(roots) {
  let cur = null;
  for (const r of roots) if (!cur || r.endShown > cur.endShown || (r.endShown === cur.endShown && r.dur > cur.dur)) cur = r;
  const path = [];
  while (cur) {
    cur.critical = true;
    path.push(cur);
    let next = null;
    for (const c of cur.children) if (!next || c.endShown > next.endShown) next = c;
    cur = next;
  }
  return path;
}

// Shell-style quoting, as process.command_line: plain words bare, others in single quotes.
function shellJoin(args) {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (i) out += ' ';
    out += a !== '' && /^[A-Za-z0-9_@%+=:,.\/-]+$/.test(a) ? a : "'" + a.split("'").join("'\\''") + "'";
  }
  return out;
}

// Processes running at each of `columns` moments from v0 to v1, and the peak over the whole recording.
function concurrency(procs, v0, v1, columns) {
  const starts = new Float64Array(procs.length), ends = new Float64Array(procs.length);
  for (let i = 0; i < procs.length; i++) { starts[i] = procs[i].start; ends[i] = procs[i].endShown; }
  starts.sort(); ends.sort();
  let peak = 0, running = 0, s = 0, e = 0;
  while (s < starts.length) {
    // e < ends.length: with an end before its start the ends could run out first (and the loop never end).
    if (e >= ends.length || starts[s] <= ends[e]) { running++; s++; if (running > peak) peak = running; } else { running--; e++; }
  }
  const counts = new Uint32Array(columns);
  s = 0; e = 0; running = 0;
  for (let x = 0; x < columns; x++) {
    const tEnd = v0 + (x + 1) * (v1 - v0) / columns;
    let max = running;
    while (s < starts.length && starts[s] <= tEnd) { running++; s++; if (running > max) max = running; }
    while (e < ends.length && ends[e] < tEnd) { running--; e++; }
    counts[x] = Math.max(max, 0);
  }
  return { counts, peak };
}

// The traced work: from the first process whose exec was seen to the last moment any of them
// was seen. Processes that were already running (a long-lived shell, a daemon) would otherwise
// stretch the timeline until the work is a sliver at its right edge.
function tracedRange(procs, t1) {
  let v0 = Infinity, v1 = -Infinity;
  for (const p of procs) {
    if (p.flags & 4) continue; // no exec seen: it was there before the recording began
    v0 = Math.min(v0, p.start);
    v1 = Math.max(v1, p.end !== null ? p.end : (p.exec !== null ? p.exec : p.start));
  }
  if (v0 === Infinity) return { v0: 0, v1: t1 };
  return { v0, v1: Math.max(v1, v0 + 1) };
}
