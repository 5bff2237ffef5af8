// Text for people. Everything from the recording is attacker-controlled: it reaches the page
// only through textContent, with control characters, invalid bytes (lone surrogates
// U+DC80..U+DCFF, one per byte), bidi overrides and backslashes written as visible escapes.
function hex(n, w) { return n.toString(16).padStart(w, '0'); }

function escapeOf(s, i) {
  const c = s.charCodeAt(i);
  if (c === 0x5c) return ['\\\\', 1];
  if (c < 0x20 || c === 0x7f) return [c === 10 ? '\\n' : c === 9 ? '\\t' : c === 13 ? '\\r' : c === 0x1b ? '\\e' : '\\x' + hex(c, 2), 1];
  if (c >= 0x80 && c <= 0x9f) return ['\\u' + hex(c, 4), 1];
  if (c >= 0xd800 && c <= 0xdfff) {
    if (c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) return null;
    return [c >= 0xdc80 && c <= 0xdcff ? '\\x' + hex(c - 0xdc00, 2) : '\\u' + hex(c, 4), 1];
  }
  if ((c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0xfeff) return ['\\u' + hex(c, 4), 1];
  return null;
}

const SAFE_TEXT = /^[\x20-\x5b\x5d-\x7e]*$/;

// The escaped form as one string (labels, titles, table cells).
function escapeText(s) {
  if (s === null || s === undefined) return '';
  s = String(s);
  if (SAFE_TEXT.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const e = escapeOf(s, i);
    if (e) out += e[0];
    else if ((s.charCodeAt(i) & 0xfc00) === 0xd800) { out += s[i] + s[i + 1]; i++; } else out += s[i];
  }
  return out;
}

// The escaped form as DOM: escapes are marked (class "esc") so they cannot pass for the text.
function escapedNode(s) {
  const frag = document.createDocumentFragment();
  s = s === null || s === undefined ? '' : String(s);
  let plain = '';
  for (let i = 0; i < s.length; i++) {
    const e = escapeOf(s, i);
    if (!e) {
      if ((s.charCodeAt(i) & 0xfc00) === 0xd800) { plain += s[i] + s[i + 1]; i++; } else plain += s[i];
      continue;
    }
    if (plain) { frag.appendChild(document.createTextNode(plain)); plain = ''; }
    frag.appendChild(el('span', 'esc', e[0]));
  }
  if (plain) frag.appendChild(document.createTextNode(plain));
  return frag;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function fmtDur(us) {
  if (us === null || us === undefined) return '';
  if (us < 1000) return us + ' µs';
  if (us < 1e6) return (us / 1000).toFixed(us < 1e4 ? 2 : 1) + ' ms';
  if (us < 6e7) return (us / 1e6).toFixed(us < 1e7 ? 3 : 2) + ' s';
  const s = Math.round(us / 1e6);
  return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
}

function fmtBytes(b) {
  if (b === null || b === undefined) return '';
  if (b < 1024 * 1024) return (b / 1024).toFixed(0) + ' KiB';
  return (b / 1048576).toFixed(1) + ' MiB';
}

function fmtClock(report, t) {
  const abs = report.data.t0 + t; // µs since the epoch
  const iso = new Date(Math.floor(abs / 1000)).toISOString();
  return iso.slice(0, 23).replace('T', ' ') + String(Math.floor(abs % 1000)).padStart(3, '0') + ' UTC';
}

function statusText(p) {
  switch (p.outcome) {
    case 'ok': return 'exited 0';
    case 'fail': return 'exited ' + p.exitCode;
    case 'signal': return 'killed by ' + (p.signal || 'a signal');
    case 'core': return 'killed by ' + (p.signal || 'a signal') + ' (core dumped)';
    case 'running': return 'still running';
    default: return 'exited (status unknown)';
  }
}

function baseName(path) {
  const slash = path.lastIndexOf('/');
  return slash >= 0 ? path.slice(slash + 1) : path;
}

// The attributes every rendered process row carries, for tests and tooling.
function tagProcess(node, p) {
  node.dataset.pid = p.pid;
  node.dataset.entityId = p.entity || '';
  node.dataset.parentPid = p.parent ? p.parent.pid : '';
  node.dataset.index = p.i;
  return node;
}
