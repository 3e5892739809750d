// kill -9 in the middle of writing, on both engines: a child process (test/helpers/store-writer.ts) makes
// seeded writes (images, requests, turns, feedback) and prints `ack <n> ...` after each one resolves; the
// parent kills it with SIGKILL after ACKS acks, reopens the store and checks that every acknowledged write
// is there as written, that a write in flight at the kill is there whole or not at all (no turn without
// its outputs, no request without its images), and, on SQLite, that the file passes integrity and foreign
// key checks.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openStore } from '../../src/serve/store/index.js';
import { describePostgres, postgresForTests } from '../helpers/postgres.js';
import { CRASH_SESSION, plannedImage, plannedRequest, plannedTurn } from '../helpers/store-writes.js';

const here = dirname(fileURLToPath(import.meta.url));
const ACKS = 30;
const SEED = 20240611;

/** Runs the writer on `url` until ACKS acks, kills it with SIGKILL and returns the ack lines it printed. */
async function writeAndKill(url: string): Promise<string[]> {
  const child = spawn(process.execPath, [join(here, '../helpers/store-writer.js'), url, String(SEED)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
  const acks: string[] = [];
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('ack ')) acks.push(line);
      if (acks.length === ACKS) child.kill('SIGKILL');
    }
  });
  const signal = await exited;
  assert.equal(signal, 'SIGKILL', `the writer was killed, not done (acks: ${acks.length})`);
  return acks;
}

async function checkSurvivors(url: string, acks: string[]): Promise<void> {
  assert.ok(acks.length >= ACKS, `${acks.length} acks`);
  for (const [n, line] of acks.entries()) assert.ok(line.startsWith(`ack ${n} `), line);
  const acked = (kind: string) => acks.filter((l) => l.split(' ')[2] === kind).map((l) => l.split(' ').slice(3));
  const store = await openStore(url);
  try {
    const session = await store.getSession(CRASH_SESSION);
    assert.ok(session, 'the acknowledged session is there');
    const imageOf = new Map(acked('image').map(([i, hash]) => [Number(i), hash]));
    for (const [i, hash] of imageOf) assert.deepEqual(await store.getImage(hash), plannedImage(SEED, i));

    // turns: every acked one, plus at most the one in flight, each whole and as planned; the head on the last
    const turnsAcked = acked('turn').length;
    const ids = session.turns.map((t) => t.id);
    assert.ok(ids.length === turnsAcked || ids.length === turnsAcked + 1, `${ids.length} turns, ${turnsAcked} acked`);
    assert.deepEqual(
      ids,
      ids.map((_, i) => i),
    );
    for (const t of session.turns) {
      const { createdAt, ...rest } = t;
      const image = imageOf.get(t.id); // its image was written, and acked, before the turn
      assert.ok(image, `turn ${t.id} without an acknowledged image`);
      assert.deepEqual(rest, plannedTurn(SEED, t.id, image));
    }
    assert.equal(session.head, ids.length ? ids[ids.length - 1] : null);

    // requests: every acked one, whole; the next is whole or absent
    const requestsAcked = acked('request').length;
    for (let i = 0; i <= requestsAcked; i++) {
      const r = await store.getRequest(`crash-request-${i}`);
      if (i === requestsAcked && r === null) continue;
      assert.ok(r, `request ${i} was acknowledged`);
      const { createdAt, ...rest } = r;
      assert.deepEqual(rest, plannedRequest(SEED, i, r.outputs[0]));
    }

    // feedback: every acked id, with the request's first image copied in
    const feedback = new Map((await store.listFeedback({ limit: 1000 })).map((f) => [f.id, f]));
    for (const [i, id] of acked('feedback')) {
      const f = feedback.get(id);
      assert.ok(f, `feedback ${id} was acknowledged`);
      assert.equal(f.requestId, `crash-request-${i}`);
      assert.deepEqual(f.images, [imageOf.get(Number(i))]);
    }
    assert.ok(feedback.size - acked('feedback').length <= 1);
  } finally {
    await store.close();
  }
}

describe('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-crash-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every acknowledged write survives kill -9, and the file is consistent', async () => {
    const file = join(dir, 'crash.db');
    const acks = await writeAndKill(`sqlite:${file}`);
    await checkSurvivors(`sqlite:${file}`, acks);
    const db = new Database(file);
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(db.pragma('foreign_key_check'), []);
    } finally {
      db.close();
    }
  });
});

describePostgres('postgres', await postgresForTests(), (server) => {
  test('every acknowledged write survives kill -9', async () => {
    const url = await server.newSchema();
    await checkSurvivors(url, await writeAndKill(url));
  });
});
