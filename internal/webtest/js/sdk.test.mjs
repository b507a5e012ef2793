// Unit tests of pb_public/sdk/rapport-sync.js against a real Rapport server
// (started by internal/webtest's Go test), in-memory store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Rapport, MemoryStore } from '../../../pb_public/sdk/rapport-sync.js';

const fx = JSON.parse(readFileSync(process.env.RAPPORT_FIXTURE, 'utf8'));
const RUN = Date.now().toString(36);
const email = (name) => `${name}@example.com`;
const day = (offset) => new Date(Date.now() + offset * 86400000 + 8 * 3600000).toISOString().slice(0, 10); // Asia/Shanghai

// A network the test can cut: offline fails every request; drop pushes the
// next push to the server and then loses its response.
function network() {
  const net = { offline: false, dropNextPushResponse: false, blockPush: false, pushes: [] };
  net.fetch = async (url, init) => {
    if (net.offline) throw new TypeError('fetch failed');
    const isPush = String(url).endsWith('/api/sync/push');
    if (isPush && net.blockPush) throw new TypeError('fetch failed');
    if (isPush) net.pushes.push(JSON.parse(init.body).mutations.map((m) => m.id));
    const resp = await fetch(url, init);
    if (isPush && net.dropNextPushResponse) {
      net.dropNextPushResponse = false;
      await resp.text();
      throw new TypeError('fetch failed: connection reset');
    }
    return resp;
  };
  return net;
}

async function device(name, opts = {}) {
  const net = network();
  const r = await Rapport.open({ url: fx.url, store: opts.store ?? 'memory', fetch: net.fetch, realtime: false, autoSync: false });
  await r.signIn(email(name), fx.password);
  return { r, net };
}

// rest calls the records API as a user (what the server really holds).
const tokens = {};
async function rest(name, method, path, body) {
  if (!tokens[name]) {
    const res = await fetch(`${fx.url}/api/collections/users/auth-with-password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: email(name), password: fx.password }) });
    tokens[name] = (await res.json()).token;
  }
  const res = await fetch(fx.url + path, { method, headers: { Authorization: tokens[name], 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

test('writes made offline are kept in order and pushed in batches, each exactly once', async () => {
  const { r, net } = await device('rita');
  await r.sync();
  net.offline = true;
  const ids = [];
  for (let i = 0; i < 130; i++) {
    const v = await r.create('visits', { customer: fx.customers.rita, kind: 'call', status: 'scheduled', due_date: day(1), notes: `call ${i}` });
    ids.push(v.id);
  }
  await r.update('visits', ids[0], { notes: 'call 0, edited' });
  assert.equal(r.status.pending, 131);
  assert.deepEqual(r.outbox().map((m) => m.id), Array.from({ length: 131 }, (_, i) => i + 1));
  assert.equal(r.record('visits', ids[0]).notes, 'call 0, edited', 'the local edit shows at once');
  await assert.rejects(r.sync(), /No connection/);
  assert.equal(r.status.pending, 131, 'nothing leaves the outbox while offline');

  net.offline = false;
  await r.sync();
  assert.equal(r.status.pending, 0);
  assert.deepEqual(net.pushes.map((b) => b.length), [100, 31], 'batches of 100, in order');
  assert.deepEqual(net.pushes.flat(), Array.from({ length: 131 }, (_, i) => i + 1));
  const first = await rest('rita', 'GET', `/api/collections/visits/records/${ids[0]}`);
  assert.equal(first.body.notes, 'call 0, edited');
  assert.equal(first.body.rep, fx.users.rita, 'the server stamped the rep');
  assert.equal(r.record('visits', ids[0]).rep, fx.users.rita, 'the pulled record replaces the local one');
  assert.equal(r.record('visits', ids[0]).$pending, undefined);
  await r.close();
});

test('a push whose response is lost is replayed, never applied twice', async () => {
  const { r, net } = await device('rita');
  await r.sync();
  const v = await r.create('visits', { customer: fx.customers.rita, kind: 'visit', status: 'scheduled', due_date: day(2), notes: 'replay ' + RUN });
  await r.update('visits', v.id, { notes: `replay ${RUN}, edited` });
  net.dropNextPushResponse = true;
  await assert.rejects(r.sync(), /No connection/);
  assert.equal(r.status.pending, 2, 'an unacknowledged push stays queued');
  await r.sync();
  assert.equal(r.status.pending, 0);
  assert.deepEqual(net.pushes, [[1, 2], [1, 2]], 'the same mutations, sent again');
  const list = await rest('rita', 'GET', `/api/collections/visits/records?filter=${encodeURIComponent(`notes~'replay ${RUN}'`)}`);
  assert.equal(list.body.items.length, 1, 'one visit on the server');
  assert.equal(list.body.items[0].notes, `replay ${RUN}, edited`);
  assert.equal(list.body.items[0].version, 2, 'created once, edited once');
  await r.close();
});

test('reset: an unreadable cursor replaces the local data with a fresh snapshot and keeps the outbox', async () => {
  const store = new MemoryStore();
  const { r, net } = await device('rita', { store });
  await r.sync();
  const before = r.records('customers').length;
  assert.ok(before >= 1);
  // a record the server never had, and a cursor it never issued
  await store.transaction(async (tx) => {
    await tx.put('records', 'customers/ghost0000000000', { id: 'ghost0000000000', collectionName: 'customers', name: 'Ghost' });
    await tx.put('meta', 'cursor', 'not-a-cursor');
  });
  net.blockPush = true;
  const v = await r.create('visits', { customer: fx.customers.rita, kind: 'visit', status: 'scheduled', due_date: day(3), notes: 'kept through reset' });
  await r.reload();
  await assert.rejects(r.sync());
  await r.pull();
  await r.reload();
  assert.equal(r.record('customers', 'ghost0000000000'), null, 'the reset dropped what the server does not have');
  assert.equal(r.records('customers').length, before);
  assert.equal(r.record('visits', v.id).notes, 'kept through reset', 'the pending create survives the reset');
  net.blockPush = false;
  await r.sync();
  assert.equal(r.status.pending, 0);
  await r.close();
});

test('eviction: a customer reassigned away is deleted from the device with its records', async () => {
  const { r } = await device('rita');
  await r.sync();
  const c = await r.create('customers', { name: 'Evict Ltd', annual_contract_amount: 100000 });
  const v = await r.create('visits', { customer: c.id, kind: 'visit', status: 'scheduled', due_date: day(4) });
  await r.sync();
  assert.ok(r.record('customers', c.id));
  assert.ok(r.record('visits', v.id));
  const moved = await rest('ada', 'PATCH', `/api/collections/customers/records/${c.id}`, { owner: fx.users.ed });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  let changes = 0;
  r.on('change', () => changes++);
  await r.sync();
  assert.equal(r.record('customers', c.id), null, 'the customer left rita\'s scope');
  assert.equal(r.record('visits', v.id), null, 'its scheduled visit moved with it');
  assert.ok(changes > 0, 'the app was told');
  await r.close();
});

test('rebase: a pending edit stays visible over pulled state, then both reach the server', async () => {
  const { r, net } = await device('rita');
  await r.sync();
  const v = await r.create('visits', { customer: fx.customers.rita, kind: 'visit', status: 'scheduled', due_date: day(5), notes: 'rebase' });
  await r.sync();
  net.blockPush = true;
  await r.update('visits', v.id, { notes: 'rebase: bring the brochure' });
  // meanwhile she moves the visit from her tablet
  const tablet = await device('rita');
  await tablet.r.sync();
  await tablet.r.update('visits', v.id, { due_date: day(6) });
  await tablet.r.sync();
  await tablet.r.close();
  await r.pull();
  const seen = r.record('visits', v.id);
  assert.equal(seen.due_date, day(6), 'the server\'s change is pulled');
  assert.equal(seen.notes, 'rebase: bring the brochure', 'the local edit stays on top');
  assert.equal(seen.$pending, true);
  net.blockPush = false;
  await r.sync();
  const server = await rest('rita', 'GET', `/api/collections/visits/records/${v.id}`);
  assert.equal(server.body.notes, 'rebase: bring the brochure');
  assert.equal(server.body.due_date, day(6));
  assert.deepEqual(r.outbox(), []);
  await r.close();
});

test('rejection round trip: a refused submit shows the server\'s message, is fixed, resubmitted and dismissed', async () => {
  const { r } = await device('rita');
  await r.sync();
  const receipt = new Blob(['%PDF-1.4\nroundtrip ' + Date.now()], { type: 'application/pdf' });
  const x = await r.create('expenses', { plan: fx.plans.rita, category: 'event', amount: 250000, currency: 'CNY', incurred_on: day(-1), description: 'Seminar', status: 'draft' },
    { files: { receipt: Object.assign(receipt, { name: 'receipt.pdf' }) } });
  assert.deepEqual(r.record('expenses', x.id).$files, { receipt: ['receipt.pdf'] }, 'the receipt waits on the device');
  await r.update('expenses', x.id, { status: 'submitted' });
  await r.sync();
  const [refused] = r.outbox();
  assert.equal(refused.status, 'rejected');
  assert.equal(refused.op, 'update');
  assert.equal(refused.error.data.amount.code, 'plan_budget_exceeded', JSON.stringify(refused.error));
  assert.match(refused.error.data.amount.message, /CNY/);
  assert.equal(r.record('expenses', x.id).status, 'draft', 'the refused submit is not shown as done');
  assert.ok(r.record('expenses', x.id).receipt, 'the receipt was uploaded before the submit');

  // the pull lists it too (paged with the changes) and keeps it until dismissed
  await r.sync();
  assert.equal(r.outbox().filter((m) => m.status === 'rejected').length, 1);

  await r.update('expenses', x.id, { amount: 15000, status: 'submitted' });
  await r.dismiss(refused.id);
  await r.sync();
  assert.deepEqual(r.outbox(), []);
  const server = await rest('rita', 'GET', `/api/collections/expenses/records/${x.id}`);
  assert.equal(server.body.status, 'submitted');
  assert.equal(server.body.amount, 15000);
  assert.equal(server.body.approver, fx.users.mia, 'routed to her manager');
  const pulled = await fetch(`${fx.url}/api/sync/pull?clientId=${r.clientId}`, { headers: { Authorization: r.token } }).then((x) => x.json());
  assert.deepEqual(pulled.rejected, [], 'dismissed on the server too');
  await r.close();
});

test('an expired token keeps the queue and asks to sign in again', async () => {
  const { r, net } = await device('rob');
  await r.sync();
  net.offline = true;
  await r.create('visits', { customer: fx.customers.rob, kind: 'visit', status: 'scheduled', due_date: day(2), notes: 'while expired' });
  // the token expires while the phone is offline
  await r.db.transaction(async (tx) => tx.put('meta', 'auth', { ...(await tx.get('meta', 'auth')), token: 'expired.token.value' }));
  await r.reload();
  net.offline = false;
  await assert.rejects(r.sync(), (err) => err.status === 401);
  assert.equal(r.status.signedIn, false);
  assert.equal(r.status.expired, true);
  assert.equal(r.status.pending, 1, 'the queue is kept');
  await r.signIn(email('rob'), fx.password);
  await r.sync();
  assert.equal(r.status.pending, 0);
  await r.close();
});

test('another user cannot sign in over unsent work, and signing out keeps nothing', async () => {
  const { r, net } = await device('ed');
  await r.sync();
  const firstClient = r.clientId;
  net.offline = true;
  await r.create('visits', { customer: fx.customers.ed, kind: 'call', status: 'scheduled', due_date: day(1) });
  net.offline = false;
  await assert.rejects(r.signIn(email('rob'), fx.password), /unsent or refused/);
  await assert.rejects(r.signOut(), /unsent or refused/);
  await r.sync();
  await r.signIn(email('rob'), fx.password);
  assert.notEqual(r.clientId, firstClient, 'a new install for a new user');
  assert.equal(r.records('customers').length, 0, 'nothing of ed is left');
  await r.sync();
  assert.ok(r.records('customers').every((c) => c.owner === fx.users.rob));
  await r.signOut();
  assert.equal(r.status.signedIn, false);
  await r.close();
});


test('a file the server will not take is refused once, shown, and does not block the queue', async () => {
  const { r } = await device('rob');
  await r.sync();
  const notes = Object.assign(new Blob(['not a photo'], { type: 'text/plain' }), { name: 'notes.txt' });
  const v = await r.create('visits', { customer: fx.customers.rob, kind: 'visit', status: 'scheduled', due_date: day(1) }, { files: { photos: [notes] } });
  await r.update('visits', v.id, { notes: 'after the refused photo' });
  await r.sync();
  assert.equal(r.status.pending, 0, 'the queue went on');
  const [refused] = r.outbox();
  assert.equal(refused.status, 'rejected');
  assert.equal(refused.recordId, v.id);
  assert.ok(refused.error.data.photos, JSON.stringify(refused.error));
  assert.deepEqual(refused.files, [{ field: 'photos', status: 'refused', names: ['notes.txt'] }]);
  const server = await rest('rob', 'GET', `/api/collections/visits/records/${v.id}`);
  assert.equal(server.body.notes, 'after the refused photo');
  await r.dismiss(refused.id);
  assert.deepEqual(r.outbox(), []);
  await r.close();
});

test('the token is refreshed when the server says it is running out', async () => {
  const net = network();
  const r = await Rapport.open({ url: fx.url, store: 'memory', fetch: net.fetch, realtime: false, autoSync: false, refreshBelow: 40 * 24 * 3600 });
  await r.signIn(email('ed'), fx.password);
  const before = r.token;
  await new Promise((ok) => setTimeout(ok, 1100)); // a new token differs from the old one by its issue time
  await r.sync();
  assert.notEqual(r.token, before, 'auth-refresh replaced the token');
  assert.equal(r.status.signedIn, true);
  await r.sync();
  await r.close();
});

test('a mutation the server reports lost (a restore dropped it) is queued again under the next id', async () => {
  const { r, net } = await device('ed');
  await r.sync();
  const v = await r.create('visits', { customer: fx.customers.ed, kind: 'visit', status: 'scheduled', due_date: day(3) });
  await r.sync();
  // the server's answer for the edit says "lost": what a push after a restore answers
  const plain = net.fetch;
  let rewritten = false;
  net.fetch = async (url, init) => {
    const resp = await plain(url, init);
    if (rewritten || !String(url).endsWith('/api/sync/push')) return resp;
    rewritten = true;
    const body = await resp.json();
    body.results = body.results.map((x) => ({ id: x.id, status: 'lost' }));
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  r.fetch = net.fetch;
  const edit = await r.update('visits', v.id, { notes: 'said again after a restore' });
  assert.equal(edit.notes, 'said again after a restore');
  await r.sync();
  assert.deepEqual(net.pushes.slice(-2), [[2], [3]], 'the lost edit went again as mutation 3');
  assert.deepEqual(r.outbox(), []);
  const server = await rest('ed', 'GET', `/api/collections/visits/records/${v.id}`);
  assert.equal(server.body.notes, 'said again after a restore');
  await r.close();
});
