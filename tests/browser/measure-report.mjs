// Times a report in headless chromium: first contentful paint, ready (the page's script has
// drawn the first view), and interactive (a click on a process row until its details show;
// a search until the count updates). Prints one line. Used by bench/report/run.sh.
//   node measure-report.mjs REPORT.html
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const report = path.resolve(process.argv[2]);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  const started = Date.now();
  await page.goto(pathToFileURL(report).href);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 30000 });
  const t = await page.evaluate(() => ({
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
    ready: window.procwatchReport.readyAt,
    processes: window.procwatchReport.processes,
  }));
  // Interactive: the main thread answers a click on a row with its details.
  const clickAt = Date.now();
  await page.click('#timeline-list .row:nth-child(5) .label');
  await page.waitForSelector('#details:not([hidden])');
  const click = Date.now() - clickAt;
  const searchAt = Date.now();
  await page.fill('#search', 'f1');
  await page.waitForFunction(() => document.getElementById('match-count').textContent.includes('match'));
  const search = Date.now() - searchAt;
  await page.click('#tabs button[data-view="tree"]');
  await page.click('#tabs button[data-view="table"]');
  const interactive = t.ready + click;
  console.log(`processes ${t.processes}: first paint ${t.fcp?.toFixed(0)} ms, ready ${t.ready.toFixed(0)} ms, interactive ${interactive.toFixed(0)} ms`
    + ` (click → details ${click} ms), search ${search} ms, load wall ${Date.now() - started} ms${errors.length ? ', ERRORS: ' + errors.join('; ') : ''}`);
} finally {
  await browser.close();
}
