// The store's entry point: openStore(url) picks the engine from the URL (a SQLite file or a PostgreSQL
// server), opens it and brings its schema up to date. Everything else a caller needs (the Store interface,
// the records, StoreError) is re-exported from here.
import { resolve } from 'node:path';
import { maskUrl, openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export { MIGRATIONS, SCHEMA_VERSION, SchemaVersionError } from './migrations.js';
export { maskUrl } from './postgres.js';
export * from './types.js';

export const STORE_URL_FORMS =
  'sqlite:PATH (sqlite::memory: for a throwaway store), a file path ending in .db, .sqlite or .sqlite3, ' +
  'or postgres://USER:PASSWORD@HOST:PORT/DATABASE (postgresql:// too)';

export type StoreTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** What a store URL names, or an Error listing the accepted forms. */
export function parseStoreUrl(url: string): StoreTarget {
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/file.db, sqlite://rel/file.db
    if (path === ':memory:') return { kind: 'sqlite', path };
    if (path !== '') return { kind: 'sqlite', path: resolve(path) };
  } else if (/\.(db|sqlite3?)$/i.test(url) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    return { kind: 'sqlite', path: resolve(url) };
  }
  throw new Error(`unknown store ${JSON.stringify(maskUrl(url))}: use ${STORE_URL_FORMS}`);
}

/** Opens the store at `url` (see STORE_URL_FORMS), creating a SQLite file and its folder when missing. */
export async function openStore(url: string): Promise<Store> {
  const target = parseStoreUrl(url);
  return target.kind === 'postgres' ? openPostgresStore(target.url) : openSqliteStore(target.path);
}
