// Opens a procwatch HTML report in headless Debian chromium and prints, as one JSON object,
// what a person would see: every rendered process row per view (data-pid, data-entity-id,
// parent, colour class), the details after a click, the search count, the banner, and any
// script error, dialog or network request. The C# tests (tests/ProcWatch.Tests/Cli/Report) assert on it.
//   node inspect-report.mjs REPORT.html [--screenshots DIR] [--click PID] [--search TEXT] [--regex] [--failed-only]
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const args = process.argv.slice(2);
const report = path.resolve(args[0]);
const option = name => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : null; };
const shots = option('--screenshots');
const clickPid = option('--click');
const searchText = option('--search');

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const out = { consoleErrors: [], pageErrors: [], requests: [], dialogs: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', m => { if (m.type() === 'error') out.consoleErrors.push(m.text()); });
  page.on('pageerror', e => out.pageErrors.push(String(e)));
  page.on('dialog', d => { out.dialogs.push(d.message()); d.dismiss(); });
  page.on('request', r => { if (!r.url().startsWith('file:')) out.requests.push(r.url()); });
  await page.goto(pathToFileURL(report).href);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 10000 });
  out.pwned = await page.evaluate(() => window.__pwned || null);
  out.banner = await page.evaluate(() => { const b = document.getElementById('banner'); return b.hidden ? null : b.textContent; });
  out.matchCount = await page.evaluate(() => Number(document.getElementById('match-count').dataset.count));

  const rows = sel => page.evaluate(s => [...document.querySelectorAll(s)].map(r => ({
    pid: Number(r.dataset.pid), entityId: r.dataset.entityId, parentPid: r.dataset.parentPid === '' ? null : Number(r.dataset.parentPid),
    cls: [...r.classList].join(' '), text: r.querySelector('.label, .text')?.textContent ?? r.textContent,
    barWidth: r.querySelector('.bar')?.getBoundingClientRect().width ?? null,
    barLeft: r.querySelector('.bar')?.getBoundingClientRect().left ?? null,
  })), sel);

  out.timeline = await rows('#timeline-list .row');
  if (shots) { fs.mkdirSync(shots, { recursive: true }); await page.screenshot({ path: path.join(shots, 'timeline.png') }); }
  await page.click('#tabs button[data-view="tree"]');
  out.tree = await rows('#tree-list .row');
  if (shots) await page.screenshot({ path: path.join(shots, 'tree.png') });
  await page.click('#tabs button[data-view="table"]');
  out.table = await rows('#table-list .row');
  await page.click('#tabs button[data-view="summary"]');
  out.summary = await page.evaluate(() => ({
    failed: Number(document.querySelector('#count-failed .n').textContent),
    total: Number(document.querySelector('#count-total .n').textContent),
    corrupt: [...document.querySelectorAll('#corrupt-table tr')].slice(1).map(tr => [...tr.children].map(td => td.textContent)),
    lost: [...document.querySelectorAll('#lost-table tr')].slice(1).map(tr => [...tr.children].map(td => td.textContent)),
    alerts: [...document.querySelectorAll('#alerts-table tr')].slice(1).map(tr => [...tr.children].map(td => td.textContent)),
    wall: document.getElementById('wall-vs-total').textContent,
  }));
  if (shots) await page.screenshot({ path: path.join(shots, 'summary.png'), fullPage: true });

  if (clickPid) {
    await page.click('#tabs button[data-view="timeline"]');
    await page.click(`#timeline-list .row[data-pid="${clickPid}"] .label`);
    await page.waitForSelector('#details:not([hidden])');
    out.details = await page.evaluate(() => ({
      pid: Number(document.getElementById('details').dataset.pid),
      entityId: document.getElementById('details').dataset.entityId,
      argv: [...document.querySelectorAll('#detail-argv li')].map(li => li.textContent),
      escapes: [...document.querySelectorAll('#detail-argv .esc')].map(s => s.textContent),
      exe: document.getElementById('detail-exe').textContent,
      exit: document.getElementById('detail-exit').textContent,
      chain: document.getElementById('detail-chain').textContent,
    }));
    if (shots) await page.screenshot({ path: path.join(shots, 'details.png') });
  }
  if (searchText !== null || args.includes('--failed-only')) {
    await page.click('#tabs button[data-view="table"]');
    if (args.includes('--regex')) await page.check('#search-regex');
    if (args.includes('--failed-only')) await page.check('#failed-only');
    if (searchText !== null) await page.fill('#search', searchText);
    out.search = await page.evaluate(() => ({
      count: Number(document.getElementById('match-count').dataset.count),
      rows: [...document.querySelectorAll('#table-list .row')].map(r => Number(r.dataset.pid)),
      error: document.getElementById('search-error').textContent,
    }));
  }
  out.pwned = out.pwned || await page.evaluate(() => window.__pwned || null);
  // Anything the data could have injected: elements that load or run, beyond the page's own two scripts (data, code).
  out.injected = await page.evaluate(() => document.querySelectorAll('img, iframe, object, embed, svg, link').length + document.scripts.length - 2);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
