// rapport-sync.js — Rapport's offline-first sync client (protocol v1).
// An ES module with no runtime dependency. Documented in docs/client.md.
//
// The local store keeps five tables (any adapter must provide them):
//   meta     key → value     clientId, nextMutationId, cursor, auth, lastSyncAt, …
//   records  "coll/id" → the record exactly as the server last gave it
//   outbox   mutation id → {id, op, collection, recordId, data, base}
//   refused  mutation id → a rejected or conflicting mutation with the server's error
//   files    "mutationId/field" → {mutation, collection, recordId, field, files:[{name,type,data}]}
// The records table only ever holds server state; what the app sees is that
// state with the pending outbox replayed on top (a rebase), so an edit stays
// visible until pushed and a refused one disappears with its mutation.

const TABLES = ['meta', 'records', 'outbox', 'refused', 'files'];
const PUSH_BATCH = 100;

// ---------------------------------------------------------------- stores

/**
 * The in-memory adapter: the reference implementation of the adapter
 * interface. transaction(fn) runs fn with a tx whose get/getAll/put/delete/
 * clear return promises; the writes become visible all together when fn
 * resolves, or not at all when it throws. Transactions run one at a time.
 */
export class MemoryStore {
  constructor() {
    this.tables = Object.fromEntries(TABLES.map((t) => [t, new Map()]));
    this.queue = Promise.resolve();
  }
  async open() {}
  close() {}
  transaction(fn) {
    const run = async () => {
      const writes = [];
      const view = (t) => this.tables[t];
      const tx = {
        get: async (t, k) => clone(staged(writes, t, k, view(t).get(k))),
        getAll: async (t) => {
          const m = new Map(view(t));
          for (const w of writes) if (w.t === t) w.clear ? m.clear() : w.del ? m.delete(w.k) : m.set(w.k, w.v);
          return [...m.entries()].sort(byKey).map(([, v]) => clone(v));
        },
        put: async (t, k, v) => { writes.push({ t, k, v: clone(v) }); },
        delete: async (t, k) => { writes.push({ t, k, del: true }); },
        clear: async (t) => { writes.push({ t, clear: true }); },
      };
      const out = await fn(tx);
      for (const w of writes) {
        const m = this.tables[w.t];
        w.clear ? m.clear() : w.del ? m.delete(w.k) : m.set(w.k, w.v);
      }
      return out;
    };
    const p = this.queue.then(run);
    this.queue = p.catch(() => {});
    return p;
  }
  async destroy() { for (const m of Object.values(this.tables)) m.clear(); }
}

function staged(writes, t, k, v) {
  for (const w of writes) if (w.t === t && (w.clear || w.k === k)) v = w.clear || w.del ? undefined : w.v;
  return v;
}
function byKey([a], [b]) { return typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0; }
function clone(v) { return v === undefined ? v : structuredClone(v); }

/**
 * The IndexedDB adapter: one database per server and per name, one object
 * store per table, every transaction 'readwrite' with strict durability so
 * that a resolved write is on disk. A lost connection (WebKit drops them in
 * the background) is reopened and the transaction retried once.
 */
export class IndexedDBStore {
  constructor(name = 'rapport') { this.name = name; this.db = null; }
  open() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(this.name, 1);
      req.onupgradeneeded = () => { for (const t of TABLES) if (!req.result.objectStoreNames.contains(t)) req.result.createObjectStore(t); };
      req.onsuccess = () => {
        this.db = req.result;
        // another tab upgrading the schema: let it, this tab reloads
        this.db.onversionchange = () => { this.db.close(); this.db = null; };
        resolve();
      };
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('rapport-sync: the local database is held by an older tab; close it and reload'));
    });
  }
  close() { this.db?.close(); this.db = null; }
  async transaction(fn) {
    try {
      return await this.once(fn);
    } catch (err) {
      if (!(err?.name === 'InvalidStateError' || /connection|closing/i.test(String(err?.message)))) throw err;
      this.close();
      await this.open();
      return this.once(fn);
    }
  }
  async once(fn) {
    if (!this.db) await this.open();
    const t = this.db.transaction(TABLES, 'readwrite', { durability: 'strict' });
    const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
    const done = new Promise((res, rej) => { t.oncomplete = res; t.onerror = () => rej(t.error); t.onabort = () => rej(t.error || new Error('transaction aborted')); });
    const tx = {
      get: (n, k) => req(t.objectStore(n).get(k)),
      getAll: (n) => req(t.objectStore(n).getAll()),
      put: (n, k, v) => req(t.objectStore(n).put(v, k)),
      delete: (n, k) => req(t.objectStore(n).delete(k)),
      clear: (n) => req(t.objectStore(n).clear()),
    };
    let out;
    try {
      out = await fn(tx);
    } catch (err) {
      try { t.abort(); } catch { /* already finished */ }
      done.catch(() => {});
      throw err;
    }
    await done;
    return out;
  }
  destroy() {
    this.close();
    return new Promise((res, rej) => { const r = indexedDB.deleteDatabase(this.name); r.onsuccess = res; r.onerror = () => rej(r.error); r.onblocked = res; });
  }
}

// ---------------------------------------------------------------- errors

/** A refused HTTP call: status and PocketBase's error body (message, data). */
export class RapportError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.response = body || {};
    this.data = body?.data || {};
  }
}

// ---------------------------------------------------------------- client

export class Rapport {
  /**
   * Opens (or creates) the local store of an app install and starts syncing
   * when signed in. Options: url (server, default this page's origin), store
   * ('indexeddb' | 'memory' | an adapter), name (database name), fetch,
   * EventSource, realtime (default true where EventSource exists),
   * pollInterval (ms, default 180000), refreshBelow (seconds of token life
   * left that trigger a refresh, default 7 days), autoSync (default true).
   */
  static async open(options = {}) {
    const r = new Rapport(options);
    await r.init();
    return r;
  }

  constructor(options) {
    this.url = String(options.url ?? globalThis.location?.origin ?? '').replace(/\/+$/, '');
    const store = options.store ?? (globalThis.indexedDB ? 'indexeddb' : 'memory');
    this.db = store === 'memory' ? new MemoryStore()
      : store === 'indexeddb' ? new IndexedDBStore(options.name ?? `rapport:${this.url}`)
      : store;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.EventSource = options.EventSource ?? globalThis.EventSource;
    this.realtime = options.realtime ?? !!this.EventSource;
    this.pollInterval = options.pollInterval ?? 180000;
    this.refreshBelow = options.refreshBelow ?? 7 * 24 * 3600;
    this.autoSync = options.autoSync ?? true;
    this.listeners = new Map();
    this.cache = { meta: new Map(), records: new Map(), outbox: [], refused: [], files: [] };
    this.state = { online: globalThis.navigator?.onLine ?? true, syncing: false, error: null, realtime: false, persisted: false };
    this.backoff = 0;
    this.timers = new Set();
    this.closed = false;
    this.dismissed = new Set(); // a pull page fetched before a dismissal must not bring it back
  }

  async init() {
    try {
      await this.db.open();
    } catch (err) {
      if (!(this.db instanceof IndexedDBStore)) throw err;
      // IndexedDB refused (private mode, storage blocked): run in memory and
      // say so — nothing survives a reload then
      console.warn('rapport-sync: IndexedDB is not usable, keeping data in memory only', err);
      this.db = new MemoryStore();
      this.state.memoryOnly = true;
    }
    await this.db.transaction(async (tx) => {
      if (!(await tx.get('meta', 'clientId'))) {
        await tx.put('meta', 'clientId', newId(24));
        await tx.put('meta', 'nextMutationId', 1);
      }
    });
    await this.reload();
    this.listen();
    const w = globalThis.window;
    if (w?.addEventListener) {
      this.onOnline = () => { this.state.online = true; this.backoff = 0; this.emit('status'); this.schedule(0); };
      this.onOffline = () => { this.state.online = false; this.emit('status'); };
      this.onVisible = () => { if (globalThis.document?.visibilityState === 'visible') this.schedule(0); };
      w.addEventListener('online', this.onOnline);
      w.addEventListener('offline', this.onOffline);
      globalThis.document?.addEventListener('visibilitychange', this.onVisible);
    }
    if (this.token && this.autoSync) this.start();
  }

  /** Joins the install's BroadcastChannel: other tabs' writes and relayed pokes. */
  listen() {
    this.channel?.close();
    this.channel = globalThis.BroadcastChannel ? new BroadcastChannel(`rapport:${this.clientId}`) : null;
    if (this.channel) {
      this.channel.onmessage = async (e) => {
        if (e.data === 'change') { await this.reload(); this.emit('change'); }
        if (e.data === 'poke') this.schedule(0);
      };
    }
  }

  // ------------------------------------------------------------ reading

  get clientId() { return this.cache.meta.get('clientId'); }
  get token() { return this.cache.meta.get('auth')?.token || ''; }
  /** The signed-in user's record, as the server returned it at sign-in or refresh. */
  get user() { return this.cache.meta.get('auth')?.record || null; }

  get status() {
    const auth = this.cache.meta.get('auth');
    return {
      online: this.state.online,
      signedIn: !!auth?.token && !auth.expired,
      expired: !!auth?.expired,
      pending: this.cache.outbox.length,
      refused: this.cache.refused.length,
      lastSyncAt: this.cache.meta.get('lastSyncAt') || null,
      syncing: this.state.syncing,
      realtime: this.state.realtime,
      persisted: this.state.persisted,
      memoryOnly: !!this.state.memoryOnly,
      error: this.state.error,
    };
  }

  /**
   * Local records of a collection as the user sees them: server state with
   * pending edits on top. Options: filter (object of field → value, or a
   * function), sort ('field' or '-field'). Records with pending edits carry
   * $pending: true; pending files are listed in $files.
   */
  records(collection, { filter, sort } = {}) {
    const out = new Map();
    const prefix = collection + '/';
    for (const [k, v] of this.cache.records) if (k.startsWith(prefix)) out.set(v.id, { ...v });
    this.overlay(collection, out, () => true);
    let list = [...out.values()];
    if (typeof filter === 'function') list = list.filter(filter);
    else if (filter) list = list.filter((r) => Object.entries(filter).every(([k, v]) => r[k] === v));
    if (sort) {
      const desc = sort.startsWith('-');
      const f = desc ? sort.slice(1) : sort;
      list.sort((a, b) => (a[f] ?? '') < (b[f] ?? '') ? (desc ? 1 : -1) : (a[f] ?? '') > (b[f] ?? '') ? (desc ? -1 : 1) : 0);
    }
    return list;
  }

  /** One local record as the user sees it, or null. */
  record(collection, id) {
    const out = new Map();
    const stored = this.cache.records.get(`${collection}/${id}`);
    if (stored) out.set(id, { ...stored });
    this.overlay(collection, out, (recordId) => recordId === id);
    return out.get(id) || null;
  }

  /** Replays the pending outbox (and pending files) of collection on top of out (id → record). */
  overlay(collection, out, wanted) {
    for (const m of this.cache.outbox) {
      if (m.collection !== collection || !wanted(m.recordId)) continue;
      const cur = out.get(m.recordId);
      if (m.op === 'delete') out.delete(m.recordId);
      else if (m.op === 'create') out.set(m.recordId, { ...(cur || {}), ...m.data, id: m.recordId, $pending: true });
      else if (cur) out.set(m.recordId, { ...cur, ...m.data, $pending: true });
    }
    for (const f of this.cache.files) {
      const r = f.collection === collection && wanted(f.recordId) && out.get(f.recordId);
      if (r) r.$files = { ...(r.$files || {}), [f.field]: f.files.map((x) => x.name) };
    }
  }

  /**
   * What has not reached the server, and what it refused: pending mutations
   * in push order, then refused and conflicting ones with the server's
   * error ({status, message, data: {field: {code, message}}}).
   */
  outbox() {
    const pending = this.cache.outbox.map((m) => ({ id: m.id, op: m.op, collection: m.collection, recordId: m.recordId, data: m.data, status: 'pending', error: null, files: this.filesOf(m.id) }));
    const refused = this.cache.refused.map((m) => ({ id: m.id, op: m.op, collection: m.collection, recordId: m.recordId, data: m.data, status: m.status, error: m.error, fields: m.fields, record: m.record, files: this.filesOf(m.id) }));
    return [...pending, ...refused];
  }

  filesOf(mutationId) {
    return this.cache.files.filter((f) => f.mutation === mutationId).map((f) => ({ field: f.field, status: f.status, names: f.files.map((x) => x.name) }));
  }

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(fn);
    return () => this.listeners.get(event).delete(fn);
  }

  emit(event, detail) {
    for (const fn of this.listeners.get(event) || []) {
      try { fn(detail); } catch (err) { console.error(err); }
    }
  }

  // ------------------------------------------------------------ auth

  /** Signs in with PocketBase's users auth-with-password; the token is kept with the store. */
  async signIn(email, password) {
    const res = await this.http('POST', '/api/collections/users/auth-with-password', { identity: email, password }, { auth: false });
    const prev = this.user;
    if (prev && prev.id !== res.record.id) {
      // an install belongs to one user (the server binds the clientId)
      if (this.cache.outbox.length || this.cache.refused.length) {
        throw new Error(`rapport-sync: ${prev.email || prev.id} still has unsent or refused changes on this device; sign in as them and sync first`);
      }
      await this.wipe();
    }
    await this.db.transaction((tx) => tx.put('meta', 'auth', { token: res.token, record: res.record, expired: false }));
    await this.committed();
    this.backoff = 0;
    this.state.error = null;
    if (this.autoSync) this.start();
    return res.record;
  }

  /**
   * Signs out. Unsent or refused changes would be lost with the local data,
   * so it refuses while there are any unless { force: true }.
   */
  async signOut({ force = false } = {}) {
    if (!force && (this.cache.outbox.length || this.cache.refused.length)) {
      throw new Error('rapport-sync: there are unsent or refused changes; sync them first (or sign out with force)');
    }
    this.stop();
    await this.wipe();
    this.emit('status');
  }

  /** Drops everything local and takes a new clientId (a new install). */
  async wipe() {
    await this.db.transaction(async (tx) => {
      for (const t of TABLES) await tx.clear(t);
      await tx.put('meta', 'clientId', newId(24));
      await tx.put('meta', 'nextMutationId', 1);
    });
    await this.committed();
    this.listen(); // the new clientId's channel
  }

  async refreshToken() {
    const res = await this.http('POST', '/api/collections/users/auth-refresh');
    await this.db.transaction((tx) => tx.put('meta', 'auth', { token: res.token, record: res.record, expired: false }));
    await this.reload();
  }

  // ------------------------------------------------------------ writing

  /**
   * Creates a record locally and queues it. Resolves once the record and
   * its mutation are stored (it survives a reload from then on). files:
   * {field: Blob | Blob[]}, uploaded once the server has the record.
   */
  async create(collection, data, { files } = {}) {
    const recordId = data.id || newId(15);
    const body = { ...data };
    delete body.id;
    const record = await this.enqueue({ op: 'create', collection, recordId, data: body }, files);
    return record;
  }

  /** Changes fields of a record locally and queues the change (with the values seen, as base). */
  async update(collection, id, data, { files } = {}) {
    const cur = this.record(collection, id);
    if (!cur) throw new RapportError(404, { message: `No ${collection} record ${id} on this device.` });
    const base = {};
    for (const k of Object.keys(data)) if (k in cur) base[k] = cur[k];
    return this.enqueue({ op: 'update', collection, recordId: id, data: { ...data }, base }, files);
  }

  /** Deletes a record locally and queues the deletion. */
  async remove(collection, id) {
    await this.enqueue({ op: 'delete', collection, recordId: id });
  }

  async enqueue(m, files) {
    // everything asynchronous happens before the transaction: an IndexedDB
    // transaction closes as soon as it waits on anything else
    const prepared = [];
    for (const [field, value] of Object.entries(files || {})) {
      const list = Array.isArray(value) ? value : [value];
      prepared.push({ field, files: await Promise.all(list.map(prepareFile)) });
    }
    await this.db.transaction(async (tx) => {
      // the id is taken inside the transaction that stores the mutation,
      // so tabs sharing the install never take the same one
      const id = (await tx.get('meta', 'nextMutationId')) || 1;
      await tx.put('meta', 'nextMutationId', id + 1);
      await tx.put('outbox', id, { ...m, id });
      for (const p of prepared) {
        await tx.put('files', `${id}/${p.field}`, { mutation: id, collection: m.collection, recordId: m.recordId, field: p.field, files: p.files, status: 'queued' });
      }
    });
    await this.committed();
    this.persist();
    this.schedule(0);
    return m.op === 'delete' ? null : this.record(m.collection, m.recordId);
  }

  /** Asks the browser to keep the store (an unsynced outbox cannot be rebuilt). */
  persist() {
    if (this.askedPersist || !globalThis.navigator?.storage?.persist) return;
    this.askedPersist = true;
    navigator.storage.persist().then((ok) => { this.state.persisted = ok; this.emit('status'); }, () => {});
  }

  /**
   * Drops a refused (or conflicting) mutation, here and on the server
   * (DELETE /api/sync/rejected/{clientId}/{id}; 404 = already done).
   */
  async dismiss(mutationId) {
    const m = this.cache.refused.find((x) => x.id === mutationId);
    if (m?.status === 'rejected') {
      try {
        await this.http('DELETE', `/api/sync/rejected/${this.clientId}/${mutationId}`);
      } catch (err) {
        if (err.status !== 404) throw err;
      }
    }
    this.dismissed.add(mutationId);
    await this.db.transaction(async (tx) => {
      await tx.delete('refused', mutationId);
      for (const f of await tx.getAll('files')) if (f.mutation === mutationId) await tx.delete('files', `${f.mutation}/${f.field}`);
    });
    await this.committed();
  }

  // ------------------------------------------------------------ syncing

  /**
   * Pushes the outbox, then pulls until caught up. Several calls at once
   * share one run; tabs of one install take turns (Web Locks).
   */
  sync() {
    if (this.running) { this.again = true; return this.running; }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.withLock(`rapport-sync:${this.clientId}`, () => this.syncOnce());
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  async syncOnce() {
    if (!this.token || this.cache.meta.get('auth')?.expired) throw new RapportError(401, { message: 'Not signed in.' });
    this.state.syncing = true;
    this.emit('status');
    try {
      await this.reload(); // another tab may have written
      await this.push();
      await this.pull();
      await this.db.transaction((tx) => tx.put('meta', 'lastSyncAt', new Date().toISOString()));
      await this.committed();
      this.state.error = null;
      this.state.online = true;
      this.backoff = 0;
      await this.maybeRefresh();
    } catch (err) {
      this.state.error = err.message;
      if (err.status === 401) await this.expire();
      if (err.offline) this.state.online = false;
      throw err;
    } finally {
      this.state.syncing = false;
      this.emit('status');
    }
  }

  async push() {
    for (;;) {
      await this.uploadReady();
      const outbox = this.cache.outbox;
      if (!outbox.length) return;
      // a mutation whose files wait for it ends the batch: the files go
      // up before anything after it (the submit that needs a receipt)
      let batch = outbox.slice(0, PUSH_BATCH);
      const cut = batch.findIndex((m) => this.cache.files.some((f) => f.mutation === m.id && f.status === 'queued'));
      if (cut >= 0) batch = batch.slice(0, cut + 1);
      const res = await this.http('POST', '/api/sync/push', { clientId: this.clientId, schemaVersion: 1, mutations: batch.map(wire) });
      const acked = await this.acknowledge(batch, res);
      if (!acked) throw new RapportError(500, { message: `The server acknowledged nothing of the push (lastMutationId ${res.lastMutationId}).` });
    }
  }

  async acknowledge(batch, res) {
    const results = new Map((res.results || []).map((r) => [r.id, r]));
    let acked = 0;
    await this.db.transaction(async (tx) => {
      for (const m of batch) {
        const r = results.get(m.id);
        if (!r || m.id > res.lastMutationId) continue;
        acked++;
        await tx.delete('outbox', m.id);
        if (r.status === 'lost') {
          // acknowledged once, then lost by a server restore: queue it again
          const id = await tx.get('meta', 'nextMutationId');
          await tx.put('meta', 'nextMutationId', id + 1);
          await tx.put('outbox', id, { ...m, id });
          for (const f of await tx.getAll('files')) {
            if (f.mutation === m.id) { await tx.delete('files', `${m.id}/${f.field}`); await tx.put('files', `${id}/${f.field}`, { ...f, mutation: id, status: 'queued' }); }
          }
          continue;
        }
        if (r.record) await tx.put('records', `${m.collection}/${m.recordId}`, r.record);
        else if (m.op === 'delete' && r.status === 'applied') await tx.delete('records', `${m.collection}/${m.recordId}`);
        if (r.status === 'rejected' || r.status === 'conflict') {
          await tx.put('refused', m.id, { ...m, status: r.status, error: r.error || null, fields: r.fields, record: r.record });
          for (const f of await tx.getAll('files')) if (f.mutation === m.id) await tx.put('files', `${m.id}/${f.field}`, { ...f, status: 'refused' });
        }
      }
    });
    await this.committed();
    return acked;
  }

  /** Uploads queued files whose record the server has (multipart PATCH; replacing, so retries are safe). */
  async uploadReady() {
    for (const f of this.cache.files) {
      if (f.status !== 'queued' || this.cache.outbox.some((m) => m.id === f.mutation)) continue;
      const form = new FormData();
      for (const x of f.files) form.append(f.field, new Blob([x.data], { type: x.type }), x.name);
      let record;
      try {
        record = await this.http('PATCH', `/api/collections/${f.collection}/records/${f.recordId}`, form);
      } catch (err) {
        if (!(err.status >= 400 && err.status < 500) || err.status === 401 || err.status === 429) throw err;
        // refused for good (a file type or size the field does not take): keep the
        // files with a refusal the app shows, and go on with the queue
        await this.db.transaction(async (tx) => {
          await tx.put('files', `${f.mutation}/${f.field}`, { ...f, status: 'refused' });
          await tx.put('refused', f.mutation, { id: f.mutation, op: 'update', collection: f.collection, recordId: f.recordId, data: {}, status: 'rejected', error: { status: err.status, message: err.message, data: err.data } });
        });
        await this.committed();
        continue;
      }
      await this.db.transaction(async (tx) => {
        await tx.put('records', `${f.collection}/${f.recordId}`, record);
        await tx.delete('files', `${f.mutation}/${f.field}`);
      });
      await this.committed();
    }
  }

  async pull() {
    const rejected = [];
    for (;;) {
      const q = new URLSearchParams({ clientId: this.clientId, cursor: this.cache.meta.get('cursor') || '', limit: '500' });
      const res = await this.http('GET', `/api/sync/pull?${q}`);
      rejected.push(...(res.rejected || []));
      await this.db.transaction(async (tx) => {
        if (res.reset) await tx.clear('records');
        for (const c of res.changes || []) {
          const key = `${c.collection}/${c.recordId}`;
          if (c.op === 'delete') await tx.delete('records', key);
          else await tx.put('records', key, c.record);
        }
        await tx.put('meta', 'cursor', res.cursor);
        if (res.serverTime) await tx.put('meta', 'skew', Date.parse(res.serverTime) - Date.now());
        // rejections are paged like changes: merge what each page brings
        for (const j of res.rejected || []) {
          if (this.dismissed.has(j.id)) continue;
          const known = await tx.get('refused', j.id);
          await tx.put('refused', j.id, { ...(known || {}), id: j.id, op: j.op, collection: j.collection, recordId: j.recordId, data: j.data, base: j.base, status: 'rejected', error: j.error });
        }
      });
      await this.committed();
      if (!res.hasMore) return rejected;
    }
  }

  async maybeRefresh() {
    const left = this.cache.meta.get('tokenExpiresIn');
    if (left && left < this.refreshBelow) {
      try { await this.refreshToken(); } catch (err) { if (err.status === 401) await this.expire(); }
    }
  }

  /** The token expired (401): keep every local change, show "sign in again". */
  async expire() {
    const auth = this.cache.meta.get('auth');
    if (!auth) return;
    await this.db.transaction((tx) => tx.put('meta', 'auth', { ...auth, expired: true }));
    this.stop(); // signIn starts again
    await this.committed();
  }

  // ------------------------------------------------------------ background

  /** Starts the background loop: sync now, on poke, on reconnect, on foreground and every pollInterval. */
  start() {
    if (this.started || this.closed) return;
    this.started = true;
    this.schedule(0);
    this.poll = setInterval(() => this.schedule(0), this.pollInterval);
    // one tab of the install holds the realtime stream and relays pokes
    if (this.realtime) this.withLock(`rapport-realtime:${this.clientId}`, () => new Promise((release) => { this.releaseRealtime = release; this.connect(); }));
  }

  stop() {
    this.started = false;
    clearInterval(this.poll);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.stopRealtime();
    this.releaseRealtime?.();
    this.releaseRealtime = null;
  }

  /** Stops everything and closes the store (tests, app teardown). */
  async close() {
    this.closed = true;
    this.stop();
    await this.running?.catch(() => {});
    const w = globalThis.window;
    w?.removeEventListener?.('online', this.onOnline);
    w?.removeEventListener?.('offline', this.onOffline);
    globalThis.document?.removeEventListener?.('visibilitychange', this.onVisible);
    this.channel?.close();
    this.db.close();
  }

  /** Syncs after delay ms; failures retry with exponential backoff (1 s … 60 s, jittered). */
  schedule(delay) {
    if (!this.started || this.closed || !this.token) return;
    const t = setTimeout(async () => {
      this.timers.delete(t);
      try {
        await this.sync();
      } catch (err) {
        if (err.status === 401 || this.closed) return;
        const wait = err.retryAfter ?? Math.min(60000, 1000 * 2 ** this.backoff) * (0.75 + Math.random() / 2);
        this.backoff = Math.min(this.backoff + 1, 6);
        this.schedule(wait);
      }
    }, delay);
    this.timers.add(t);
  }

  connect() {
    if (!this.started || !this.token || this.cache.meta.get('auth')?.expired) return;
    const es = new this.EventSource(`${this.url}/api/realtime`);
    this.es = es;
    es.addEventListener('PB_CONNECT', async (e) => {
      try {
        const { clientId } = JSON.parse(e.data);
        await this.http('POST', '/api/realtime', { clientId, subscriptions: ['sync'] });
        this.state.realtime = true;
        this.emit('status');
        this.poked(); // messages missed while disconnected are gone: pull
      } catch { es.close(); this.reconnect(); }
    });
    es.addEventListener('sync', () => this.poked());
    es.onerror = () => {
      this.state.realtime = false;
      this.emit('status');
      // EventSource retries by itself unless it gave up (CLOSED)
      if (es.readyState === 2) this.reconnect();
    };
  }

  poked() {
    this.channel?.postMessage('poke');
    this.backoff = 0;
    this.schedule(0);
  }

  reconnect() {
    if (this.es) this.es.close();
    this.es = null;
    const t = setTimeout(() => { this.timers.delete(t); this.connect(); }, 2000 + Math.random() * 3000);
    this.timers.add(t);
  }

  stopRealtime() {
    this.es?.close();
    this.es = null;
    this.state.realtime = false;
  }

  withLock(name, fn) {
    if (globalThis.navigator?.locks?.request) return navigator.locks.request(name, fn);
    return fn();
  }

  // ------------------------------------------------------------ plumbing

  /** Re-reads the store into memory (after our writes and other tabs'). */
  async reload() {
    const snap = await this.db.transaction(async (tx) => {
      const out = {};
      for (const t of TABLES) out[t] = await tx.getAll(t);
      out.metaKeys = [];
      for (const k of ['clientId', 'nextMutationId', 'cursor', 'auth', 'lastSyncAt', 'skew', 'tokenExpiresIn']) out.metaKeys.push([k, await tx.get('meta', k)]);
      return out;
    });
    this.cache.meta = new Map(snap.metaKeys);
    this.cache.records = new Map(snap.records.map((r) => [`${r.collectionName}/${r.id}`, r]));
    this.cache.outbox = snap.outbox.sort((a, b) => a.id - b.id);
    this.cache.refused = snap.refused.sort((a, b) => a.id - b.id);
    this.cache.files = snap.files;
  }

  /** After a committed write: refresh the cache, tell the app and the other tabs. */
  async committed() {
    await this.reload();
    this.channel?.postMessage('change');
    this.emit('change');
    this.emit('status');
  }

  async http(method, path, body, { auth = true } = {}) {
    const headers = {};
    if (auth && this.token) headers.Authorization = this.token;
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
    let resp;
    try {
      resp = await this.fetch(this.url + path, { method, headers, body: payload, cache: 'no-store' });
    } catch (cause) {
      const err = new RapportError(0, { message: 'No connection to the server.' });
      err.offline = true;
      err.cause = cause;
      throw err;
    }
    const text = await resp.text();
    let json = {};
    try { json = text ? JSON.parse(text) : {}; } catch { json = { message: text }; }
    if (json && typeof json.tokenExpiresIn === 'number') {
      await this.db.transaction((tx) => tx.put('meta', 'tokenExpiresIn', json.tokenExpiresIn));
      this.cache.meta.set('tokenExpiresIn', json.tokenExpiresIn);
    }
    if (resp.status >= 200 && resp.status < 300) {
      this.state.online = true;
      return json;
    }
    const err = new RapportError(resp.status, json);
    const after = Number(resp.headers.get('Retry-After'));
    if (after > 0) err.retryAfter = after * 1000;
    throw err;
  }
}

/** A mutation as the push sends it (local bookkeeping stripped). */
function wire(m) {
  const out = { id: m.id, op: m.op, collection: m.collection, recordId: m.recordId };
  if (m.op !== 'delete') out.data = m.data;
  if (m.base && Object.keys(m.base).length) out.base = m.base;
  return out;
}

/** PocketBase-style ids: 15 chars [a-z0-9]; clientIds may use more. */
export function newId(n = 15) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

const MAX_SIDE = 1600;

/**
 * A file as the store keeps it: bytes (ArrayBuffer: Safari fails on stored
 * Blobs), type and name; photos are scaled down to MAX_SIDE pixels on the
 * longer side where the browser can (createImageBitmap + OffscreenCanvas).
 */
async function prepareFile(file) {
  let blob = file;
  const name = file.name || 'file';
  if (/^image\/(jpeg|png|webp)$/.test(file.type) && globalThis.createImageBitmap && globalThis.OffscreenCanvas) {
    try {
      const img = await createImageBitmap(file);
      const scale = MAX_SIDE / Math.max(img.width, img.height);
      if (scale < 1) {
        const canvas = new OffscreenCanvas(Math.round(img.width * scale), Math.round(img.height * scale));
        canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
        blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
      }
      img.close?.();
    } catch { /* not decodable here: keep the original */ }
  }
  return { name: blob === file ? name : name.replace(/\.\w+$/, '') + '.jpg', type: blob.type || 'application/octet-stream', data: await blob.arrayBuffer() };
}
