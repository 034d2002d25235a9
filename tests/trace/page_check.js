// Opens a `glm-lsp trace view` page from file:// in headless chromium and checks what a person
// would look at: the request list, a waterfall, a ranking table, a post-processing step, the
// summary; no console error, no request leaving the page. Prints one JSON object (the Python
// test asserts on it) and saves a screenshot. Usage: node page_check.js PAGE.html SHOT.png
'use strict';
const path = require('node:path');

const NODE_DIR = path.resolve(__dirname, '..', 'editors', 'node', 'node_modules');
const { chromium } = require(path.join(NODE_DIR, 'playwright-core'));
const CHROMIUM = process.env.GLM_E2E_CHROMIUM || '/usr/bin/chromium';
const [pagePath, shotPath] = process.argv.slice(2);

(async () => {
  const out = { consoleErrors: [], pageErrors: [], requests: [] };
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (m) => { if (m.type() === 'error') out.consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => out.pageErrors.push(String(e)));
    page.on('request', (r) => { if (!r.url().startsWith('file:')) out.requests.push(r.url()); });
    await page.goto('file://' + path.resolve(pagePath));
    await page.waitForSelector('#requests tbody tr', { timeout: 10000 });
    out.rows = await page.$$eval('#requests tbody tr', (rows) => rows.map((r) => r.innerText));
    // A completion request: its waterfall and ranking table.
    await page.selectOption('#kind', 'completion');
    await page.click('#requests tbody tr');
    out.completionRows = await page.$$eval('#requests tbody tr', (r) => r.length);
    out.waterfallBars = await page.$$eval('#detail .waterfall .wf-bar', (b) => b.length);
    out.rankingRows = await page.$$eval('#detail table.ranking tbody tr', (r) => r.length);
    out.featureBars = await page.$$eval('#detail table.ranking .fbar', (b) => b.length);
    // A ghost-text request that was shown: raw output -> each rule -> shown.
    await page.selectOption('#kind', 'inline');
    await page.fill('#filter', 'ghost');
    const shown = await page.$$('#requests tbody tr');
    if (shown.length) await shown[0].click();
    out.ghostSteps = await page.$$eval('#detail .ghost-path li.step', (s) => s.map((x) => x.innerText));
    out.ghostShown = await page.$$eval('#detail .ghost-path li.shown', (s) => s.map((x) => x.innerText));
    out.inlineWaterfall = await page.$$eval('#detail .waterfall .wf-bar', (b) => b.length);
    await page.click('#toggle-summary');
    out.summaryTables = await page.$$eval('#summary .summary-table', (t) => t.length);
    out.summaryText = await page.$eval('#summary', (s) => s.innerText);
    await page.screenshot({ path: shotPath, fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
