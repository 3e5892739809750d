// The store, one suite run against both engines: images kept once by hash; sessions, turns, branches and
// head moves; every StoreError with its status and field, and a refused write leaving nothing behind;
// feedback copying its request; listFeedback newest first; stats; import; migrations idempotent (also with
// concurrent migrators) and a newer schema refused; a reopened store keeps everything. SQLite only: a second
// process holding the write lock makes a write wait, not fail. And openStore's URL forms.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  openStore,
  parseStoreUrl,
  SCHEMA_VERSION,
  SchemaVersionError,
  type Store,
  type StoredTurn,
  StoreError,
} from '../../src/serve/store/index.js';
import { rgbaPng } from '../helpers/png.js';
import { describePostgres, postgresForTests } from '../helpers/postgres.js';

const here = dirname(fileURLToPath(import.meta.url));

interface Engine {
  /** The URL of a new empty database. */
  fresh(): Promise<string>;
  /** Runs SQL on the database at `url` directly (not through the store), returning rows. */
  raw(url: string, sql: string): Promise<Record<string, unknown>[]>;
}

const png = (fill: number) => rgbaPng(2, 2, 2, fill);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Asserts that `p` rejects with a StoreError of this status and field. */
async function refuses(p: Promise<unknown>, status: number, field: string | undefined): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof StoreError, `a StoreError, got ${e}`);
    assert.equal(e.status, status, e.message);
    assert.equal(e.field, field, e.message);
    return true;
  });
}

const strip = (t: StoredTurn): Omit<StoredTurn, 'createdAt'> => {
  const { createdAt, ...rest } = t;
  assert.ok(!Number.isNaN(Date.parse(createdAt)));
  return rest;
};

function storeSuite(engine: Engine): void {
  const opened: Store[] = [];
  const open = async (url?: string): Promise<Store> => {
    const s = await openStore(url ?? (await engine.fresh()));
    opened.push(s);
    return s;
  };
  after(async () => {
    for (const s of opened) await s.close();
  });

  test('an image is stored once by the SHA-256 of its bytes; a bad hash or a non-PNG is refused', async () => {
    const s = await open();
    const bytes = png(10);
    const h = await s.putImage(bytes);
    assert.equal(h, sha(bytes));
    assert.equal(await s.putImage(new Uint8Array(bytes)), h);
    assert.equal((await s.stats()).images, 1);
    assert.deepEqual(await s.getImage(h), bytes);
    assert.deepEqual(await s.getImage(h.toUpperCase()), bytes);
    assert.equal(await s.getImage('0'.repeat(64)), null);
    await refuses(s.getImage('../../etc/passwd'), 400, 'hash');
    await refuses(s.getImage(`${h}00`), 400, 'hash');
    await refuses(s.putImage(Buffer.from('GIF89a')), 400, 'png');
  });

  test('sessions hold a tree of turns in id order; adding moves the head, setHead moves it back', async () => {
    const s = await open();
    const h1 = await s.putImage(png(1));
    const h2 = await s.putImage(png(2));
    await s.createSession({ id: 'chat', seed: 7, model: 'tessera-default' });
    const empty = await s.getSession('chat');
    assert.deepEqual(
      { ...empty, createdAt: '' },
      { id: 'chat', seed: 7, model: 'tessera-default', head: null, createdAt: '', turns: [] },
    );
    const turns: Omit<StoredTurn, 'createdAt'>[] = [
      {
        id: 0,
        parent: null,
        input: { text: 'draw a red circle' },
        output: [{ kind: 'image', image: h1, codes: [3, 1, 4] }],
      },
      {
        id: 1,
        parent: 0,
        input: { text: 'make it blue', image: h1 },
        output: [
          { kind: 'text', text: 'ok' },
          { kind: 'image', image: h2 },
        ],
      },
      { id: 5, parent: 0, input: { image: h2 }, output: [] },
      {
        id: 3,
        parent: 5,
        input: {},
        output: [
          { kind: 'text', text: 'a' },
          { kind: 'text', text: 'b' },
          { kind: 'image', image: h1 },
        ],
      },
    ];
    for (const t of turns) {
      await s.addTurn('chat', t);
      assert.equal((await s.getSession('chat'))!.head, t.id, 'the head follows each new turn');
    }
    const got = (await s.getSession('chat'))!;
    assert.deepEqual(
      got.turns.map(strip),
      [turns[0], turns[1], turns[3], turns[2]],
      'every turn of every branch, in id order, outputs in order',
    );
    await s.setHead('chat', 1);
    assert.equal((await s.getSession('chat'))!.head, 1);
    await s.setHead('chat', null);
    assert.equal((await s.getSession('chat'))!.head, null);
    await s.addTurn('chat', { id: 6, parent: null, input: { text: 'start over' }, output: [] });
    await s.createSession({ id: 'other', seed: 1, model: 'm' });
    const list = await s.listSessions();
    assert.deepEqual(list.map((x) => [x.id, x.head, x.turns]).sort(), [
      ['chat', 6, 5],
      ['other', null, 0],
    ]);
    assert.equal((await s.listSessions(1)).length, 1);
    assert.equal(await s.getSession('nope'), null);
  });

  test('every refusal is a StoreError with its status and field, and writes nothing', async () => {
    const s = await open();
    const h = await s.putImage(png(3));
    await s.createSession({ id: 'a', seed: 1, model: 'm' });
    await s.createSession({ id: 'b', seed: 2, model: 'm' });
    await s.addTurn('a', { id: 0, parent: null, input: {}, output: [] });
    await s.addTurn('b', { id: 7, parent: null, input: {}, output: [] });
    const before = await s.getSession('a');
    const t = (id: number, parent: number | null) => ({ id, parent, input: {}, output: [] });

    await refuses(s.createSession({ id: 'a', seed: 1, model: 'm' }), 409, 'id');
    await refuses(s.addTurn('zzz', t(1, null)), 404, 'sessionId');
    await refuses(s.addTurn('a', t(0, null)), 409, 'id');
    await refuses(s.addTurn('a', t(1, 7)), 409, 'parent'); // 7 is a turn, but of session b
    await refuses(s.addTurn('a', t(1.5, null)), 400, 'id');
    await refuses(
      s.addTurn('a', { id: 1, parent: 0, input: {}, output: [{ kind: 'image', image: '1'.repeat(64) }] }),
      400,
      'output[0].image',
    );
    await refuses(s.addTurn('a', { id: 1, parent: 0, input: { image: 'not-a-hash' }, output: [] }), 400, 'input.image');
    await refuses(s.setHead('zzz', 0), 404, 'sessionId');
    await refuses(s.setHead('a', 7), 404, 'head');
    await refuses(s.importSession({ id: 'a', seed: 1, model: 'm', head: null, turns: [] }), 409, 'id');
    await refuses(s.listSessions(0), 400, 'limit');
    assert.deepEqual(await s.getSession('a'), before, 'the refused writes changed nothing');

    const r = { id: 'r1', endpoint: 'images.generations', model: 'm', seed: 3, params: {}, outputs: [h, h], ms: 1 };
    await s.recordRequest(r);
    await refuses(s.recordRequest(r), 409, 'id');
    await refuses(s.recordRequest({ ...r, id: 'r2', outputs: [h, '2'.repeat(64)] }), 400, 'outputs[1]');
    await refuses(s.recordRequest({ ...r, id: 'r3', inputImage: '3'.repeat(64) }), 400, 'inputImage');
    assert.equal(await s.getRequest('r2'), null, 'a refused request leaves nothing');
    await refuses(s.addFeedback({ kind: 'rating', requestId: 'nope', rating: 'up' }), 404, 'requestId');
    await refuses(s.addFeedback({ kind: 'rating', requestId: 'r1', index: 2, rating: 'up' }), 400, 'index');
    await refuses(s.addFeedback({ kind: 'rating', requestId: 'r1', index: -1, rating: 'up' }), 400, 'index');
    await refuses(s.addFeedback({ kind: 'choice', requestId: 'r1', a: 2, b: 0, picked: 'a' }), 400, 'a');
    await refuses(s.addFeedback({ kind: 'choice', requestId: 'r1', a: 0, b: 5, picked: 'a' }), 400, 'b');
    await refuses(s.addFeedback({ kind: 'choice', requestId: 'r1', a: 1, b: 1, picked: 'tie' }), 400, 'b');
    await refuses(s.listFeedback({ limit: -1 }), 400, 'limit');
    const st = await s.stats();
    assert.deepEqual(st, { images: 1, sessions: 2, turns: 2, requests: 1, feedback: 0 });
  });

  test('two writers adding the same turn at once: one wins, the other gets 409', async () => {
    const s = await open();
    await s.createSession({ id: 'race', seed: 1, model: 'm' });
    const add = (text: string) => s.addTurn('race', { id: 0, parent: null, input: { text }, output: [] });
    const results = await Promise.allSettled([add('x'), add('y')]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(lost.reason instanceof StoreError && lost.reason.status === 409 && lost.reason.field === 'id');
  });

  test('feedback copies its request (model, seed, endpoint, prompt, images) and lists newest first', async () => {
    const s = await open();
    const [h0, h1, h2, input] = [
      await s.putImage(png(4)),
      await s.putImage(png(5)),
      await s.putImage(png(6)),
      await s.putImage(png(7)),
    ];
    const req = {
      id: 'req',
      endpoint: 'images.edits',
      model: 'tessera-default',
      seed: 42,
      prompt: 'make it blue',
      inputImage: input,
      params: { n: 3, size: '32x32', guidance: 2.5, nested: { mask: null } },
      outputs: [h0, h1, h2],
      ms: 12.5,
    };
    await s.recordRequest(req);
    const stored = await s.getRequest('req');
    assert.deepEqual({ ...stored, createdAt: '' }, { ...req, createdAt: '' });
    await s.recordRequest({
      id: 'text',
      endpoint: 'generateContent',
      model: 'm',
      seed: 1,
      params: {},
      outputs: [],
      text: 'hi',
      ms: 0,
    });
    assert.equal((await s.getRequest('text'))!.text, 'hi');

    const copied = {
      model: 'tessera-default',
      seed: 42,
      endpoint: 'images.edits',
      prompt: 'make it blue',
      inputImage: input,
    };
    const f1 = await s.addFeedback({ kind: 'rating', requestId: 'req', rating: 'up' });
    assert.match(f1.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(new Date(f1.createdAt).toISOString(), f1.createdAt);
    assert.deepEqual(
      { ...f1, id: '', createdAt: '' },
      {
        kind: 'rating',
        requestId: 'req',
        index: 0,
        rating: 'up',
        ...copied,
        images: [h0],
        id: '',
        createdAt: '',
      },
    );
    const f2 = await s.addFeedback({ kind: 'rating', requestId: 'req', index: 2, rating: 'down', note: 'too dark' });
    assert.deepEqual([f2.images, f2.note], [[h2], 'too dark']);
    const f3 = await s.addFeedback({ kind: 'choice', requestId: 'req', a: 2, b: 0, picked: 'b' });
    assert.deepEqual(
      { ...f3, id: '', createdAt: '' },
      {
        kind: 'choice',
        requestId: 'req',
        a: 2,
        b: 0,
        picked: 'b',
        ...copied,
        images: [h2, h0],
        id: '',
        createdAt: '',
      },
    );
    assert.deepEqual(await s.listFeedback(), [f3, f2, f1]);
    assert.deepEqual(await s.listFeedback({ limit: 2 }), [f3, f2]);
  });

  test('stats count every table; import stores a whole session (parents in any order) or nothing', async () => {
    const s = await open();
    const h = await s.putImage(png(8));
    assert.deepEqual(await s.stats(), { images: 1, sessions: 0, turns: 0, requests: 0, feedback: 0 });
    const turns: Omit<StoredTurn, 'createdAt'>[] = [
      { id: 2, parent: 1, input: { text: 'c' }, output: [{ kind: 'text', text: 'C' }] },
      { id: 0, parent: null, input: { text: 'a', image: h }, output: [{ kind: 'image', image: h, codes: [1] }] },
      { id: 1, parent: 0, input: { text: 'b' }, output: [] },
      { id: 3, parent: 0, input: { text: 'd' }, output: [] },
    ];
    await s.importSession({ id: 'imp', seed: 9, model: 'm', head: 2, turns });
    const got = (await s.getSession('imp'))!;
    assert.deepEqual([got.seed, got.model, got.head], [9, 'm', 2]);
    assert.deepEqual(
      got.turns.map(strip),
      [...turns].sort((x, y) => x.id - y.id),
    );
    assert.deepEqual(await s.stats(), { images: 1, sessions: 1, turns: 4, requests: 0, feedback: 0 });

    const base = { seed: 1, model: 'm', head: null };
    await refuses(s.importSession({ ...base, id: 'x', turns: [{ ...turns[1] }, { ...turns[1] }] }), 409, 'turns[1].id');
    await refuses(s.importSession({ ...base, id: 'x', turns: [turns[0]] }), 409, 'turns[0].parent');
    const cycle = [
      { id: 0, parent: 1, input: {}, output: [] },
      { id: 1, parent: 0, input: {}, output: [] },
    ];
    await refuses(s.importSession({ ...base, id: 'x', turns: cycle }), 409, 'turns');
    await refuses(s.importSession({ ...base, id: 'x', head: 9, turns: [turns[1]] }), 404, 'head');
    const missing = { id: 9, parent: null, input: {}, output: [{ kind: 'image' as const, image: 'e'.repeat(64) }] };
    await refuses(s.importSession({ ...base, id: 'x', turns: [turns[1], missing] }), 400, 'turns[1].output[0].image');
    assert.equal(await s.getSession('x'), null);
    assert.deepEqual(await s.stats(), { images: 1, sessions: 1, turns: 4, requests: 0, feedback: 0 });
  });

  test('migrations: reopening applies nothing twice, concurrent openers agree, a newer schema is refused', async () => {
    const url = await engine.fresh();
    const stores = await Promise.all([openStore(url), openStore(url), openStore(url)]);
    for (const s of stores) await s.close();
    const s = await open(url);
    await s.close();
    const rows = await engine.raw(url, 'SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      rows.map((r) => Number(r.version)),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
    await engine.raw(
      url,
      `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${SCHEMA_VERSION + 1}, 'future', '2100-01-01T00:00:00Z')`,
    );
    await assert.rejects(openStore(url), (e: unknown) => {
      assert.ok(e instanceof SchemaVersionError);
      assert.match(
        e.message,
        new RegExp(`version ${SCHEMA_VERSION + 1}, newer than this tessera knows \\(${SCHEMA_VERSION}\\)`),
      );
      return true;
    });
  });

  test('a closed store reopened keeps everything', async () => {
    const url = await engine.fresh();
    const s = await openStore(url);
    const h = await s.putImage(png(9));
    await s.createSession({ id: 'keep', seed: 5, model: 'm' });
    await s.addTurn('keep', {
      id: 0,
      parent: null,
      input: { image: h },
      output: [{ kind: 'image', image: h, codes: [] }],
    });
    await s.addTurn('keep', { id: 1, parent: 0, input: { text: 'x' }, output: [{ kind: 'text', text: 'y' }] });
    await s.setHead('keep', 0);
    await s.recordRequest({
      id: 'r',
      endpoint: 'e',
      model: 'm',
      seed: 2 ** 40,
      params: { a: [1, 2] },
      outputs: [h],
      ms: 3,
    });
    await s.addFeedback({ kind: 'rating', requestId: 'r', rating: 'down' });
    const snapshot = [await s.getSession('keep'), await s.getRequest('r'), await s.listFeedback(), await s.stats()];
    await s.ping();
    await s.close();
    await s.close(); // twice is fine
    const again = await open(url);
    assert.deepEqual(
      [await again.getSession('keep'), await again.getRequest('r'), await again.listFeedback(), await again.stats()],
      snapshot,
    );
    assert.deepEqual(await again.getImage(h), png(9));
    await again.ping();
  });
}

describe('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-store-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  storeSuite({
    fresh: async () => `sqlite:${join(dir, `store-${n++}.db`)}`,
    raw: async (url, sql) => {
      const db = new Database(url.slice('sqlite:'.length));
      try {
        const st = db.prepare(sql);
        if (st.reader) return st.all() as Record<string, unknown>[];
        st.run();
        return [];
      } finally {
        db.close();
      }
    },
  });

  test('WAL, synchronous FULL, foreign keys on; where is the file', async () => {
    const file = join(dir, 'pragmas.db');
    const s = await openStore(file);
    assert.equal(s.kind, 'sqlite');
    assert.equal(s.where, file);
    await s.close();
    const db = new Database(file);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  test('a second process holding the write lock makes a write wait for it, not fail', async () => {
    const file = join(dir, 'busy.db');
    const s = await openStore(`sqlite:${file}`);
    const child = spawn(process.execPath, [join(here, '../helpers/sqlite-holder.js'), file, '300'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const out: string[] = [];
    const exited = new Promise<number | null>((res) => child.on('exit', res));
    await new Promise<void>((res) =>
      child.stdout.on('data', (d: Buffer) => {
        out.push(d.toString());
        if (out.join('').includes('locked')) res();
      }),
    );
    const h = await s.putImage(png(11)); // waits (busy_timeout) until the holder commits
    assert.equal(await exited, 0);
    assert.match(out.join(''), /committed/);
    assert.deepEqual(await s.getImage(h), png(11));
    assert.ok(await s.getImage('f'.repeat(64)), "the other process's write is there too");
    assert.equal((await s.stats()).images, 2);
    await s.close();
  });

  test('two stores of one process on one file interleave their writes without waiting on each other', async () => {
    const url = `sqlite:${join(dir, 'two.db')}`;
    const [s1, s2] = [await openStore(url), await openStore(url)];
    await s1.createSession({ id: 'one', seed: 1, model: 'm' });
    await s2.createSession({ id: 'two', seed: 2, model: 'm' });
    const turn = (id: number) => ({ id, parent: id === 0 ? null : id - 1, input: { text: `${id}` }, output: [] });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => [s1.addTurn('one', turn(i)), s2.addTurn('two', turn(i))]).flat(),
    );
    assert.deepEqual((await s1.listSessions()).map((x) => [x.id, x.turns, x.head]).sort(), [
      ['one', 10, 9],
      ['two', 10, 9],
    ]);
    await s1.close();
    await s2.close();
    await assert.rejects(s1.stats(), /the store is closed/);
  });

  test('sqlite::memory: works and keeps nothing', async () => {
    const s = await openStore('sqlite::memory:');
    await s.createSession({ id: 'm', seed: 0, model: 'm' });
    assert.equal((await s.stats()).sessions, 1);
    await s.close();
  });
});

describe('openStore URLs', () => {
  test('sqlite:PATH creates the folder; a .db or .sqlite path is SQLite; anything else names the forms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-url-'));
    try {
      const s = await openStore(`sqlite:${join(dir, 'a/b/c.db')}`);
      await s.close();
      assert.ok(existsSync(join(dir, 'a/b/c.db')));
      assert.deepEqual(parseStoreUrl(join(dir, 'x.sqlite')), { kind: 'sqlite', path: join(dir, 'x.sqlite') });
      assert.deepEqual(parseStoreUrl('sqlite::memory:'), { kind: 'sqlite', path: ':memory:' });
      assert.deepEqual(parseStoreUrl('sqlite:///var/x.db'), { kind: 'sqlite', path: '/var/x.db' });
      assert.equal(parseStoreUrl('postgresql://u:p@h/db').kind, 'postgres');
      for (const bad of ['', 'mysql://u:hunter2@h/x.db', 'store.json', 'sqlite:'])
        await assert.rejects(openStore(bad), (e: Error) => {
          assert.match(e.message, /sqlite:PATH .*\.db.*postgres:\/\//);
          assert.ok(!e.message.includes('hunter2'), 'the password is masked');
          return true;
        });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describePostgres('postgres', await postgresForTests(), (server) => {
  storeSuite({
    fresh: () => server.newSchema(),
    raw: async (url, sql) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    },
  });

  test('where masks the password; an unreachable server is a clear error', async () => {
    const url = await server.newSchema();
    const s = await openStore(url);
    assert.equal(s.kind, 'postgres');
    const password = new URL(url).password;
    if (password) assert.ok(!s.where.includes(password), s.where);
    await s.close();
    await assert.rejects(openStore('postgres://nobody:secret@127.0.0.1:1/db'), (e: Error) => {
      assert.match(e.message, /^postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/db: /);
      assert.ok(!e.message.includes('secret'));
      return true;
    });
  });
});
