// Type declarations of rapport-sync.js (docs/client.md).

/** A record as the records API returns it, with local markers. */
export interface RapportRecord {
  id: string;
  collectionName?: string;
  /** true while edits of this record wait in the outbox */
  $pending?: true;
  /** files waiting on the device to be uploaded: field → file names */
  $files?: Record<string, string[]>;
  [field: string]: unknown;
}

/** PocketBase's error object, as the server gave it. */
export interface ServerError {
  status: number;
  message: string;
  data: Record<string, { code: string; message: string }>;
}

export interface OutboxEntry {
  id: number;
  op: 'create' | 'update' | 'delete';
  collection: string;
  recordId: string;
  data?: Record<string, unknown>;
  status: 'pending' | 'rejected' | 'conflict';
  error: ServerError | null;
  /** conflict: the fields someone else changed (their value was kept) */
  fields?: string[];
  /** conflict: the server's record */
  record?: RapportRecord;
  files: { field: string; status: 'queued' | 'refused'; names: string[] }[];
}

export interface Status {
  online: boolean;
  signedIn: boolean;
  /** the token expired (offline or not): the queue is kept, sign in again */
  expired: boolean;
  pending: number;
  refused: number;
  lastSyncAt: string | null;
  syncing: boolean;
  realtime: boolean;
  persisted: boolean;
  /** IndexedDB was refused: the data lives in memory only and is lost on reload */
  memoryOnly: boolean;
  error: string | null;
}

/** One transaction over the five tables: meta, records, outbox, refused, files. */
export interface StoreTransaction {
  get(table: string, key: string | number): Promise<any>;
  /** every value of the table, in key order */
  getAll(table: string): Promise<any[]>;
  put(table: string, key: string | number, value: any): Promise<void>;
  delete(table: string, key: string | number): Promise<void>;
  clear(table: string): Promise<void>;
}

/**
 * A storage adapter (SQLite for React Native / Capacitor, …). transaction()
 * must be atomic (all writes of fn or none) and serialised with the others;
 * values are structured-clonable (ArrayBuffers included).
 */
export interface StoreAdapter {
  open(): Promise<void>;
  close(): void;
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T>;
}

export interface OpenOptions {
  /** server origin; default: this page's */
  url?: string;
  store?: 'indexeddb' | 'memory' | StoreAdapter;
  /** IndexedDB database name; default rapport:<url> */
  name?: string;
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
  /** hold the realtime stream (default: where EventSource exists) */
  realtime?: boolean;
  /** ms between background syncs; default 180000 */
  pollInterval?: number;
  /** refresh the token when fewer seconds are left; default 7 days */
  refreshBelow?: number;
  /** sync in the background once signed in; default true */
  autoSync?: boolean;
}

export interface QueryOptions {
  filter?: Record<string, unknown> | ((r: RapportRecord) => boolean);
  /** 'field' ascending, '-field' descending */
  sort?: string;
}

export interface WriteOptions {
  /** files uploaded (multipart PATCH) once the server has the record */
  files?: Record<string, Blob | Blob[]>;
}

export declare class RapportError extends Error {
  status: number;
  response: any;
  data: Record<string, { code: string; message: string }>;
}

export declare class MemoryStore implements StoreAdapter {
  open(): Promise<void>;
  close(): void;
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T>;
}

export declare class IndexedDBStore implements StoreAdapter {
  constructor(name?: string);
  open(): Promise<void>;
  close(): void;
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T>;
}

export declare class Rapport {
  static open(options?: OpenOptions): Promise<Rapport>;
  readonly url: string;
  readonly clientId: string;
  readonly token: string;
  readonly user: RapportRecord | null;
  readonly status: Status;
  signIn(email: string, password: string): Promise<RapportRecord>;
  signOut(options?: { force?: boolean }): Promise<void>;
  refreshToken(): Promise<void>;
  sync(): Promise<void>;
  pull(): Promise<unknown[]>;
  records(collection: string, options?: QueryOptions): RapportRecord[];
  record(collection: string, id: string): RapportRecord | null;
  create(collection: string, data: Record<string, unknown>, options?: WriteOptions): Promise<RapportRecord>;
  update(collection: string, id: string, data: Record<string, unknown>, options?: WriteOptions): Promise<RapportRecord>;
  remove(collection: string, id: string): Promise<void>;
  outbox(): OutboxEntry[];
  dismiss(mutationId: number): Promise<void>;
  on(event: 'change' | 'status', fn: () => void): () => void;
  start(): void;
  stop(): void;
  close(): Promise<void>;
  /** an authenticated call to the server (reports, approvals): JSON in, JSON out */
  http(method: string, path: string, body?: unknown): Promise<any>;
}

export declare function newId(length?: number): string;
