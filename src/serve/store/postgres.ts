// The PostgreSQL engine (pg, a Pool): for a team or several servers on one database. Each transaction
// takes a pooled connection for its whole length (BEGIN ... COMMIT on that one client), so concurrent
// requests run in parallel, each in its own transaction; reads that take several statements run in one
// REPEATABLE READ snapshot. The shared logic (sql.ts) writes `?` placeholders; they become $1, $2... here.
// The URL's password never appears in `where` or in an error this module makes.
import pg from 'pg';
import { migrate, SchemaVersionError } from './migrations.js';
import { type Driver, type Row, SqlStore, type Tx } from './sql.js';
import type { Store } from './types.js';

/** `?` placeholders as $1, $2... (the shared SQL has no other question marks). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The URL with its password (and a password= parameter) replaced by ***. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

const bind = (params: unknown[]): unknown[] => params.map((v) => (v === undefined ? null : v));

function clientTx(client: pg.PoolClient): Tx {
  return {
    all: async (sql, params = []) => (await client.query(numbered(sql), bind(params))).rows as Row[],
    run: async (sql, params = []) => (await client.query(numbered(sql), bind(params))).rowCount ?? 0,
  };
}

class PostgresDriver implements Driver {
  readonly kind = 'postgres';

  constructor(
    private readonly pool: pg.Pool,
    readonly where: string,
  ) {}

  private async transaction<T>(begin: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const result = await fn(clientTx(client));
      await client.query('COMMIT');
      return result;
    } catch (e) {
      // a failed ROLLBACK means the connection is gone: release it as broken so the pool drops it
      await client.query('ROLLBACK').catch((r: Error) => {
        broken = r;
      });
      throw e;
    } finally {
      client.release(broken);
    }
  }

  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN', fn);
  }

  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn);
  }

  isUniqueViolation(e: unknown): boolean {
    return (e as { code?: unknown }).code === '23505';
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** Connects to the database at `url` (postgres:// or postgresql://) and migrates it. */
export async function openPostgresStore(url: string): Promise<Store> {
  const where = maskUrl(url);
  const pool = new pg.Pool({ connectionString: url });
  // an idle pooled connection that dies (a server restart) emits here; the next query reconnects
  pool.on('error', () => {});
  try {
    const driver = new PostgresDriver(pool, where);
    await driver.write((tx) => migrate(tx, 'postgres', where));
    return new SqlStore(driver);
  } catch (e) {
    await pool.end();
    if (e instanceof SchemaVersionError) throw e;
    throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
  }
}
