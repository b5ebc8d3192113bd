// The web console in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core),
// run by tests/e2e/test_console.py against a live duckd:
//   node console_test.js BASE_URL TOKEN SCREENSHOT.png
// Talks to the Python side over stdin/stdout for the cancel step: prints "LONG?" and waits for
// a line "GO" (a psycopg connection is then running a long query), cancels that session from
// the sessions list and prints "CANCELLED <id>"; then prints "DEMO?", waits for "GO" (another
// long query runs, to be seen in the screenshot) and prints "SHOT" after it. Prints "OK" at the end; any failure throws
// (exit code 1) with the page's console messages.
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const [base, token, shot] = process.argv.slice(2);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const STEP_MS = 20000;

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  timeout: 60000,
});
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    // refused API calls (401 before the token is set) are logged as failed loads: expected
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text()))
      problems.push('console: ' + m.text());
  });

  const text = (sel) => page.locator(sel).innerText();
  const run = async (sql) => {
    await page.fill('#sql', sql);
    await page.press('#sql', 'Control+Enter');
  };
  const pageInfo = async (want) =>
    page.waitForFunction((w) => document.getElementById('page-info').textContent.startsWith(w), want);
  const cell = (row, col) => text(`#grid tbody tr:nth-child(${row}) td:nth-child(${col + 1})`);

  // the page loads without a token; health is public
  const resp = await page.goto(base + '/');
  check(resp.status() === 200, 'GET / is 200');
  check(/default-src 'self'/.test(resp.headers()['content-security-policy'] || ''), 'CSP header');
  await page.waitForFunction(() => document.getElementById('live').classList.contains('ok'));
  await page.waitForFunction(() => document.getElementById('ready').classList.contains('ok'));
  // the API refuses without the token; the token field asks for one
  await page.waitForSelector('#auth.need');
  await page.fill('#token', token);
  await page.click('#auth button');
  await page.waitForFunction(() => !document.getElementById('auth').classList.contains('need'));
  check(await page.evaluate(() => sessionStorage.getItem('duckd.token')) === token, 'token stored');
  await page.waitForFunction(() => document.getElementById('m-conn').textContent !== '–');

  // a query: the grid shows its rows
  await run("SELECT 42 AS answer, 'hello' AS greeting, NULL AS nothing, 1.50::DECIMAL(5,2) AS price");
  await pageInfo('rows 1–1 of 1');
  check(await cell(1, 1) === '42' && await cell(1, 2) === 'hello' && await cell(1, 3) === 'NULL' &&
        await cell(1, 4) === '1.50', 'one row shown');
  check(await page.locator('#chart').isHidden(), 'no chart for four columns');

  // 10,000 rows: pages of 100, read as the pages are asked for
  await run("SELECT range AS n, 'row ' || range AS label FROM range(10000)");
  await pageInfo('rows 1–100 of ');
  check(/of \d+\+/.test(await text('#page-info')), 'more rows announced: ' + await text('#page-info'));
  check(await page.locator('#grid tbody tr').count() === 100, '100 rows on a page');
  check(await cell(1, 1) === '0' && await cell(100, 2) === 'row 99', 'first page');
  check(await page.locator('#chart').isHidden(), 'no chart for number + text');
  await page.click('#page-next');
  await pageInfo('rows 101–200');
  check(await cell(1, 1) === '100', 'second page');
  await page.click('#page-prev');
  await pageInfo('rows 1–100');
  await page.click('#page-last');
  await pageInfo('rows 9901–10000 of 10000');
  check(await cell(100, 1) === '9999' && await cell(100, 2) === 'row 9999', 'last page');
  check(await page.locator('#page-next').isDisabled(), 'no page after the last');
  await page.click('#page-first');
  // the browser kept only the last 20 pages: "first" is the oldest kept
  await pageInfo('rows 8001–8100 of 10000');
  check(/let go/.test(await text('#page-info')), 'dropped pages said');
  check(await page.locator('#grid tbody tr').count() === 100, 'a page still has 100 rows');

  // Stop while » reads a large result: the pages read so far stay, the stream is closed
  await run('SELECT range AS n FROM range(50000000)');
  await pageInfo('rows 1–100 of ');
  await page.click('#page-last');
  await page.waitForFunction(() => /reading… \d+ rows/.test(document.getElementById('status').textContent));
  await page.click('#stop');
  await page.waitForFunction(() => document.getElementById('status').textContent ===
                             'result closed (stopped)');
  await page.waitForFunction(() => /^rows \d+–\d+ \(stream closed\)/.test(
    document.getElementById('page-info').textContent));
  {
    const [, from, to] = /^rows (\d+)–(\d+)/.exec(await text('#page-info')).map(Number);
    check(from > 100 && await page.locator('#grid tbody tr').count() === to - from + 1 &&
          await cell(1, 1) === String(from - 1), 'the last page read is shown');
  }
  check(await page.locator('#page-next').isDisabled() && await page.locator('#page-last').isDisabled(),
        'nothing more to read');

  // two columns: label + number is a bar chart, number + number a line
  await run("SELECT * FROM (VALUES ('north', 12.5), ('south', 30), ('east', 7)) t(region, amount)");
  await page.waitForSelector('#chart svg rect.bar-rect');
  check(await page.locator('#chart svg rect.bar-rect').count() === 3, 'three bars');
  await run('SELECT x, x * x AS y FROM range(20) t(x)');
  await page.waitForSelector('#chart svg polyline.line');

  // an error shows its SQLSTATE
  await run('SELEC 1');
  await page.waitForSelector('#error:not([hidden])');
  check(await text('#error-code') === '42601', 'syntax error SQLSTATE: ' + await text('#error-code'));
  check(await page.locator('#result').isHidden(), 'no result after an error');
  await run('SELECT * FROM no_such_table');
  await page.waitForFunction(() => document.getElementById('error-code').textContent === '42P01');
  await run('SELECT 1 AS ok');
  await page.waitForSelector('#error', { state: 'hidden' });

  // Stop hangs up on a running statement: the server cancels it and its session ends
  const slow = 'SELECT count(DISTINCT md5(a::varchar)) AS n FROM big, range(100) r(b)';
  await run(slow);
  const mine = page.locator('#sessions tbody tr', { hasText: 'http' }).filter({
    has: page.locator('button.cancel'),
  });
  await mine.first().waitFor();
  await page.click('#stop');
  await page.waitForFunction(() => document.getElementById('status').textContent ===
                             'result closed (stopped)');
  await mine.first().waitFor({ state: 'detached' });

  // cancel a psycopg session's long query from the sessions list
  console.log('LONG?');
  check((await lines.next()).value === 'GO', 'the long query started');
  const busy = page.locator('#sessions tbody tr', { hasText: 'pgwire' }).filter({
    has: page.locator('button.cancel'),
  });
  await busy.first().waitFor();
  const id = await busy.first().getAttribute('data-id');
  await busy.first().locator('button.cancel').click();
  await page.waitForFunction((i) => document.getElementById('sessions-note').textContent ===
                             'cancel sent to session ' + i, id);
  await page.waitForFunction((i) => {
    const tr = document.querySelector(`#sessions tbody tr[data-id="${i}"]`);
    return !tr || !tr.querySelector('button.cancel');
  }, id);
  console.log('CANCELLED ' + id);

  // the demo for the screenshot: sales by region, charted, while another long query runs
  console.log('DEMO?');
  check((await lines.next()).value === 'GO', 'the demo query started');
  await run(`SELECT region, sum(amount) AS sales
FROM sales
GROUP BY region
ORDER BY sales DESC`);
  await page.waitForSelector('#chart svg rect.bar-rect');
  await page.locator('#sessions tbody tr button.cancel').first().waitFor();
  await page.waitForTimeout(2500); // one more poll: sessions and metrics current
  await page.screenshot({ path: shot, fullPage: true });
  console.log('SHOT');

  check(problems.length === 0, 'no page errors:\n' + problems.join('\n'));
  console.log('OK');
} catch (e) {
  console.error(String(e.stack || e));
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
  process.stdin.destroy();
}
