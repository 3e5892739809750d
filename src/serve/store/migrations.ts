// The store's schema as numbered migrations, one SQL list per dialect, and the code that brings a database
// up to date. Applied versions are rows of `schema_migrations`; applying is idempotent (a version that is
// there is skipped) and runs in one transaction, so a migrator killed half-way leaves the old schema. On
// PostgreSQL concurrent migrators (several servers starting at once) queue on an advisory lock; on SQLite
// the write lock of BEGIN IMMEDIATE does the same. A database whose schema is newer than this code knows
// is refused rather than written with assumptions that no longer hold.
//
// The tables: images (PNG bytes by SHA-256 hex), sessions, turns with their outputs as a child table
// (turn_outputs: one row per output, in order; a child table and not JSON so that every image an output
// names is a foreign key), requests with request_outputs, feedback with feedback_images. Feedback has no
// foreign key to its request: it copies what it needs, so that a request can be pruned and its feedback
// still be a benchmark case. sessions.head is a foreign key to turns (a circular reference, added after
// turns exists on PostgreSQL; SQLite resolves references when it checks them).
import type { Tx } from './sql.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  version: number;
  name: string;
  sqlite: string[];
  postgres: string[];
}

const INITIAL_SQLITE = [
  `CREATE TABLE images (
    hash TEXT PRIMARY KEY CHECK (length(hash) = 64),
    png BLOB NOT NULL,
    bytes INTEGER NOT NULL,
    created_at TEXT NOT NULL
  )`,
  `CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    seed INTEGER NOT NULL,
    model TEXT NOT NULL,
    head INTEGER,
    created_at TEXT NOT NULL,
    FOREIGN KEY (id, head) REFERENCES turns (session_id, id)
  )`,
  `CREATE TABLE turns (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    id INTEGER NOT NULL,
    parent INTEGER,
    input_text TEXT,
    input_image TEXT REFERENCES images (hash),
    created_at TEXT NOT NULL,
    PRIMARY KEY (session_id, id),
    FOREIGN KEY (session_id, parent) REFERENCES turns (session_id, id)
  )`,
  `CREATE TABLE turn_outputs (
    session_id TEXT NOT NULL,
    turn_id INTEGER NOT NULL,
    pos INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'image')),
    text TEXT,
    image TEXT REFERENCES images (hash),
    codes TEXT,
    PRIMARY KEY (session_id, turn_id, pos),
    FOREIGN KEY (session_id, turn_id) REFERENCES turns (session_id, id),
    CHECK ((kind = 'text' AND text IS NOT NULL AND image IS NULL) OR (kind = 'image' AND image IS NOT NULL))
  )`,
  `CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    seed INTEGER NOT NULL,
    prompt TEXT,
    input_image TEXT REFERENCES images (hash),
    params TEXT NOT NULL,
    text TEXT,
    ms REAL NOT NULL,
    created_at TEXT NOT NULL
  )`,
  `CREATE TABLE request_outputs (
    request_id TEXT NOT NULL REFERENCES requests (id),
    pos INTEGER NOT NULL,
    image TEXT NOT NULL REFERENCES images (hash),
    PRIMARY KEY (request_id, pos)
  )`,
  `CREATE TABLE feedback (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('rating', 'choice')),
    request_id TEXT NOT NULL,
    variant INTEGER,
    rating TEXT CHECK (rating IN ('up', 'down')),
    a INTEGER,
    b INTEGER,
    picked TEXT CHECK (picked IN ('a', 'b', 'tie')),
    note TEXT,
    model TEXT NOT NULL,
    seed INTEGER NOT NULL,
    endpoint TEXT NOT NULL,
    prompt TEXT,
    input_image TEXT REFERENCES images (hash),
    created_at TEXT NOT NULL
  )`,
  `CREATE TABLE feedback_images (
    feedback_id TEXT NOT NULL REFERENCES feedback (id),
    pos INTEGER NOT NULL,
    image TEXT NOT NULL REFERENCES images (hash),
    PRIMARY KEY (feedback_id, pos)
  )`,
  'CREATE INDEX sessions_by_time ON sessions (created_at)',
];

const INITIAL_POSTGRES = [
  `CREATE TABLE images (
    hash text PRIMARY KEY CHECK (length(hash) = 64),
    png bytea NOT NULL,
    bytes integer NOT NULL,
    created_at timestamptz NOT NULL
  )`,
  `CREATE TABLE sessions (
    id text PRIMARY KEY,
    seed bigint NOT NULL,
    model text NOT NULL,
    head integer,
    created_at timestamptz NOT NULL
  )`,
  `CREATE TABLE turns (
    session_id text NOT NULL REFERENCES sessions (id),
    id integer NOT NULL,
    parent integer,
    input_text text,
    input_image text REFERENCES images (hash),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (session_id, id),
    FOREIGN KEY (session_id, parent) REFERENCES turns (session_id, id)
  )`,
  'ALTER TABLE sessions ADD FOREIGN KEY (id, head) REFERENCES turns (session_id, id)',
  `CREATE TABLE turn_outputs (
    session_id text NOT NULL,
    turn_id integer NOT NULL,
    pos integer NOT NULL,
    kind text NOT NULL CHECK (kind IN ('text', 'image')),
    text text,
    image text REFERENCES images (hash),
    codes jsonb,
    PRIMARY KEY (session_id, turn_id, pos),
    FOREIGN KEY (session_id, turn_id) REFERENCES turns (session_id, id),
    CHECK ((kind = 'text' AND text IS NOT NULL AND image IS NULL) OR (kind = 'image' AND image IS NOT NULL))
  )`,
  `CREATE TABLE requests (
    id text PRIMARY KEY,
    endpoint text NOT NULL,
    model text NOT NULL,
    seed bigint NOT NULL,
    prompt text,
    input_image text REFERENCES images (hash),
    params jsonb NOT NULL,
    text text,
    ms double precision NOT NULL,
    created_at timestamptz NOT NULL
  )`,
  `CREATE TABLE request_outputs (
    request_id text NOT NULL REFERENCES requests (id),
    pos integer NOT NULL,
    image text NOT NULL REFERENCES images (hash),
    PRIMARY KEY (request_id, pos)
  )`,
  `CREATE TABLE feedback (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('rating', 'choice')),
    request_id text NOT NULL,
    variant integer,
    rating text CHECK (rating IN ('up', 'down')),
    a integer,
    b integer,
    picked text CHECK (picked IN ('a', 'b', 'tie')),
    note text,
    model text NOT NULL,
    seed bigint NOT NULL,
    endpoint text NOT NULL,
    prompt text,
    input_image text REFERENCES images (hash),
    created_at timestamptz NOT NULL
  )`,
  `CREATE TABLE feedback_images (
    feedback_id text NOT NULL REFERENCES feedback (id),
    pos integer NOT NULL,
    image text NOT NULL REFERENCES images (hash),
    PRIMARY KEY (feedback_id, pos)
  )`,
  'CREATE INDEX sessions_by_time ON sessions (created_at)',
];

/** Every migration, in version order. Append only: a released version is never edited. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sqlite: INITIAL_SQLITE, postgres: INITIAL_POSTGRES },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** An arbitrary fixed key for pg_advisory_xact_lock: every tessera migrator takes the same one. */
const MIGRATION_LOCK_KEY = 0x7e55e4a;

export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError';
  constructor(
    readonly where: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `${where}: the database's schema is version ${found}, newer than this tessera knows (${known}); ` +
        'HINT: upgrade tessera, or point it at another database',
    );
  }
}

const CREATE_TABLE = {
  sqlite:
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  postgres:
    'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)',
};

/** The versions a database has, after making sure the bookkeeping table exists. */
async function appliedVersions(tx: Tx, dialect: Dialect): Promise<Set<number>> {
  await tx.run(CREATE_TABLE[dialect]);
  const rows = await tx.all('SELECT version FROM schema_migrations');
  return new Set(rows.map((r) => Number(r.version)));
}

/**
 * Applies the migrations the database lacks, inside `tx` (the caller's write transaction), and returns
 * the versions it applied. Throws SchemaVersionError for a schema newer than MIGRATIONS.
 */
export async function migrate(
  tx: Tx,
  dialect: Dialect,
  where: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  if (dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
  const applied = await appliedVersions(tx, dialect);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known) throw new SchemaVersionError(where, newest, known);
  const done: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    for (const sql of m[dialect]) await tx.run(sql);
    await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
      m.version,
      m.name,
      new Date().toISOString(),
    ]);
    done.push(m.version);
  }
  return done;
}
