// Measures the web console on large results (not part of `make test`): the time to the first
// page and to read a result to its end with », and the page's JavaScript heap afterwards.
//   node console_measure.js http://127.0.0.1:8433 TOKEN [ROWS ...]
import { chromium } from 'playwright-core';

const [base, token, ...sizes] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--enable-precise-memory-info', '--js-flags=--expose-gc'],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(600000);
  await page.goto(base + '/');
  await page.fill('#token', token);
  await page.click('#auth button');
  for (const n of sizes.length ? sizes.map(Number) : [1000000, 10000000]) {
    await page.fill('#sql', `SELECT range AS n, md5(range::varchar) AS h FROM range(${n})`);
    let t0 = Date.now();
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('page-info').textContent
      .startsWith('rows 1–100 of') || !document.getElementById('error').hidden);
    if (await page.locator('#error').isVisible())
      throw new Error(await page.locator('#error').innerText());
    const first = Date.now() - t0;
    t0 = Date.now();
    await page.click('#page-last');
    await page.waitForFunction((k) => document.getElementById('page-info').textContent
      .includes('of ' + k) || !document.getElementById('error').hidden, n);
    if (await page.locator('#error').isVisible())
      throw new Error(await page.locator('#error').innerText());
    const all = Date.now() - t0;
    await page.evaluate(() => window.gc && window.gc());
    const heap = await page.evaluate(() => performance.memory.usedJSHeapSize);
    console.log(`${n} rows: first page ${first} ms, read to the end ${all} ms, ` +
                `JS heap ${(heap / 1048576).toFixed(1)} MiB`);
  }
} finally {
  await browser.close();
}
