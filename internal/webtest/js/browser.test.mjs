// End-to-end: the field app and the console in headless Debian chromium
// against a real Rapport server (started by internal/webtest's Go test).
// Screenshots of every screen go to internal/webtest/artefacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const fx = JSON.parse(readFileSync(process.env.RAPPORT_FIXTURE, 'utf8'));
mkdirSync(fx.artefacts, { recursive: true });
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const pdf = (text) => ({ name: 'receipt.pdf', mimeType: 'application/pdf', buffer: Buffer.from(`%PDF-1.4\n${text} ${Date.now()}\n`) });
const shots = [];

let browser; const dirs = []; const contexts = [];
before(async () => { browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS }); });
after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  console.log(`screenshots (${shots.length}) in ${fx.artefacts}:\n  ${shots.join('\n  ')}`);
});

// a phone with a fresh profile (persistent: IndexedDB and the service worker survive reloads)
async function phone(options = {}, dir = mkdtempSync(join(tmpdir(), 'rapport-chromium-'))) {
  dirs.push(dir);
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', headless: true, args: ARGS,
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, locale: 'en-US', timezoneId: 'Asia/Shanghai',
    permissions: ['geolocation'], geolocation: { latitude: 31.2304, longitude: 121.4737, accuracy: 12 },
    ...options,
  });
  contexts.push(context);
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (err) => console.log('page error:', err.message));
  return { context, page, dir };
}

async function shot(page, name) {
  const path = join(fx.artefacts, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  shots.push(path);
}

// redraw switches the language there and back: the screen is drawn anew
// twice, as when a pull lands while the rep is on it.
async function redraw(page) {
  for (const want of ['zh-CN', 'en']) {
    await page.locator('#lang').click();
    await page.waitForFunction((l) => document.documentElement.lang === l, want);
  }
}

async function rest(name, method, path, body) {
  const auth = await fetch(`${fx.url}/api/collections/users/auth-with-password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: `${name}@example.com`, password: fx.password }) }).then((r) => r.json());
  const res = await fetch(fx.url + path, { method, headers: { Authorization: auth.token, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

async function signIn(page, name, path = '/app/') {
  await page.goto(fx.url + path);
  await page.getByLabel(/Email|邮箱/).fill(`${name}@example.com`);
  await page.getByLabel(/Password|密码/).fill(fx.password);
  await shot(page, `${path.replace(/\W/g, '')}-signin-${name}`);
  await page.getByRole('button', { name: /Sign in|登录/ }).click();
}

const status = (page) => page.evaluate(() => window.rapport.status);

// waits until the app has synced and its data stopped changing for half a
// second (a click on a screen being redrawn can be lost)
const settled = (page) => page.evaluate(() => new Promise((done) => {
  let timer;
  const quiet = () => { clearTimeout(timer); timer = setTimeout(() => { off(); done(); }, 500); };
  const off = window.rapport.on('change', quiet);
  quiet();
}));

test('a rep works offline, reloads offline, syncs, fixes a refused expense; a manager approves in the console and the app shows it', async () => {
  const { context, page } = await phone();
  await signIn(page, 'rita');
  await page.getByRole('heading', { name: /Overdue/ }).waitFor();
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => window.rapport.status.lastSyncAt && window.rapport.records('plans').length > 0);
  await shot(page, 'app-today');

  // ---------------------------------------------------------- offline
  await context.setOffline(true);
  assert.equal(await page.evaluate(() => fetch('/api/health').then(() => 'reached', () => 'offline')), 'offline');

  await page.getByRole('link', { name: /Quarterly review/ }).click();
  await page.getByRole('button', { name: 'Check in here' }).click();
  await page.getByText('Checked in').waitFor();
  await page.getByLabel('Notes').fill('Reviewed the service contract');
  await page.getByLabel('Outcome').fill('Renewal likely');
  await page.getByLabel('5').check();
  // a re-render (a language switch here, a pull landing in the field) keeps
  // the stars picked and the notes typed
  await redraw(page);
  assert.equal(await page.getByLabel('5').isChecked(), true, 'the stars picked survive a re-render');
  assert.equal(await page.getByLabel('Notes').inputValue(), 'Reviewed the service contract');
  await page.getByLabel('Photos').setInputFiles({ name: 'shop.png', mimeType: 'image/png', buffer: PNG });
  await shot(page, 'app-visit');
  await page.getByRole('button', { name: 'Visit done' }).click();
  await page.getByRole('heading', { name: /^Today ·/ }).waitFor();
  const visitId = await page.evaluate(() => window.rapport.records('visits').find((v) => v.notes === 'Reviewed the service contract').id);

  // an expense with its receipt, from the visit's customer
  await page.goto(`${fx.url}/app/#/expense/new/${fx.customers.rita}/${visitId}`);
  await page.getByLabel('Description').fill('Lunch with the buyer');
  await page.getByLabel('Amount (CNY)').fill('12O');
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.getByText('Enter an amount in yuan').waitFor();
  // a refused amount leaves the rest of the form as typed, across a re-render
  await redraw(page);
  assert.equal(await page.getByLabel('Description').inputValue(), 'Lunch with the buyer');
  await page.getByLabel('Amount (CNY)').fill('120.50');
  await page.getByLabel('Category').selectOption('meal');
  await page.getByLabel('Description').fill('Lunch with the buyer');
  await page.getByLabel('Receipt photo').setInputFiles(pdf('lunch'));
  await shot(page, 'app-expense');
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.getByRole('heading', { name: /^Acme/ }).waitFor();

  // and one the server will refuse: more than the plan's 2,000 yuan
  await page.goto(`${fx.url}/app/#/expense/new/${fx.customers.rita}`);
  await page.getByLabel('Amount (CNY)').fill('2500');
  await page.getByLabel('Category').selectOption('event');
  await page.getByLabel('Description').fill('Customer seminar');
  await page.getByLabel('Receipt photo').setInputFiles(pdf('seminar'));
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.getByRole('heading', { name: /^Acme/ }).waitFor();
  await shot(page, 'app-customer');

  // reload with the network off: the shell comes from the service worker, the data from IndexedDB
  await page.reload();
  await page.getByRole('heading', { name: /^Acme/ }).waitFor();
  assert.ok(await page.evaluate(() => !!navigator.serviceWorker.controller), 'the offline page came from the service worker');
  await page.goto(`${fx.url}/app/#/outbox`);
  await page.getByText('Waiting to send').first().waitFor();
  const pending = (await status(page)).pending;
  assert.ok(pending >= 5, `the outbox holds the offline work (${pending})`);
  assert.equal((await status(page)).online, false);
  await shot(page, 'app-outbox-offline');

  // ---------------------------------------------------------- online
  await context.setOffline(false);
  await page.getByText('Refused by the server').waitFor({ timeout: 30000 });
  await page.waitForFunction(() => window.rapport.status.pending === 0, null, { timeout: 30000 });
  const message = await page.getByRole('alert').first().textContent();
  assert.match(message, /2,500\.00 CNY|2,000\.00 CNY/, 'the server\'s message names the numbers');
  await shot(page, 'app-outbox-refused');

  // on the server: exactly those records, with the rules applied
  const visit = (await rest('rita', 'GET', `/api/collections/visits/records/${visitId}`)).body;
  assert.equal(visit.status, 'done');
  assert.equal(visit.satisfaction, 5);
  assert.equal(visit.rep, fx.users.rita);
  assert.equal(visit.checkin_accuracy_m, 12);
  assert.ok(Math.abs(visit.checkin_location.lat - 31.2304) < 1e-6);
  assert.equal(visit.photos.length, 1, 'the photo taken offline was uploaded');
  const all = (await rest('rita', 'GET', `/api/collections/expenses/records?filter=${encodeURIComponent(`plan='${fx.plans.rita}'`)}&sort=created`)).body.items;
  assert.equal(all.length, 2, 'two expenses, each once');
  const [lunch, seminar] = all;
  assert.equal(lunch.amount, 12050, 'yuan typed, minor units on the wire');
  assert.equal(lunch.status, 'submitted');
  assert.equal(lunch.approver, fx.users.mia);
  assert.equal(lunch.visit, visitId);
  assert.ok(lunch.receipt && lunch.receipt_sha256, 'the receipt went up before the submit');
  assert.equal(seminar.status, 'draft', 'the refused submit left it a draft');
  assert.equal(seminar.amount, 250000);

  // fix and resubmit
  await settled(page);
  await page.getByRole('button', { name: 'Fix and resubmit' }).click();
  await page.getByLabel('Amount (CNY)').fill('150.00');
  await shot(page, 'app-expense-fix');
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.waitForFunction(() => window.rapport.outbox().length === 0, null, { timeout: 30000 });
  const fixed = (await rest('rita', 'GET', `/api/collections/expenses/records/${seminar.id}`)).body;
  assert.equal(fixed.status, 'submitted');
  assert.equal(fixed.amount, 15000);

  // ---------------------------------------------------------- the manager
  await page.waitForFunction(() => window.rapport.status.realtime, null, { timeout: 30000 });
  await page.goto(`${fx.url}/app/#/customer/${fx.customers.rita}`);
  const manager = await phone({ viewport: { width: 1280, height: 900 } });
  await signIn(manager.page, 'mia', '/console/');
  const row = manager.page.getByRole('row', { name: /Lunch with the buyer/ });
  await row.waitFor();
  await shot(manager.page, 'console-approvals');
  await row.getByRole('button', { name: 'Approve' }).click();
  const approvedAt = Date.now();
  await row.waitFor({ state: 'detached' });
  // the rep's app shows it through the poke (the poll is minutes away)
  await page.getByText('Approved').first().waitFor({ timeout: 5000 });
  console.log(`approval shown in the rep's app ${Date.now() - approvedAt} ms after the click`);
  await shot(page, 'app-customer-approved');
  assert.equal((await rest('rita', 'GET', `/api/collections/expenses/records/${lunch.id}`)).body.status, 'approved');

  // the other console views
  for (const view of ['budgets', 'team', 'spend']) {
    await manager.page.getByRole('link', { name: new RegExp(view, 'i') }).first().click();
    await manager.page.waitForTimeout(300);
    await shot(manager.page, `console-${view}`);
  }

  // the app in Chinese
  await page.goto(`${fx.url}/app/#/today`);
  await page.getByRole('button', { name: /Language/ }).click();
  await page.getByRole('heading', { name: /已逾期|今日/ }).first().waitFor();
  await shot(page, 'app-today-zh');
  await page.goto(`${fx.url}/app/#/complaints`);
  await page.waitForTimeout(300);
  await shot(page, 'app-complaints-zh');

  // the same manager on her phone: the approvals screen, decided through the outbox
  const mia = await phone();
  await signIn(mia.page, 'mia');
  await mia.page.getByRole('link', { name: 'Approvals' }).click();
  const card = mia.page.locator('.card', { hasText: 'Customer seminar' });
  await card.waitFor();
  await shot(mia.page, 'app-approvals');
  await card.getByRole('button', { name: 'Approve' }).click();
  await mia.page.waitForFunction(() => window.rapport.status.pending === 0 && window.rapport.status.refused === 0 && window.rapport.status.lastSyncAt, null, { timeout: 30000 });
  await mia.page.getByText('Nothing waits for your decision.').waitFor({ timeout: 10000 });
  assert.equal((await rest('rita', 'GET', `/api/collections/expenses/records/${seminar.id}`)).body.status, 'approved');

  await mia.context.close();
  await manager.context.close();
  await context.close();
});

test('the console\'s reports: charts, per-rep tables and CSV export', async (t) => {
  const probe = await rest('mia', 'GET', '/api/reports/spend?groupBy=tier');
  if (probe.status === 404) {
    t.skip('GET /api/reports answers 404 in this tree (the reports API is another branch); these assertions run once it is merged');
    return;
  }
  assert.equal(probe.status, 200, JSON.stringify(probe.body));
  const { page } = await phone({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await signIn(page, 'mia', '/console/');
  await page.getByRole('link', { name: 'Spend' }).click();
  for (const by of ['tier', 'category', 'month']) await page.getByRole('img', { name: `spend by ${by}` }).waitFor();
  // money in yuan wherever the report says a figure is money, counts as counts
  assert.match(await page.getByRole('img', { name: 'spend by tier' }).textContent(), /\d\.\d\d CNY/);
  await page.locator('#roi table').waitFor();
  assert.match(await page.locator('#roi tbody tr').first().textContent(), /CNY/, 'ROI contracts and spend in yuan');
  await shot(page, 'console-spend-report');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).first().click()]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.ok(csv.split('\n').length >= 2, `a CSV with a header and rows: ${csv.slice(0, 200)}`);
  await page.getByRole('link', { name: /Team/ }).click();
  await page.locator('#visits table').waitFor();
  assert.doesNotMatch(await page.locator('#visits table').textContent(), /CNY/, 'visit counts are not money');
  await shot(page, 'console-team-report');
  await page.getByRole('link', { name: 'Budgets' }).click();
  await page.locator('#report table').waitFor();
  assert.equal(await page.locator('#report .error').count(), 0, 'the budgets report answers');
  await shot(page, 'console-budgets-report');
});

test('a rep logs a complaint offline and answers it; the server holds it answered within its SLA', async () => {
  const { context, page } = await phone();
  await signIn(page, 'ed');
  await page.getByRole('heading', { name: /^Today ·/ }).waitFor();
  await page.goto(`${fx.url}/app/#/complaints`);
  await page.getByRole('heading', { name: 'Log a complaint' }).waitFor();
  await page.getByLabel('Customer').locator('option', { hasText: 'Crane' }).waitFor({ state: 'attached' });
  await context.setOffline(true);
  await page.getByLabel('Customer').selectOption({ label: 'Crane' });
  await page.getByLabel('Severity').selectOption('high');
  await page.getByLabel('Summary').fill('Delivery two days late');
  await page.getByLabel('Details').fill('The customer called the front desk.');
  // a re-render while the form is half done (here a language switch; in the
  // field a pull landing) keeps what the rep picked and typed
  await page.locator('#lang').click();
  await page.getByRole('heading', { name: '登记投诉' }).waitFor();
  assert.equal(await page.locator('#severity').inputValue(), 'high');
  await page.locator('#lang').click();
  await page.getByRole('heading', { name: 'Log a complaint' }).waitFor();
  assert.equal(await page.getByLabel('Summary').inputValue(), 'Delivery two days late');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByLabel('First response').fill('Called back, new date agreed');
  await shot(page, 'app-complaint-offline');
  await page.getByRole('button', { name: 'Respond' }).click();
  await context.setOffline(false);
  // polled on a timer: animation frames do not run for a page in the background
  await page.waitForFunction(() => window.rapport.status.pending === 0 && window.rapport.status.refused === 0, null, { timeout: 30000, polling: 250 })
    .catch(async (err) => { throw new Error(`${err.message}; outbox: ${JSON.stringify(await page.evaluate(() => window.rapport.outbox()))}`); });
  await shot(page, 'app-complaint-answered');
  const [complaint] = (await rest('ed', 'GET', `/api/collections/complaints/records?filter=${encodeURIComponent("summary='Delivery two days late'")}`)).body.items;
  assert.equal(complaint.status, 'acknowledged');
  assert.equal(complaint.severity, 'high');
  assert.equal(complaint.owner, fx.users.ed);
  assert.ok(complaint.responded_at && !complaint.breached, JSON.stringify(complaint));
});

test('two tabs of one install write offline: one id sequence, nothing refused, all on the server', async () => {
  const { context, page } = await phone();
  await signIn(page, 'rob');
  await page.getByRole('heading', { name: /^Today ·/ }).waitFor();
  const second = await context.newPage();
  await second.goto(`${fx.url}/app/#/outbox`);
  await second.locator('#title', { hasText: 'Outbox' }).waitFor();
  await context.setOffline(true);
  const write = (p, tab) => p.evaluate(async ([customer, tab]) => {
    for (let i = 0; i < 5; i++) await window.rapport.create('visits', { customer, kind: 'call', status: 'scheduled', due_date: '2026-12-31', notes: `tab ${tab} call ${i}` });
  }, [fx.customers.rob, tab]);
  await Promise.all([write(page, 1), write(second, 2)]);
  const ids = await second.evaluate(() => window.rapport.outbox().map((m) => m.id));
  assert.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'both tabs took ids from one sequence');
  await shot(second, 'app-outbox-two-tabs');
  await context.setOffline(false);
  for (const p of [page, second]) await p.waitForFunction(() => window.rapport.status.pending === 0 && window.rapport.status.refused === 0, null, { timeout: 30000 });
  const list = (await rest('rob', 'GET', `/api/collections/visits/records?perPage=100&filter=${encodeURIComponent("notes~'tab '")}`)).body.items;
  assert.equal(list.length, 10);
});

test('a refused create is fixed from the outbox and created under the same id', async () => {
  const { page } = await phone();
  await signIn(page, 'ed');
  await page.getByRole('heading', { name: /^Today ·/ }).waitFor();
  await page.waitForFunction(() => window.rapport.records('plans').length > 0);
  // an app version that sends a category the server does not know
  const id = await page.evaluate(async ([plan]) => (await window.rapport.create('expenses', { plan, category: 'banquet', amount: 8800, currency: 'CNY', incurred_on: new Date().toISOString().slice(0, 10), description: 'Team dinner', status: 'draft' })).id, [fx.plans.ed]);
  await page.goto(`${fx.url}/app/#/outbox`);
  await page.getByText('Refused by the server').waitFor({ timeout: 30000 });
  await settled(page);
  await page.getByRole('button', { name: 'Fix and resubmit' }).click();
  await page.getByLabel('Description').waitFor();
  assert.equal(await page.getByLabel('Description').inputValue(), 'Team dinner', 'what was typed is kept');
  assert.equal(await page.getByLabel('Amount (CNY)').inputValue(), '88.00');
  await page.getByLabel('Category').selectOption('meal');
  await shot(page, 'app-expense-fix-create');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.waitForFunction(() => window.rapport.outbox().length === 0, null, { timeout: 30000 });
  const server = (await rest('ed', 'GET', `/api/collections/expenses/records/${id}`)).body;
  assert.equal(server.category, 'meal');
  assert.equal(server.amount, 8800);
  assert.equal(server.status, 'draft');
});

test('work typed offline survives closing the browser, and is sent after it opens offline and goes online', async () => {
  const first = await phone();
  await signIn(first.page, 'rob');
  await first.page.getByRole('heading', { name: /^Today ·/ }).waitFor();
  await first.page.evaluate(() => navigator.serviceWorker.ready);
  await first.page.waitForFunction(() => window.rapport.status.lastSyncAt);
  await first.context.setOffline(true);
  const id = await first.page.evaluate(async (customer) => (await window.rapport.create('visits', { customer, kind: 'visit', status: 'scheduled', due_date: '2026-12-30', notes: 'typed before the browser closed' })).id, fx.customers.rob);
  await first.context.close();

  // the phone restarts with no network: the app and the queue are still there
  const again = await phone({ offline: true }, first.dir);
  await again.page.goto(`${fx.url}/app/#/outbox`);
  await again.page.getByText('Waiting to send').waitFor();
  assert.equal((await status(again.page)).pending, 1);
  await shot(again.page, 'app-outbox-after-restart');
  await again.context.setOffline(false);
  await again.page.waitForFunction(() => window.rapport.status.pending === 0, null, { timeout: 30000 });
  const server = (await rest('rob', 'GET', `/api/collections/visits/records/${id}`)).body;
  assert.equal(server.notes, 'typed before the browser closed');
});
