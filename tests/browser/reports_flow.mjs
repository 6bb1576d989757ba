// The monthly report from the console, in headless Chromium: the demo DSL
// generates the named and the aggregate report for the demo month
// (2026-11) from /reports and opens them; the demo IT admin generates and
// opens the aggregate one, is refused the named one and downloads a CSV.
// Each report is shot on screen and in print media at 1200 px and 375 px
// (and saved as PDF), and checked: no sideways scroll, every chart <svg>
// drawn with a size, no element wider than the page, no script error or
// CSP violation, and names of the demo people (demo/people.csv) in the
// DSL's named report only.
//
// Run by run_browser.py (--checks=reports), which afterwards finds the
// generation, reads and export in the audit log.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const url = process.env.VIGIL_URL;
const [dslName, dslPassword] = JSON.parse(process.env.VIGIL_DSL);
const [adminName, adminPassword] = JSON.parse(process.env.VIGIL_ADMIN);
const artefacts = process.env.VIGIL_ARTEFACTS;
const month = '2026-11';

// The demo people's names, from the CSV the demo imports.
const peopleCsv = fs.readFileSync(new URL('../../demo/people.csv', import.meta.url), 'utf8');
const names = peopleCsv.trim().split('\n').slice(1).map((line) => line.split(',')[1]);
assert.ok(names.length >= 3, 'demo/people.csv has no names');

const browser = await chromium.launch({
  executablePath: process.env.VIGIL_CHROMIUM,
  args: ['--no-sandbox'],  // CI runs as root
});
const problems = [];

async function newPage(who) {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,  // the console's own self-signed certificate
    viewport: { width: 1200, height: 900 },
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.on('dialog', async (d) => {
    problems.push(`${who}: a ${d.type()} dialog opened: ${d.message()}`);
    await d.dismiss();
  });
  page.on('pageerror', (e) => problems.push(`${who}: script error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${who}: console error at ${page.url()}: ${m.text()}`);
  });
  return page;
}

async function signIn(page, name, password) {
  await page.goto(`${url}/login`);
  await page.fill('#user', name);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.ok(!page.url().includes('/login'), `${name} could not sign in (at ${page.url()})`);
}

async function generate(page, audience) {
  await page.goto(`${url}/reports`);
  await page.fill('#month', month);
  if (audience) await page.selectOption('#audience', audience);
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.click('form.stack button[type=submit]'),
  ]);
  const want = audience === 'named' ? `/reports/${month}/named` : `/reports/${month}`;
  assert.equal(new URL(page.url()).pathname, want, `generating went to ${page.url()}`);
  assert.equal(response.status(), 200, `the report answered ${response.status()}`);
  const csp = response.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'none'/, `report CSP: ${csp}`);
  assert.match(csp, /style-src 'unsafe-inline'/, `report CSP: ${csp}`);
}

// Layout checks of the report open in `page`, at the current width.
async function checkLayout(page, what) {
  const r = await page.evaluate(() => {
    const doc = document.documentElement;
    const width = doc.clientWidth;
    const svgs = [...document.querySelectorAll('svg')].map((s) => {
      const b = s.getBoundingClientRect();
      return { w: b.width, h: b.height, title: (s.querySelector('title') || {}).textContent };
    });
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
      const b = el.getBoundingClientRect();
      if (b.width === 0 && b.height === 0) continue;
      // Content inside a box that scrolls on its own does not widen the page.
      let scroller = el.parentElement;
      while (scroller && scroller !== document.body) {
        const ox = getComputedStyle(scroller).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') break;
        scroller = scroller.parentElement;
      }
      const inScroller = scroller && scroller !== document.body;
      if (!inScroller && (b.right > width + 1 || b.left < -1)) {
        wide.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(b.left)}..${Math.round(b.right)}`);
      }
    }
    return {
      overflow: doc.scrollWidth - doc.clientWidth,
      width,
      svgs,
      wide: wide.slice(0, 5),
      text: document.body.innerText,
      styled: getComputedStyle(document.body).fontFamily,
    };
  });
  if (r.overflow > 1) problems.push(`${what}: scrolls sideways by ${r.overflow}px`);
  if (r.svgs.length === 0) problems.push(`${what}: no chart <svg>`);
  for (const s of r.svgs) {
    if (!(s.w > 0 && s.h > 0)) problems.push(`${what}: chart "${s.title}" drawn at ${s.w}x${s.h}`);
  }
  if (r.wide.length) problems.push(`${what}: wider than the page (${r.width}px): ${r.wide.join('; ')}`);
  return r;
}

async function shoot(page, who) {
  let text = '';
  for (const width of [1200, 375]) {
    await page.setViewportSize({ width, height: 900 });
    for (const media of ['screen', 'print']) {
      await page.emulateMedia({ media });
      const r = await checkLayout(page, `${who} report, ${media}, ${width}px`);
      text = r.text;
      await page.screenshot({
        path: path.join(artefacts, `reports-${who}-${media}-${width}.png`),
        fullPage: true,
      });
    }
  }
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.pdf({ path: path.join(artefacts, `reports-${who}.pdf`), format: 'A4' });
  return text;
}

// --- The DSL: the named report names the demo's people ----------------------
const dsl = await newPage('dsl');
await signIn(dsl, dslName, dslPassword);
await dsl.goto(`${url}/reports`);
await dsl.screenshot({ path: path.join(artefacts, 'reports-dsl-list.png'), fullPage: true });
assert.equal(await dsl.locator('#audience option[value=named]').count(), 1,
             'the DSL is not offered the named report');
await generate(dsl, 'named');
const namedText = await shoot(dsl, 'dsl-named');
const namedHas = names.filter((n) => namedText.includes(n));
if (namedHas.length === 0) problems.push(`the named report names none of ${names.join(', ')}`);
await generate(dsl, 'aggregate');
const dslAggregate = await shoot(dsl, 'dsl-aggregate');
for (const n of names) {
  if (dslAggregate.includes(n)) problems.push(`the aggregate report names ${n}`);
}

// --- The IT admin: the aggregate report only --------------------------------
const admin = await newPage('admin');
await signIn(admin, adminName, adminPassword);
await admin.goto(`${url}/reports`);
assert.equal(await admin.locator('#audience').count(), 0, 'the admin is offered the named report');
assert.equal(await admin.locator(`a[href="/reports/${month}/named"]`).count(), 0,
             'the admin is shown a link to the named report');
await admin.screenshot({ path: path.join(artefacts, 'reports-admin-list.png'), fullPage: true });
await generate(admin, null);
const adminText = await shoot(admin, 'admin');
for (const n of names) {
  if (adminText.includes(n)) problems.push(`the admin's report names ${n}`);
}
// The named report and its files are refused (the 403 is expected, not an error).
const before = problems.length;
const refused = await admin.goto(`${url}/reports/${month}/named`);
assert.equal(refused.status(), 403, `the admin got the named report: ${refused.status()}`);
const refusedFile = await admin.goto(`${url}/reports/${month}/named/people_activity.csv`);
assert.equal(refusedFile.status(), 403);
problems.splice(before);  // the browser logs the 403s as console errors
// A download from the list, audited.
await admin.goto(`${url}/reports`);
const [download] = await Promise.all([
  admin.waitForEvent('download'),
  admin.click(`a[href="/reports/${month}/summary.csv"]`),
]);
assert.equal(download.suggestedFilename(), `vigil-report-${month}-summary.csv`);
const saved = path.join(artefacts, download.suggestedFilename());
await download.saveAs(saved);
assert.match(fs.readFileSync(saved, 'utf8'), /^figure,/, 'the CSV download is not the summary');

// --- The annual review (this academic year, in progress) --------------------
// The demo's morning (November 2026) falls in the academic year ending July 2027.
const year = '2027';
await dsl.goto(`${url}/reports/annual/${year}`);
assert.match(await dsl.locator('main').innerText(), /academic year/i, 'no annual review page');
const answer = dsl.locator('textarea[name=risk_profile]');
await answer.fill('Mostly 16-18 apprentices; <script>alert("review")</script> one learner with SEND.');
await Promise.all([dsl.waitForNavigation(),
                   answer.locator('xpath=ancestor::form').locator('button[type=submit]').first().click()]);
await dsl.goto(`${url}/reports/annual/${year}`);
const reviewText = await dsl.locator('main').innerText();
if (!/one learner with SEND/.test(reviewText) && !(await answer.inputValue()).includes('SEND')) {
  problems.push('the annual review answer was not kept');
}
if ((await dsl.locator('main script').count()) > 0) problems.push('a <script> reached the review page');
for (const n of names) if (reviewText.includes(n)) problems.push(`the annual review names ${n}`);
for (const width of [1200, 375]) {
  await dsl.setViewportSize({ width, height: 900 });
  for (const media of ['screen', 'print']) {
    await dsl.emulateMedia({ media });
    const overflow = await dsl.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 1) problems.push(`annual review, ${media}, ${width}px: scrolls sideways by ${overflow}px`);
    await dsl.screenshot({ path: path.join(artefacts, `annual-review-${media}-${width}.png`),
                           fullPage: true });
  }
}
await dsl.emulateMedia({ media: 'screen' });

await browser.close();
for (const p of problems) console.error('PROBLEM: ' + p);
if (!problems.length) console.log(`reports flow passed; screenshots in ${artefacts}`);
process.exit(problems.length ? 1 : 0);
