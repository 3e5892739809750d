// The SQLite engine (better-sqlite3): one file, no set-up, the server's default. WAL, so readers never wait
// for the writer; synchronous=FULL, so a commit is on disk (the WAL fsynced) before the promise resolves;
// foreign keys on; and a busy timeout, so a second process writing the same file waits for the lock rather
// than failing. Writes begin with BEGIN IMMEDIATE: the write lock is taken at the start, where the busy
// timeout applies, instead of at the first write, where a reader upgrading in WAL mode fails at once.
//
// better-sqlite3 is synchronous and one connection has one transaction, so transactions run one at a time
// through a queue: an async transaction body cannot interleave its statements with another one's. The queue
// is per file and shared by every store of this process on that file: a second connection's BEGIN IMMEDIATE
// would otherwise busy-wait, blocking the one thread, for a lock held by a transaction that thread must
// finish. (A busy wait for another process blocks this thread for up to BUSY_TIMEOUT_MS; that process holds
// the lock for one short transaction.)
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';
import { type Driver, type Row, SqlStore, type Tx } from './sql.js';
import type { Store } from './types.js';

export const BUSY_TIMEOUT_MS = 10_000;

/** Runs async functions one after another, each to its end. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => {});
    return result;
  }
}

/** The queue of each file this process has open (":memory:" databases are private: one queue each). */
const fileQueues = new Map<string, { queue: Queue; users: number }>();

function takeQueue(path: string): { queue: Queue; release(): void } {
  if (path === ':memory:') return { queue: new Queue(), release: () => {} };
  const entry = fileQueues.get(path) ?? { queue: new Queue(), users: 0 };
  entry.users++;
  fileQueues.set(path, entry);
  return {
    queue: entry.queue,
    release: () => {
      if (--entry.users === 0) fileQueues.delete(path);
    },
  };
}

const bind = (params: unknown[]): unknown[] => params.map((v) => (v === undefined ? null : v));

class SqliteDriver implements Driver {
  readonly kind = 'sqlite';
  private readonly statements = new Map<string, Database.Statement>();
  private readonly tx: Tx;

  constructor(
    private readonly db: Database.Database,
    readonly where: string,
    private readonly queue: Queue,
    private readonly releaseQueue: () => void,
  ) {
    this.tx = {
      all: async (sql, params = []) => this.statement(sql).all(...bind(params)) as Row[],
      run: async (sql, params = []) => this.statement(sql).run(...bind(params)).changes,
    };
  }

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private transaction<T>(begin: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      this.db.exec(begin);
      try {
        const result = await fn(this.tx);
        this.db.exec('COMMIT');
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN IMMEDIATE', fn);
  }

  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN DEFERRED', fn);
  }

  isUniqueViolation(e: unknown): boolean {
    const code = (e as { code?: unknown }).code;
    return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
  }

  close(): Promise<void> {
    // after every queued transaction has ended
    return this.queue.run(async () => {
      this.statements.clear();
      this.db.close();
      this.releaseQueue();
    });
  }
}

/** Opens (creating it and its folder when missing) and migrates the SQLite store at `path` (":memory:" allowed). */
export async function openSqliteStore(file: string): Promise<Store> {
  const memory = file === ':memory:';
  const path = memory ? file : resolve(file);
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  const { queue, release } = takeQueue(path);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!memory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const driver = new SqliteDriver(db, path, queue, release);
    await driver.write((tx) => migrate(tx, 'sqlite', path));
    return new SqlStore(driver);
  } catch (e) {
    db.close();
    release();
    throw e;
  }
}
