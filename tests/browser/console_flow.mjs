// The DSL's and the IT specialist's first hour in vigil-console, in headless
// Chromium: sign in, triage an incident (dismiss a false positive with a
// reason), open a concern from another, move it through review to an
// outcome, prepare the referral, and add a list entry with a reason. Also:
// the demo's hostile names never run as script, and no page scrolls sideways
// on a phone. A screenshot of every step goes to VIGIL_ARTEFACTS.
//
// Run by run_browser.py, which prepares the demo store and starts the
// console, and afterwards checks in the store what was done here.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';

const url = process.env.VIGIL_URL;
const [dslName, dslPassword] = JSON.parse(process.env.VIGIL_DSL);
const [adminName, adminPassword] = JSON.parse(process.env.VIGIL_ADMIN);
const artefacts = process.env.VIGIL_ARTEFACTS;

const browser = await chromium.launch({
  executablePath: process.env.VIGIL_CHROMIUM,
  args: ['--no-sandbox'],  // CI runs as root
});
let shot = 0;
const problems = [];

async function newPage(width = 1200) {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,  // the console's own self-signed certificate
    viewport: { width, height: 900 },
  });
  const page = await context.newPage();
  page.on('dialog', async (d) => {
    // Confirmations (data-confirm) are accepted; an alert means script ran.
    if (d.type() !== 'confirm') problems.push(`a ${d.type()} dialog opened: ${d.message()}`);
    await d.accept();
  });
  page.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/.test(m.text())) {
      problems.push(`CSP violation: ${m.text()}`);
    }
  });
  return page;
}

async function snap(page, name) {
  shot += 1;
  await page.screenshot({
    path: path.join(artefacts, `${String(shot).padStart(2, '0')}-${name}.png`),
    fullPage: true,
  });
}

async function signIn(page, name, password) {
  await page.goto(`${url}/login`);
  await page.fill('#user', name);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.ok(!page.url().includes('/login'), `${name} could not sign in (at ${page.url()})`);
}

async function noSidewaysScroll(page, what) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 1) problems.push(`${what} scrolls sideways by ${overflow}px on a phone`);
}

async function submit(page, form, button) {
  await Promise.all([page.waitForNavigation(), form.locator(button).click()]);
}

// --- The DSL ---------------------------------------------------------------
const dsl = await newPage();
await signIn(dsl, dslName, dslPassword);
await dsl.waitForSelector('h1:has-text("Dashboard")');
await snap(dsl, 'dsl-dashboard');

// Triage: Casey's history coursework matched an extremism keyword.
await dsl.goto(`${url}/incidents`);
await snap(dsl, 'incidents');
const casey = dsl.locator('tr', { hasText: 'Casey Demo' }).filter({ hasText: 'Extremism' });
await Promise.all([dsl.waitForNavigation(), casey.first().locator('a').first().click()]);
await snap(dsl, 'incident-before-dismissal');
const dismiss = dsl.locator('form[action$="/dismiss"]');
await dismiss.locator('textarea[name=reason]').fill(
  'History coursework on the causes of the Second World War; tutor confirmed the assignment.');
await submit(dsl, dismiss, 'button[type=submit]');
await snap(dsl, 'incident-dismissed');
assert.match(await dsl.content(), /[Dd]ismissed/, 'the incident does not show as dismissed');

// Open a concern from Sam's gambling incident.
await dsl.goto(`${url}/incidents`);
const sam = dsl.locator('tr', { hasText: 'Sam Sample' }).filter({ hasText: 'Gambling' });
await Promise.all([dsl.waitForNavigation(), sam.first().locator('a').first().click()]);
const open = dsl.locator('form[action$="/concern"]');
await open.locator('textarea[name=summary]').fill(
  'Sam (under 18) keeps visiting betting sites during lessons; worried about gambling harm.');
await submit(dsl, open, 'button[type=submit]');
assert.match(dsl.url(), /\/concerns\/\d+(\?|$)/, `opening a concern went to ${dsl.url()}`);
const concernUrl = dsl.url().replace(/\?.*$/, '');
await snap(dsl, 'concern-raised');

// Through review to an outcome.
async function step(to, note, outcome) {
  const form = dsl.locator('form[action$="/state"]');
  await form.locator('textarea[name=note]').fill(note);
  if (outcome) await form.locator('textarea[name=outcome]').fill(outcome);
  await submit(dsl, form, `button[name=to][value=${to}]`);
  const text = await dsl.locator('main').innerText();
  assert.ok(!/error|could not|cannot/i.test(text.split('\n').slice(0, 3).join(' ')),
            `moving to ${to} was refused: ${text.slice(0, 300)}`);
}
await step('under_review', 'Spoke with Sam\'s tutor and checked the last month of activity.');
await snap(dsl, 'concern-under-review');
await step('internal_support', 'Agreed support with the tutor and a check-in next week.');
await snap(dsl, 'concern-internal-support');
await step('closed', 'Check-in held; Sam engaged with support.',
           'Internal support given; no referral needed. Gambling-harm leaflet shared.');
await snap(dsl, 'concern-closed');
assert.match(await dsl.locator('main').innerText(), /Internal support given/);

// The referral for the other (Vigil-raised) concern: printable, pre-filled.
await dsl.goto(`${url}/concerns`);
await snap(dsl, 'concerns');
const firstHref = await dsl.locator('main a[href^="/concerns/"]').evaluateAll(
  (as) => as.map((a) => a.getAttribute('href')).find((h) => /^\/concerns\/\d+$/.test(h)));
assert.ok(firstHref, 'no concern listed');
await dsl.goto(`${url}${firstHref}/referral`);
const referral = await dsl.locator('main').innerText();
for (const section of [/how the concern arose/i, /internet use/i, /what.*worried/i,
                       /nothing is sent anywhere automatically/i]) {
  assert.match(referral, section, `the referral page lacks ${section}`);
}
await snap(dsl, 'referral');
await dsl.emulateMedia({ media: 'print' });
await snap(dsl, 'referral-print');
await dsl.emulateMedia({ media: 'screen' });

// The demo's hostile names are shown as text, never run.
await dsl.goto(`${url}/incidents`);
const morgan = dsl.locator('tr', { hasText: 'Morgan Mock' }).filter({ hasText: 'Malware' });
await Promise.all([dsl.waitForNavigation(), morgan.first().locator('a').first().click()]);
const shown = await dsl.locator('main').innerText();
assert.ok(shown.includes('<script>alert("vigil-demo")</script>'),
          'the hostile name is not shown as text on its incident');
assert.equal(await dsl.locator('main script').count(), 0, 'a <script> element reached the page');
await snap(dsl, 'incident-hostile-name');
await dsl.goto(concernUrl);

// --- On a phone ------------------------------------------------------------
const phone = await newPage(375);
await signIn(phone, dslName, dslPassword);
for (const p of ['/', '/incidents', '/concerns', concernUrl.replace(url, '')]) {
  await phone.goto(`${url}${p}`);
  await noSidewaysScroll(phone, p);
}
await phone.goto(`${url}/incidents`);
await snap(phone, 'phone-incidents');

// --- The IT specialist -----------------------------------------------------
const admin = await newPage();
await signIn(admin, adminName, adminPassword);
await admin.goto(`${url}/lists`);
await snap(admin, 'lists');
const edit = admin.locator('details.edit', {
  has: admin.locator('input[name=list][value*="gambling"]'),
}).first();
await edit.locator('summary').click();
const add = edit.locator('form[action="/lists/entries/add"]');
await add.locator('input[name=entry]').fill('new-gambling-site.example');
await add.locator('textarea[name=reason]').fill(
  'browser test: reported by a tutor as a betting site learners use');
await submit(admin, add, 'button[type=submit]');
await snap(admin, 'list-entry-added');
assert.match(await admin.locator('main').innerText(), /new-gambling-site\.example|added/i,
             'the list page does not confirm the new entry');
// The admin may not read incidents (who did what).
const denied = await admin.goto(`${url}/incidents`);
assert.equal(denied.status(), 403, 'an admin could open the incident list');

await browser.close();
if (problems.length) {
  for (const p of problems) console.error(`PROBLEM: ${p}`);
  process.exit(1);
}
console.log(`browser flow passed; ${shot} screenshots in ${artefacts}`);
