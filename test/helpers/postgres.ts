// A PostgreSQL server for the store tests, with a fresh database for each test file (CREATE DATABASE with
// a random name, dropped after) and in it a fresh schema for each test that asks (its URL sets search_path:
// much cheaper than a database per test, whose DROP forces a checkpoint). Where the server comes from, in order:
// TESSERA_TEST_POSTGRES (the URL of a server where the role may create databases); else a throwaway
// cluster (initdb in a temp folder, started by pg_ctl on a unix socket in that folder, stopped and removed
// after) when PostgreSQL's server binaries are installed and we are not root (initdb refuses root); else
// none, and describePostgres skips the suite with the reason, or fails it when TESSERA_REQUIRE_POSTGRES=1
// (CI sets it: a suite that silently skips there is a defect).

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';

export interface TestPostgres {
  /** Where the server is (password masked), for messages. */
  where: string;
  /** This file's database (created on the first call, owned by the test role): its URL. */
  database(): Promise<string>;
  /** The URL of a new empty schema of this file's database (search_path set to it). */
  newSchema(): Promise<string>;
  /** Drops the database and stops a cluster started here. */
  close(): Promise<void>;
}

export type PostgresForTests = { server: TestPostgres } | { unavailable: string; required: boolean };

const REQUIRED = process.env.TESSERA_REQUIRE_POSTGRES === '1';

/** The newest installed server's bin folder (/usr/lib/postgresql/VERSION/bin with initdb), or null. */
function serverBinaries(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions.length ? join(root, versions[0], 'bin') : null;
}

/** `url` naming another database of the same server (works for a host URL and a ?host=/socket URL). */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function masked(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** `url` with search_path set to `schema` for every connection made from it. */
function withSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** DROP DATABASE, retried while a connection that is closing (or autovacuum) still uses it. */
async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name}`);
    } catch (e) {
      if ((e as { code?: string }).code !== '55006' || attempt === 50) throw e; // 55006: object in use
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** This file's database on the server at `adminUrl`, made on first use and dropped at close. */
function serverAt(adminUrl: string, stop: () => void = () => {}): TestPostgres {
  const name = `tessera_test_${randomBytes(6).toString('hex')}`;
  let made: Promise<string> | null = null;
  let schemas = 0;
  const database = () => {
    made ??= adminQuery(adminUrl, `CREATE DATABASE ${name}`).then(() => withDatabase(adminUrl, name));
    return made;
  };
  return {
    where: masked(adminUrl),
    database,
    async newSchema() {
      const url = await database();
      const schema = `test_${schemas++}`;
      await adminQuery(url, `CREATE SCHEMA ${schema}`);
      return withSchema(url, schema);
    },
    async close() {
      try {
        if (made) await dropDatabase(adminUrl, name);
      } finally {
        stop();
      }
    },
  };
}

function run(bin: string, args: string[]): void {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** initdb + pg_ctl start of a cluster that listens only on a unix socket in its own temp folder. */
function throwawayCluster(bin: string): TestPostgres {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
  const data = join(dir, 'data');
  let running = false;
  const stop = () => {
    if (running) spawnSync(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore' });
    running = false;
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop); // a test process that dies still stops its server
  try {
    run(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ]);
    const options = `-k ${dir} -c listen_addresses= -c fsync=off -p 5432`;
    run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', 'start']);
    running = true;
  } catch (e) {
    stop();
    throw e;
  }
  return serverAt(`postgres://postgres@localhost:5432/postgres?host=${encodeURIComponent(dir)}`, stop);
}

/** A server for this test file (see the header for where it comes from), or why there is none. */
export async function postgresForTests(): Promise<PostgresForTests> {
  const env = process.env.TESSERA_TEST_POSTGRES;
  if (env) {
    try {
      await adminQuery(env, 'SELECT 1');
    } catch (e) {
      return { unavailable: `TESSERA_TEST_POSTGRES (${masked(env)}): ${(e as Error).message}`, required: true };
    }
    return { server: serverAt(env) };
  }
  const bin = serverBinaries();
  const none = 'no TESSERA_TEST_POSTGRES';
  if (!bin)
    return {
      unavailable: `${none}, and no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)`,
      required: REQUIRED,
    };
  if (process.getuid?.() === 0)
    return {
      unavailable: `${none}, and running as root (initdb refuses to; set TESSERA_TEST_POSTGRES)`,
      required: REQUIRED,
    };
  try {
    return { server: throwawayCluster(bin) };
  } catch (e) {
    return { unavailable: `a throwaway cluster did not start: ${(e as Error).message}`, required: REQUIRED };
  }
}

/**
 * describe(name) over the server, which is closed after the suite. Without one: a skipped suite that
 * prints the reason, or (TESSERA_REQUIRE_POSTGRES=1, or a TESSERA_TEST_POSTGRES that does not answer) a
 * failing test that gives it.
 */
export function describePostgres(name: string, pgs: PostgresForTests, body: (server: TestPostgres) => void): void {
  if ('server' in pgs) {
    describe(name, () => {
      body(pgs.server);
      after(() => pgs.server.close()); // after the body's own after hooks (which close its stores)
    });
  } else if (pgs.required) {
    test(name, () => {
      throw new Error(`PostgreSQL is required here but unavailable: ${pgs.unavailable}`);
    });
  } else {
    console.log(`${name}: skipped: ${pgs.unavailable}`);
    describe(name, { skip: pgs.unavailable }, () => {});
  }
}
